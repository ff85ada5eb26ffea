package dev.sparq.backend.cpu.simd;

import java.lang.foreign.MemorySegment;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * F(4×4, 3×3) transforms on the Vector API, one tile per lane: the input is transposed from the padded plane (lane
 * l takes tile l's patch), the output scattered into a padded output plane. Each is two passes of one small 1-D
 * transform (columns, then rows) through a per-thread buffer of a few hundred floats: small methods the JIT compiles
 * and inlines (one big straight-line method would pass HotSpot's size limit and run interpreted).
 */
final class PanamaWinograd implements WinogradTransforms {
    private static final VectorSpecies<Float> S = PanamaSpecies.floats(SimdConfig.BITS);
    private static final java.nio.ByteOrder ORDER = java.nio.ByteOrder.nativeOrder();
    private static final int V = S.length();
    private static final ThreadLocal<float[]> BUF = ThreadLocal.withInitial(() -> new float[72 * V]);

    @Override
    public int lanes() {
        return V;
    }

    @Override
    public int tile() {
        return 4;
    }

    @Override
    public void input(float[] plane, int wp, int[] laneBase, float[] dst, int dstBase, int pStride) {
        float[] t = BUF.get();
        // Transposed by plain loads: measured 4× faster here than the Vector API gather (whose index vector C2 does
        // not bind statically, so each gather runs out of line).
        for (int l = 0; l < V; l++) {
            int b = laneBase[l];
            for (int i = 0; i < 6; i++) {
                int row = b + i * wp;
                int at = 36 * V + i * 6 * V + l;
                t[at] = plane[row];
                t[at + V] = plane[row + 1];
                t[at + 2 * V] = plane[row + 2];
                t[at + 3 * V] = plane[row + 3];
                t[at + 4 * V] = plane[row + 4];
                t[at + 5 * V] = plane[row + 5];
            }
        }
        int d = 36 * V;
        for (int j = 0; j < 6; j++) {
            bt(FloatVector.fromArray(S, t, d + j * V), FloatVector.fromArray(S, t, d + (6 + j) * V),
                FloatVector.fromArray(S, t, d + (12 + j) * V), FloatVector.fromArray(S, t, d + (18 + j) * V),
                FloatVector.fromArray(S, t, d + (24 + j) * V), FloatVector.fromArray(S, t, d + (30 + j) * V),
                t, j * V, 6 * V);
        }
        for (int i = 0; i < 6; i++) {
            int row = i * 6 * V;
            bt(FloatVector.fromArray(S, t, row), FloatVector.fromArray(S, t, row + V),
                FloatVector.fromArray(S, t, row + 2 * V), FloatVector.fromArray(S, t, row + 3 * V),
                FloatVector.fromArray(S, t, row + 4 * V), FloatVector.fromArray(S, t, row + 5 * V),
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
    public void output(MemorySegment m, long mBase, int pStride, int count, float bias, float min, float max,
                       float[] out, int[] laneBase, int wo) {
        float[] t = BUF.get();
        VectorMask<Float> mask = S.indexInRange(0, count);
        // whole-vector loads: the lanes past count read values that are never stored. A masked load here ran in
        // the Vector API's Java fallback on JDK 25 (a boxed vector per load; 8 MB per ResNet-18 inference)
        for (int c = 0; c < 6; c++) {
            long at = mBase + (long) c * pStride;
            at(load(m, at), load(m, at + 6 * pStride),
                load(m, at + 12 * pStride), load(m, at + 18 * pStride),
                load(m, at + 24 * pStride), load(m, at + 30 * pStride),
                t, c * V, 6 * V);
        }
        for (int i = 0; i < 4; i++) {
            int row = i * 6 * V;
            at(FloatVector.fromArray(S, t, row), FloatVector.fromArray(S, t, row + V),
                FloatVector.fromArray(S, t, row + 2 * V), FloatVector.fromArray(S, t, row + 3 * V),
                FloatVector.fromArray(S, t, row + 4 * V), FloatVector.fromArray(S, t, row + 5 * V),
                t, 36 * V + i * 4 * V, V);
            for (int j = 0; j < 4; j++) {
                FloatVector.fromArray(S, t, 36 * V + (i * 4 + j) * V).add(bias)
                    .lanewise(VectorOperators.MAX, min).lanewise(VectorOperators.MIN, max)
                    .intoArray(out, i * wo + j, laneBase, 0, mask);
            }
        }
    }

    /** V floats of the product from float index {@code at}: a native segment, never a heap one (see WinogradConv). */
    private static FloatVector load(MemorySegment m, long at) {
        return FloatVector.fromMemorySegment(S, m, at * Float.BYTES, ORDER);
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
