package dev.sparq.backend.cpu.simd;

import java.lang.foreign.MemorySegment;
import java.util.function.IntUnaryOperator;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * F(4×4, 3×3) transforms on the Vector API, one tile per lane. The input is transposed from the padded plane (lane
 * l takes tile l's patch) by plain loads. The output is done a tile row at a time: tile l of a group of V writes
 * columns 4l to 4l + 3, so two rounds of two-source permutes interleave its four columns into whole vectors of the
 * output row (a scatter store per output element row, as before, cost 159 µs of a 760 µs ResNet-18 layer; this 129).
 * Each transform is two passes of one small 1-D transform (columns, then rows) through a per-thread buffer of a few
 * hundred floats. {@link #inputChannels} and {@link #outputChannels} are the same transforms with channels in the
 * lanes instead of tiles ({@link ChannelsLastWinograd}). No method takes or returns a vector: C2 stops inlining at a
 * node budget (NodeCountInliningCutoff) that a few Vector API expressions exhaust, and a vector passed to a method
 * it then leaves out of line is boxed.
 */
final class PanamaWinograd implements WinogradTransforms {
    private static final VectorSpecies<Float> S = PanamaSpecies.floats(SimdConfig.BITS);
    private static final java.nio.ByteOrder ORDER = java.nio.ByteOrder.nativeOrder();
    private static final int V = S.length();
    private static final ThreadLocal<float[]> BUF = ThreadLocal.withInitial(() -> new float[72 * V]);
    // interleave by 4: pairs of columns first, then pairs of pairs (V/4 tiles of 4 columns per vector)
    static final FloatVector PAIR_LO = indices(n -> (n % 2) * V + n / 2);
    static final FloatVector PAIR_HI = indices(n -> (n % 2) * V + V / 2 + n / 2);
    private static final FloatVector QUAD_LO = indices(n -> quad(n, 0));
    private static final FloatVector QUAD_HI = indices(n -> quad(n, 1));

    /** A permute's index vector: lane n takes lane {@code lane(n)} of the two sources joined. */
    static FloatVector indices(IntUnaryOperator lane) {
        float[] v = new float[V];
        for (int n = 0; n < V; n++) {
            v[n] = lane.applyAsInt(n);
        }
        return FloatVector.fromArray(S, v, 0);
    }

    /** Lane n of the h-th quarter-pair: tile n/4 (+ h·V/4) of two interleaved pairs, its column n % 4. */
    private static int quad(int n, int h) {
        int tile = n / 4 + h * V / 4;
        int col = n % 4;
        return col < 2 ? 2 * tile + col : V + 2 * tile + col - 2;
    }

    @Override
    public int lanes() {
        return V;
    }

    /** Channels per vector of {@link #inputChannels} and {@link #outputChannels}. */
    static int lanesOf() {
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
        for (int j = 0; j < 6; j++) {
            bt(t, 36 * V + j * V, 6 * V, t, j * V, 6 * V);
        }
        for (int i = 0; i < 6; i++) {
            bt(t, i * 6 * V, V, dst, dstBase + i * 6 * pStride, pStride);
        }
    }

    @Override
    public void outputRow(MemorySegment m, long mBase, int pStride, int count, float bias, float min, float max,
                          float[] out, int outAt, int wo) {
        float[] t = BUF.get();
        for (int g = 0; g * V < count; g++) {
            for (int c = 0; c < 6; c++) {
                columnOut(m, mBase + (long) V * g + (long) c * pStride, pStride, t, c * V);
            }
            for (int i = 0; i < 4; i++) {
                rowOut(t, i * 6 * V, bias, min, max, out, outAt + i * wo + 4 * V * g);
            }
        }
    }

    /**
     * Aᵀ down column c of the product (floats {@code at + k·6·pStride} of m, a native segment, never a heap one:
     * see WinogradConv), into t[tAt + i·6V].
     */
    static void columnOut(MemorySegment m, long at, int pStride, float[] t, int tAt) {
        long step = 6L * pStride * Float.BYTES;
        long b = at * Float.BYTES;
        FloatVector m0 = FloatVector.fromMemorySegment(S, m, b, ORDER);
        FloatVector m1 = FloatVector.fromMemorySegment(S, m, b + step, ORDER);
        FloatVector m2 = FloatVector.fromMemorySegment(S, m, b + 2 * step, ORDER);
        FloatVector m3 = FloatVector.fromMemorySegment(S, m, b + 3 * step, ORDER);
        FloatVector m4 = FloatVector.fromMemorySegment(S, m, b + 4 * step, ORDER);
        FloatVector m5 = FloatVector.fromMemorySegment(S, m, b + 5 * step, ORDER);
        m0.add(m1).add(m2).add(m3).add(m4).intoArray(t, tAt);
        m1.sub(m2).add(m3.sub(m4).mul(2f)).intoArray(t, tAt + 6 * V);
        m1.add(m2).add(m3.add(m4).mul(4f)).intoArray(t, tAt + 12 * V);
        m1.sub(m2).add(m3.sub(m4).mul(8f)).add(m5).intoArray(t, tAt + 18 * V);
    }

    /**
     * One output row of V tiles from t[row..]: Aᵀ across six values (as {@link #columnOut}, from the heap), bias and
     * clamp, the four columns interleaved into out[at..].
     */
    private static void rowOut(float[] t, int row, float bias, float min, float max, float[] out, int at) {
        FloatVector m0 = FloatVector.fromArray(S, t, row);
        FloatVector m1 = FloatVector.fromArray(S, t, row + V);
        FloatVector m2 = FloatVector.fromArray(S, t, row + 2 * V);
        FloatVector m3 = FloatVector.fromArray(S, t, row + 3 * V);
        FloatVector m4 = FloatVector.fromArray(S, t, row + 4 * V);
        FloatVector m5 = FloatVector.fromArray(S, t, row + 5 * V);
        FloatVector y0 = m0.add(m1).add(m2).add(m3).add(m4).add(bias);
        FloatVector y1 = m1.sub(m2).add(m3.sub(m4).mul(2f)).add(bias);
        FloatVector y2 = m1.add(m2).add(m3.add(m4).mul(4f)).add(bias);
        FloatVector y3 = m1.sub(m2).add(m3.sub(m4).mul(8f)).add(m5).add(bias);
        y0 = y0.lanewise(VectorOperators.MAX, min).lanewise(VectorOperators.MIN, max);
        y1 = y1.lanewise(VectorOperators.MAX, min).lanewise(VectorOperators.MIN, max);
        y2 = y2.lanewise(VectorOperators.MAX, min).lanewise(VectorOperators.MIN, max);
        y3 = y3.lanewise(VectorOperators.MAX, min).lanewise(VectorOperators.MIN, max);
        FloatVector lo01 = PAIR_LO.selectFrom(y0, y1);
        FloatVector hi01 = PAIR_HI.selectFrom(y0, y1);
        FloatVector lo23 = PAIR_LO.selectFrom(y2, y3);
        FloatVector hi23 = PAIR_HI.selectFrom(y2, y3);
        QUAD_LO.selectFrom(lo01, lo23).intoArray(out, at);
        QUAD_HI.selectFrom(lo01, lo23).intoArray(out, at + V);
        QUAD_LO.selectFrom(hi01, hi23).intoArray(out, at + 2 * V);
        QUAD_HI.selectFrom(hi01, hi23).intoArray(out, at + 3 * V);
    }

    /**
     * V = Bᵀ d B for one tile, V channels at once ({@link ChannelsLastWinograd}): the patch's element (i, j) is the
     * vector at x[at + i·rowStride + j·colStride]; element p of the result goes to y[yAt + p·pStride].
     */
    static void inputChannels(float[] x, int at, int rowStride, int colStride, float[] y, int yAt, int pStride) {
        float[] t = BUF.get();
        for (int i = 0; i < 6; i++) {
            bt(x, at + i * rowStride, colStride, t, i * 6 * V, V);
        }
        for (int j = 0; j < 6; j++) {
            bt(t, j * V, 6 * V, y, yAt + j * pStride, 6 * pStride);
        }
    }

    /** Bᵀ applied to the six vectors x[at + k·step]; result r goes to y[yAt + r·yStep]. */
    private static void bt(float[] x, int at, int step, float[] y, int yAt, int yStep) {
        FloatVector d0 = FloatVector.fromArray(S, x, at);
        FloatVector d1 = FloatVector.fromArray(S, x, at + step);
        FloatVector d2 = FloatVector.fromArray(S, x, at + 2 * step);
        FloatVector d3 = FloatVector.fromArray(S, x, at + 3 * step);
        FloatVector d4 = FloatVector.fromArray(S, x, at + 4 * step);
        FloatVector d5 = FloatVector.fromArray(S, x, at + 5 * step);
        d0.mul(4f).sub(d2.mul(5f)).add(d4).intoArray(y, yAt);
        d3.add(d4).sub(d1.add(d2).mul(4f)).intoArray(y, yAt + yStep);
        d1.sub(d2).mul(4f).sub(d3).add(d4).intoArray(y, yAt + 2 * yStep);
        d3.sub(d1).mul(2f).sub(d2).add(d4).intoArray(y, yAt + 3 * yStep);
        d1.sub(d3).mul(2f).sub(d2).add(d4).intoArray(y, yAt + 4 * yStep);
        d1.mul(4f).sub(d3.mul(5f)).add(d5).intoArray(y, yAt + 5 * yStep);
    }

    /**
     * Y = Aᵀ M A for one tile, V output channels at once ({@link ChannelsLastWinograd}): M's element p is the vector
     * at float {@code mAt + p·pStride} of m (native); adds bias[bAt..], clamps to [min, max] and writes output (i, j)
     * to y[yAt + i·rowStride + j·colStride].
     */
    static void outputChannels(MemorySegment m, long mAt, int pStride, float[] bias, int bAt, float min, float max,
                               float[] y, int yAt, int rowStride, int colStride) {
        float[] t = BUF.get();
        for (int c = 0; c < 6; c++) {
            columnOut(m, mAt + (long) c * pStride, pStride, t, c * V);
        }
        for (int i = 0; i < 4; i++) {
            rowChannels(t, i * 6 * V, bias, bAt, min, max, y, yAt + i * rowStride, colStride);
        }
    }

    /** One output row of a tile from t[row..] (Aᵀ across six vectors), bias and clamp, into y[at + j·step]. */
    private static void rowChannels(float[] t, int row, float[] biases, int bAt, float min, float max, float[] y,
                                    int at, int step) {
        FloatVector bias = FloatVector.fromArray(S, biases, bAt);
        FloatVector m0 = FloatVector.fromArray(S, t, row);
        FloatVector m1 = FloatVector.fromArray(S, t, row + V);
        FloatVector m2 = FloatVector.fromArray(S, t, row + 2 * V);
        FloatVector m3 = FloatVector.fromArray(S, t, row + 3 * V);
        FloatVector m4 = FloatVector.fromArray(S, t, row + 4 * V);
        FloatVector m5 = FloatVector.fromArray(S, t, row + 5 * V);
        m0.add(m1).add(m2).add(m3).add(m4).add(bias).lanewise(VectorOperators.MAX, min)
            .lanewise(VectorOperators.MIN, max).intoArray(y, at);
        m1.sub(m2).add(m3.sub(m4).mul(2f)).add(bias).lanewise(VectorOperators.MAX, min)
            .lanewise(VectorOperators.MIN, max).intoArray(y, at + step);
        m1.add(m2).add(m3.add(m4).mul(4f)).add(bias).lanewise(VectorOperators.MAX, min)
            .lanewise(VectorOperators.MIN, max).intoArray(y, at + 2 * step);
        m1.sub(m2).add(m3.sub(m4).mul(8f)).add(m5).add(bias).lanewise(VectorOperators.MAX, min)
            .lanewise(VectorOperators.MIN, max).intoArray(y, at + 3 * step);
    }
}
