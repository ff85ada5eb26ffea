package dev.sparq.backend.cpu.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * F(4×4, 3×3) transforms on the Vector API, as two passes of one small 1-D transform each (columns, then rows)
 * through a per-thread buffer of a few hundred floats: small methods the JIT compiles and inlines (one big
 * straight-line method would pass HotSpot's size limit and run interpreted). Input: 8 tiles per call, gathered
 * from the padded plane. Output: one vector of output channels at a time.
 */
final class PanamaWinograd implements WinogradTransforms {
    private static final VectorSpecies<Float> S8 = FloatVector.SPECIES_256;
    private static final VectorSpecies<Float> S = PanamaSpecies.floats(SimdConfig.BITS == 0 ? 128 : SimdConfig.BITS);
    private static final int V = S.length();
    private static final ThreadLocal<float[]> BUF = ThreadLocal.withInitial(() -> new float[(36 + 16) * Math.max(8, V)]);

    @Override
    public void input(float[] plane, int wp, int[] laneBase, float[] dst, int dstBase, int pStride) {
        float[] t = BUF.get();
        for (int j = 0; j < 6; j++) {
            FloatVector d0 = FloatVector.fromArray(S8, plane, j, laneBase, 0);
            FloatVector d1 = FloatVector.fromArray(S8, plane, wp + j, laneBase, 0);
            FloatVector d2 = FloatVector.fromArray(S8, plane, 2 * wp + j, laneBase, 0);
            FloatVector d3 = FloatVector.fromArray(S8, plane, 3 * wp + j, laneBase, 0);
            FloatVector d4 = FloatVector.fromArray(S8, plane, 4 * wp + j, laneBase, 0);
            FloatVector d5 = FloatVector.fromArray(S8, plane, 5 * wp + j, laneBase, 0);
            bt(d0, d1, d2, d3, d4, d5, t, j * 8, 6 * 8);
        }
        for (int i = 0; i < 6; i++) {
            int row = i * 6 * 8;
            bt(FloatVector.fromArray(S8, t, row), FloatVector.fromArray(S8, t, row + 8),
                FloatVector.fromArray(S8, t, row + 16), FloatVector.fromArray(S8, t, row + 24),
                FloatVector.fromArray(S8, t, row + 32), FloatVector.fromArray(S8, t, row + 40),
                dst, dstBase + i * 6 * pStride, pStride);
        }
    }

    /** Bᵀ applied to six vectors; result r goes to y[at + r * step]. */
    private static void bt(FloatVector d0, FloatVector d1, FloatVector d2, FloatVector d3, FloatVector d4,
                           FloatVector d5, float[] y, int at, int step) {
        d0.mul(4f).sub(d2.mul(5f)).add(d4).intoArray(y, at);
        d3.add(d4).sub(d1.add(d2).mul(4f)).intoArray(y, at + step);
        d1.sub(d2).mul(4f).sub(d3).add(d4).intoArray(y, at + 2 * step);
        d3.sub(d1).mul(2f).sub(d2).add(d4).intoArray(y, at + 3 * step);
        d1.sub(d3).mul(2f).sub(d2).add(d4).intoArray(y, at + 4 * step);
        d1.mul(4f).sub(d3.mul(5f)).add(d5).intoArray(y, at + 5 * step);
    }

    @Override
    public void output(float[] m, int mBase, int pStride, int count, float[] bias, int c0, float min, float max,
                       float[] out, int stride) {
        float[] t = BUF.get();
        for (int j0 = 0; j0 < count; j0 += V) {
            VectorMask<Float> mask = S.indexInRange(j0, count);
            int at = mBase + j0;
            for (int c = 0; c < 6; c++) {
                at(FloatVector.fromArray(S, m, at + c * pStride, mask),
                    FloatVector.fromArray(S, m, at + (6 + c) * pStride, mask),
                    FloatVector.fromArray(S, m, at + (12 + c) * pStride, mask),
                    FloatVector.fromArray(S, m, at + (18 + c) * pStride, mask),
                    FloatVector.fromArray(S, m, at + (24 + c) * pStride, mask),
                    FloatVector.fromArray(S, m, at + (30 + c) * pStride, mask), t, c * V, 6 * V);
            }
            FloatVector b = FloatVector.fromArray(S, bias, c0 + j0, S.indexInRange(c0 + j0, bias.length).and(mask));
            for (int i = 0; i < 4; i++) {
                int row = i * 6 * V;
                at(FloatVector.fromArray(S, t, row), FloatVector.fromArray(S, t, row + V),
                    FloatVector.fromArray(S, t, row + 2 * V), FloatVector.fromArray(S, t, row + 3 * V),
                    FloatVector.fromArray(S, t, row + 4 * V), FloatVector.fromArray(S, t, row + 5 * V),
                    t, 24 * V + i * 4 * V, V);
                for (int j = 0; j < 4; j++) {
                    FloatVector.fromArray(S, t, 24 * V + (i * 4 + j) * V).add(b)
                        .lanewise(VectorOperators.MAX, min).lanewise(VectorOperators.MIN, max)
                        .intoArray(out, (i * 4 + j) * stride + j0, mask);
                }
            }
        }
    }

    /** Aᵀ applied to six vectors; result r (of 4) goes to y[at + r * step]. */
    private static void at(FloatVector m0, FloatVector m1, FloatVector m2, FloatVector m3, FloatVector m4,
                           FloatVector m5, float[] y, int at, int step) {
        m0.add(m1).add(m2).add(m3).add(m4).intoArray(y, at);
        m1.sub(m2).add(m3.sub(m4).mul(2f)).intoArray(y, at + step);
        m1.add(m2).add(m3.add(m4).mul(4f)).intoArray(y, at + 2 * step);
        m1.sub(m2).add(m3.sub(m4).mul(8f)).add(m5).intoArray(y, at + 3 * step);
    }
}
