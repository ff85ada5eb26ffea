package dev.sparq.backend.cpu.simd;

import java.lang.foreign.MemorySegment;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * F(2×2, 3×3) transforms on the Vector API, one tile per lane, laid out and split into methods as
 * {@link PanamaWinograd}'s: the output's two columns per tile are interleaved by one round of permutes.
 */
final class PanamaWinograd2 implements WinogradTransforms {
    private static final VectorSpecies<Float> S = PanamaSpecies.floats(SimdConfig.BITS);
    private static final java.nio.ByteOrder ORDER = java.nio.ByteOrder.nativeOrder();
    private static final int V = S.length();
    private static final ThreadLocal<float[]> BUF = ThreadLocal.withInitial(() -> new float[32 * V]);
    private static final FloatVector PAIR_LO = PanamaWinograd.indices(n -> (n % 2) * V + n / 2);
    private static final FloatVector PAIR_HI = PanamaWinograd.indices(n -> (n % 2) * V + V / 2 + n / 2);

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
    public void outputRow(MemorySegment m, long mBase, int pStride, int count, float bias, float min, float max,
                          float[] out, int outAt, int wo) {
        float[] t = BUF.get();
        for (int g = 0; g * V < count; g++) {
            for (int c = 0; c < 4; c++) {
                columnOut(m, mBase + (long) V * g + (long) c * pStride, pStride, t, c * V);
            }
            for (int i = 0; i < 2; i++) {
                rowOut(t, i * 4 * V, bias, min, max, out, outAt + i * wo + 2 * V * g);
            }
        }
    }

    /**
     * Aᵀ down column c of the product (floats {@code at + k·4·pStride} of m, a native segment, never a heap one:
     * see WinogradConv), into t[tAt + i·4V].
     */
    private static void columnOut(MemorySegment m, long at, int pStride, float[] t, int tAt) {
        long step = 4L * pStride * Float.BYTES;
        long b = at * Float.BYTES;
        FloatVector m0 = FloatVector.fromMemorySegment(S, m, b, ORDER);
        FloatVector m1 = FloatVector.fromMemorySegment(S, m, b + step, ORDER);
        FloatVector m2 = FloatVector.fromMemorySegment(S, m, b + 2 * step, ORDER);
        FloatVector m3 = FloatVector.fromMemorySegment(S, m, b + 3 * step, ORDER);
        m0.add(m1).add(m2).intoArray(t, tAt);
        m1.sub(m2).sub(m3).intoArray(t, tAt + 4 * V);
    }

    /**
     * One output row of V tiles from t[row..]: Aᵀ across four values (as {@link #columnOut}, from the heap), bias
     * and clamp, the two columns interleaved into out[at..].
     */
    private static void rowOut(float[] t, int row, float bias, float min, float max, float[] out, int at) {
        FloatVector m0 = FloatVector.fromArray(S, t, row);
        FloatVector m1 = FloatVector.fromArray(S, t, row + V);
        FloatVector m2 = FloatVector.fromArray(S, t, row + 2 * V);
        FloatVector m3 = FloatVector.fromArray(S, t, row + 3 * V);
        FloatVector y0 = m0.add(m1).add(m2).add(bias).lanewise(VectorOperators.MAX, min).lanewise(VectorOperators.MIN,
            max);
        FloatVector y1 = m1.sub(m2).sub(m3).add(bias).lanewise(VectorOperators.MAX, min).lanewise(VectorOperators.MIN,
            max);
        PAIR_LO.selectFrom(y0, y1).intoArray(out, at);
        PAIR_HI.selectFrom(y0, y1).intoArray(out, at + V);
    }
}
