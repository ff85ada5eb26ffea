package dev.sparq.backend.cpu.simd;

import java.lang.foreign.MemorySegment;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** F(2×2, 3×3) transforms on the Vector API, one tile per lane, laid out as {@link PanamaWinograd}'s. */
final class PanamaWinograd2 implements WinogradTransforms {
    private static final VectorSpecies<Float> S = PanamaSpecies.floats(SimdConfig.BITS);
    private static final java.nio.ByteOrder ORDER = java.nio.ByteOrder.nativeOrder();
    private static final int V = S.length();
    private static final ThreadLocal<float[]> BUF = ThreadLocal.withInitial(() -> new float[32 * V]);

    @Override
    public int lanes() {
        return V;
    }

    @Override
    public int tile() {
        return 2;
    }

    @Override
    public void input(float[] plane, int wp, int[] laneBase, float[] dst, int dstBase, int pStride) {
        float[] t = BUF.get();
        for (int l = 0; l < V; l++) { // transposed by plain loads, as in PanamaWinograd
            int b = laneBase[l];
            for (int i = 0; i < 4; i++) {
                int row = b + i * wp;
                int at = 16 * V + i * 4 * V + l;
                t[at] = plane[row];
                t[at + V] = plane[row + 1];
                t[at + 2 * V] = plane[row + 2];
                t[at + 3 * V] = plane[row + 3];
            }
        }
        int d = 16 * V;
        for (int j = 0; j < 4; j++) {
            bt(FloatVector.fromArray(S, t, d + j * V), FloatVector.fromArray(S, t, d + (4 + j) * V),
                FloatVector.fromArray(S, t, d + (8 + j) * V), FloatVector.fromArray(S, t, d + (12 + j) * V),
                t, j * V, 4 * V);
        }
        for (int i = 0; i < 4; i++) {
            int row = i * 4 * V;
            bt(FloatVector.fromArray(S, t, row), FloatVector.fromArray(S, t, row + V),
                FloatVector.fromArray(S, t, row + 2 * V), FloatVector.fromArray(S, t, row + 3 * V),
                dst, dstBase + i * 4 * pStride, pStride);
        }
    }

    /** Bᵀ applied to four vectors; result r goes to y[at + r * step]. */
    private static void bt(FloatVector d0, FloatVector d1, FloatVector d2, FloatVector d3, float[] y, int at,
                           int step) {
        d0.sub(d2).intoArray(y, at);
        d1.add(d2).intoArray(y, at + step);
        d2.sub(d1).intoArray(y, at + 2 * step);
        d1.sub(d3).intoArray(y, at + 3 * step);
    }

    @Override
    public void output(MemorySegment m, long mBase, int pStride, int count, float bias, float min, float max,
                       float[] out, int[] laneBase, int wo) {
        float[] t = BUF.get();
        VectorMask<Float> mask = S.indexInRange(0, count);
        // whole-vector loads: the lanes past count read values that are never stored. A masked load here ran in
        // the Vector API's Java fallback on JDK 25 (a boxed vector per load; 8 MB per ResNet-18 inference)
        for (int c = 0; c < 4; c++) {
            long at = mBase + (long) c * pStride;
            at(load(m, at), load(m, at + 4 * pStride),
                load(m, at + 8 * pStride), load(m, at + 12 * pStride),
                t, c * V, 4 * V);
        }
        for (int i = 0; i < 2; i++) {
            int row = i * 4 * V;
            at(FloatVector.fromArray(S, t, row), FloatVector.fromArray(S, t, row + V),
                FloatVector.fromArray(S, t, row + 2 * V), FloatVector.fromArray(S, t, row + 3 * V),
                t, 16 * V + i * 2 * V, V);
            for (int j = 0; j < 2; j++) {
                FloatVector.fromArray(S, t, 16 * V + (i * 2 + j) * V).add(bias)
                    .lanewise(VectorOperators.MAX, min).lanewise(VectorOperators.MIN, max)
                    .intoArray(out, i * wo + j, laneBase, 0, mask);
            }
        }
    }

    /** V floats of the product from float index {@code at}: a native segment, never a heap one (see WinogradConv). */
    private static FloatVector load(MemorySegment m, long at) {
        return FloatVector.fromMemorySegment(S, m, at * Float.BYTES, ORDER);
    }

    /** Aᵀ applied to four vectors; result r (of 2) goes to y[at + r * step]. */
    private static void at(FloatVector m0, FloatVector m1, FloatVector m2, FloatVector m3, float[] y, int at, int step) {
        m0.add(m1).add(m2).intoArray(y, at);
        m1.sub(m2).sub(m3).intoArray(y, at + step);
    }
}
