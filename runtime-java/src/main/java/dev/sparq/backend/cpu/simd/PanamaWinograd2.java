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
    private static final FloatVector PAIR_LO = PanamaWinograd.PAIR_LO;
    private static final FloatVector PAIR_HI = PanamaWinograd.PAIR_HI;

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
        for (int j = 0; j < 4; j++) {
            bt(t, 16 * V + j * V, 4 * V, t, j * V, 4 * V);
        }
        for (int i = 0; i < 4; i++) {
            bt(t, i * 4 * V, V, dst, dstBase + i * 4 * pStride, pStride);
        }
    }

    /** Bᵀ applied to the four vectors x[at + k·step]; result r goes to y[yAt + r·yStep]. */
    private static void bt(float[] x, int at, int step, float[] y, int yAt, int yStep) {
        FloatVector d0 = FloatVector.fromArray(S, x, at);
        FloatVector d1 = FloatVector.fromArray(S, x, at + step);
        FloatVector d2 = FloatVector.fromArray(S, x, at + 2 * step);
        FloatVector d3 = FloatVector.fromArray(S, x, at + 3 * step);
        d0.sub(d2).intoArray(y, yAt);
        d1.add(d2).intoArray(y, yAt + yStep);
        d2.sub(d1).intoArray(y, yAt + 2 * yStep);
        d1.sub(d3).intoArray(y, yAt + 3 * yStep);
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
