package dev.sparq.backend.cpu.simd;

import dev.sparq.backend.geometry.ConvGeometry2d;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/** {@link SimdOps} on the Vector API; tails use masks, so no scalar epilogue loops. */
final class PanamaOps implements SimdOps {
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    // Static final: C2 turns Vector API calls into instructions only when the species is a constant.
    private static final VectorSpecies<Float> S = PanamaSpecies.floats(SimdConfig.BITS == 0 ? 128 : SimdConfig.BITS);
    private static final int V = S.length();
    private static final ThreadLocal<float[]> LANES = ThreadLocal.withInitial(() -> new float[V]);
    // bytes and ints with as many lanes as S (bytes need at least 64 bits: below 256-bit floats the scalar loop runs)
    private static final VectorSpecies<Integer> IS = VectorSpecies.of(int.class, S.vectorShape());
    private static final VectorSpecies<Byte> FULL_BYTES = VectorSpecies.of(byte.class, S.vectorShape());
    private static final VectorSpecies<Byte> BS = V >= 8
        ? VectorSpecies.of(byte.class, jdk.incubator.vector.VectorShape.forBitSize(V * 8)) : null;
    // Requantization (in double, like the reference) steps DV lanes, as many as a full-width double vector holds, so
    // no conversion changes the lane count: f32/int32 at half width, f64/int64 at full width, bytes in a 64-bit
    // vector at 512 bits (narrower widths store their few lanes through an array).
    private static final VectorSpecies<Double> DS = VectorSpecies.of(double.class, S.vectorShape());
    private static final int DV = DS.length();
    private static final VectorShape HALF = VectorShape.forBitSize(S.vectorBitSize() / 2);
    private static final VectorSpecies<Float> FH = VectorSpecies.of(float.class, HALF);
    private static final VectorSpecies<Integer> IH = VectorSpecies.of(int.class, HALF);
    private static final VectorSpecies<Byte> BH = DV == 8 ? ByteVector.SPECIES_64 : null;
    private static final ThreadLocal<int[]> QLANES = ThreadLocal.withInitial(() -> new int[DV]);
    /** 1.5·2^52: v + M rounds v to an integer, ties to even, for |v| ≤ 2^51. */
    private static final double DROUNDER = 6755399441055744.0;
    /** Multipliers up to 2^19 keep |acc · m + zero| below 2^51 for any int32 acc; larger ones (or NaN) go scalar. */
    private static final double TAME = 0x1p19;
    private static final ScalarOps SCALAR = new ScalarOps();
    /** 1.5·2^23: (v + M) − M rounds v to an integer, ties to even, for |v| ≤ 2^22. */
    private static final float ROUNDER = 12582912f;
    // Lane i of the result takes lane 2i (or 2i+1) of the pair (a, b); indices past V select from b.
    /** Lane l picks element 2l (2l + 1) of a pair of vectors: the two-vector selectFrom is one permute. */
    private static final FloatVector EVEN = FloatVector.zero(S).addIndex(2);
    private static final ThreadLocal<float[]> TRANSPOSE_TILE = ThreadLocal.withInitial(() -> new float[256]);
    /** {@link #storeTransposed}'s last, partial block of pixels, made whole. */
    private static final ThreadLocal<float[]> TRANSPOSE_EDGE = ThreadLocal.withInitial(() -> new float[256]);
    private static final FloatVector ODD = EVEN.add(1f);
    // the register transposes' permutes (transpose16, 8, 4); those with d ≥ V are never used at that width
    private static final FloatVector LO1 = low(1);
    private static final FloatVector HI1 = high(1);
    private static final FloatVector LO2 = low(2);
    private static final FloatVector HI2 = high(2);
    private static final FloatVector LO4 = low(4);
    private static final FloatVector HI4 = high(4);
    private static final FloatVector LO8 = low(8);
    private static final FloatVector HI8 = high(8);

    @Override
    public void axpy(float[] y, int yOff, float a, MemorySegment x, long xIndex, int n) {
        FloatVector av = FloatVector.broadcast(S, a);
        int i = 0;
        for (; i <= n - V; i += V) {
            FloatVector xv = FloatVector.fromMemorySegment(S, x, (xIndex + i) * Float.BYTES, ORDER);
            av.fma(xv, FloatVector.fromArray(S, y, yOff + i)).intoArray(y, yOff + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector xv = FloatVector.fromMemorySegment(S, x, (xIndex + i) * Float.BYTES, ORDER, m);
            av.fma(xv, FloatVector.fromArray(S, y, yOff + i, m)).intoArray(y, yOff + i, m);
        }
    }

    @Override
    public void axpy(float[] y, int yOff, float a, float[] x, int xOff, int n) {
        FloatVector av = FloatVector.broadcast(S, a);
        int i = 0;
        for (; i <= n - V; i += V) {
            av.fma(FloatVector.fromArray(S, x, xOff + i), FloatVector.fromArray(S, y, yOff + i)).intoArray(y, yOff + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            av.fma(FloatVector.fromArray(S, x, xOff + i, m), FloatVector.fromArray(S, y, yOff + i, m))
                .intoArray(y, yOff + i, m);
        }
    }

    @Override
    public void taps9(float[] y, int yOff, float[] w, int wOff, float[] x, int[] starts, int n, boolean accumulate) {
        FloatVector w0 = FloatVector.broadcast(S, w[wOff]);
        FloatVector w1 = FloatVector.broadcast(S, w[wOff + 1]);
        FloatVector w2 = FloatVector.broadcast(S, w[wOff + 2]);
        FloatVector w3 = FloatVector.broadcast(S, w[wOff + 3]);
        FloatVector w4 = FloatVector.broadcast(S, w[wOff + 4]);
        FloatVector w5 = FloatVector.broadcast(S, w[wOff + 5]);
        FloatVector w6 = FloatVector.broadcast(S, w[wOff + 6]);
        FloatVector w7 = FloatVector.broadcast(S, w[wOff + 7]);
        FloatVector w8 = FloatVector.broadcast(S, w[wOff + 8]);
        int s0 = starts[0], s1 = starts[1], s2 = starts[2], s3 = starts[3], s4 = starts[4], s5 = starts[5];
        int s6 = starts[6], s7 = starts[7], s8 = starts[8];
        int i = 0;
        for (; i <= n - V; i += V) {
            FloatVector a = accumulate ? FloatVector.fromArray(S, y, yOff + i) : FloatVector.zero(S);
            a = w0.fma(FloatVector.fromArray(S, x, s0 + i), a);
            a = w1.fma(FloatVector.fromArray(S, x, s1 + i), a);
            a = w2.fma(FloatVector.fromArray(S, x, s2 + i), a);
            a = w3.fma(FloatVector.fromArray(S, x, s3 + i), a);
            a = w4.fma(FloatVector.fromArray(S, x, s4 + i), a);
            a = w5.fma(FloatVector.fromArray(S, x, s5 + i), a);
            a = w6.fma(FloatVector.fromArray(S, x, s6 + i), a);
            a = w7.fma(FloatVector.fromArray(S, x, s7 + i), a);
            a = w8.fma(FloatVector.fromArray(S, x, s8 + i), a);
            a.intoArray(y, yOff + i);
        }
        ScalarOps.taps9(y, yOff, w, wOff, x, starts, i, n, accumulate); // the tail, summed in the same order
    }

    @Override
    public int lanes() {
        return V;
    }

    @Override
    public void depthwiseBlock(ConvGeometry2d g, float[] x, int xw, float[] w, float[] bias, float min, float max,
                               float[] y) {
        if (g.kh() == 3 && g.kw() == 3) {
            depthwiseBlock3x3(g, x, xw, w, bias, min, max, y);
            return;
        }
        int kh = g.kh();
        int kw = g.kw();
        int ow = g.ow();
        int step = g.sw() * V; // from one output pixel's window to the next one's
        for (int oy = 0; oy < g.oh(); oy++) {
            int row = oy * g.sh() * xw;
            int ox = 0;
            // four pixels at once: four independent chains of FMAs sharing each tap's weights
            for (; ox <= ow - 4; ox += 4) {
                FloatVector a0 = FloatVector.zero(S);
                FloatVector a1 = a0;
                FloatVector a2 = a0;
                FloatVector a3 = a0;
                for (int ky = 0; ky < kh; ky++) {
                    int at = (row + ky * g.dh() * xw + ox * g.sw()) * V;
                    for (int kx = 0; kx < kw; kx++, at += g.dw() * V) {
                        FloatVector wv = FloatVector.fromArray(S, w, (ky * kw + kx) * V);
                        a0 = wv.fma(FloatVector.fromArray(S, x, at), a0);
                        a1 = wv.fma(FloatVector.fromArray(S, x, at + step), a1);
                        a2 = wv.fma(FloatVector.fromArray(S, x, at + 2 * step), a2);
                        a3 = wv.fma(FloatVector.fromArray(S, x, at + 3 * step), a3);
                    }
                }
                int o = (oy * ow + ox) * V;
                a0.intoArray(y, o);
                a1.intoArray(y, o + V);
                a2.intoArray(y, o + 2 * V);
                a3.intoArray(y, o + 3 * V);
            }
            for (; ox < ow; ox++) {
                FloatVector a = FloatVector.zero(S);
                for (int ky = 0; ky < kh; ky++) {
                    int at = (row + ky * g.dh() * xw + ox * g.sw()) * V;
                    for (int kx = 0; kx < kw; kx++, at += g.dw() * V) {
                        a = FloatVector.fromArray(S, w, (ky * kw + kx) * V).fma(FloatVector.fromArray(S, x, at), a);
                    }
                }
                a.intoArray(y, (oy * ow + ox) * V);
            }
            biasClampRow(y, oy * ow * V, ow * V, bias, min, max);
        }
    }

    @Override
    public void depthwiseNhwcRows(ConvGeometry2d g, int channels, MemorySegment x, long xImage, float[] w,
                                  float[] bias, float min, float max, int oy0, int oy1, MemorySegment y, long yImage,
                                  MemorySegment zeroRow, int ringRows) {
        int full = channels / V * V;
        long outRow = (long) g.ow() * channels;
        if (g.kh() != 3 || g.kw() != 3 || g.dh() != 1 || g.dw() != 1 || g.sw() > 2 || full == 0
            || !Epilogue.blendsMin(min) || !Epilogue.blendsMax(max)) {
            for (int oy = oy0; oy < oy1; oy++) {
                depthwiseNhwcEdge(g, channels, x, xImage, w, bias, min, max, oy, y, yImage + oy * outRow, 0, g.ow(), 0,
                    ringRows);
            }
            return;
        }
        for (int c = 0; c < full; c += V) {
            if (g.sw() == 1) {
                depthwise3x3Stride1(g, channels, x, xImage, w, bias, min, max, oy0, oy1, y, yImage, zeroRow, ringRows,
                    c);
            } else {
                depthwise3x3Stride2(g, channels, x, xImage, w, bias, min, max, oy0, oy1, y, yImage, zeroRow, ringRows,
                    c);
            }
        }
        for (int oy = oy0; oy < oy1 && full < channels; oy++) {
            depthwiseNhwcEdge(g, channels, x, xImage, w, bias, min, max, oy, y, yImage + oy * outRow, 0, g.ow(), full,
                ringRows);
        }
    }

    /*
     * The 3×3 depthwise kernel (clamp by blends, channels [c, c + V) of output rows [oy0, oy1)), one method per
     * stride: the nine taps' weights and the bias stay in registers across the rows (a call and ten loads per row and
     * vector of channels were a third of a 14 × 14 layer), and a row in the padding reads the zero row. Along a row
     * the window slides over the columns whose window lies inside the image; with one column of padding on the left
     * it starts at column 0 with the missing column as zeros (zero padding's taps add nothing), and at stride 1, where
     * the image's width comes out, the last column is summed from the two columns the loop leaves in registers. What
     * columns remain go one by one to depthwise3x3Column. Column by column with each tap checked, the edges were a
     * third of a 7×7 layer. Split so, each method stays small for C1: with both strides and the edge loop in one
     * method (2200-2383 bytes of bytecode), C1 gave up on it ("out of virtual registers") and it ran 40-200× slower.
     * Each output sums one chain per input row (one chain of nine FMAs made the loop wait on its latency).
     */

    /** Stride 1: each output loads only its window's right column and keeps the other six inputs in registers. */
    private static void depthwise3x3Stride1(ConvGeometry2d g, int channels, MemorySegment x, long xImage, float[] w,
                                            float[] bias, float min, float max, int oy0, int oy1, MemorySegment y,
                                            long yImage, MemorySegment zeroRow, int ringRows, int c) {
        FloatVector w0 = FloatVector.fromArray(S, w, c);
        FloatVector w1 = FloatVector.fromArray(S, w, channels + c);
        FloatVector w2 = FloatVector.fromArray(S, w, 2 * channels + c);
        FloatVector w3 = FloatVector.fromArray(S, w, 3 * channels + c);
        FloatVector w4 = FloatVector.fromArray(S, w, 4 * channels + c);
        FloatVector w5 = FloatVector.fromArray(S, w, 5 * channels + c);
        FloatVector w6 = FloatVector.fromArray(S, w, 6 * channels + c);
        FloatVector w7 = FloatVector.fromArray(S, w, 7 * channels + c);
        FloatVector w8 = FloatVector.fromArray(S, w, 8 * channels + c);
        FloatVector b = FloatVector.fromArray(S, bias, c);
        FloatVector minV = FloatVector.broadcast(S, min);
        FloatVector maxV = FloatVector.broadcast(S, max);
        FloatVector zero = FloatVector.zero(S);
        long px = (long) channels * Float.BYTES;
        int lo = Math.min(g.ow(), g.padLeft()); // first column whose window lies inside the image
        int hi = Math.max(lo, Math.min(g.ow(), g.w() - 2 + g.padLeft())); // past the last such column
        boolean zeroLeft = g.padLeft() == 1 && g.w() >= 2;
        int from = zeroLeft ? 0 : lo;
        boolean lastInRegisters = zeroLeft && hi == g.ow() - 1 && g.ow() == g.w();
        int to = lastInRegisters ? g.ow() : hi;
        for (int oy = oy0; oy < oy1; oy++) {
            int iy0 = oy * g.sh() - g.padTop();
            MemorySegment s0 = rowSegment(g, iy0, x, zeroRow);
            MemorySegment s1 = rowSegment(g, iy0 + 1, x, zeroRow);
            MemorySegment s2 = rowSegment(g, iy0 + 2, x, zeroRow);
            long r0 = rowOffset(g, iy0, xImage, ringRows, px, c);
            long r1 = rowOffset(g, iy0 + 1, xImage, ringRows, px, c);
            long r2 = rowOffset(g, iy0 + 2, xImage, ringRows, px, c);
            long yRow = (yImage + (long) oy * g.ow() * channels + c) * Float.BYTES;
            long left = (from - g.padLeft()) * px;
            if (from < hi) {
                FloatVector p0 = zeroLeft ? zero : FloatVector.fromMemorySegment(S, s0, r0 + left, ORDER);
                FloatVector p1 = FloatVector.fromMemorySegment(S, s0, r0 + left + px, ORDER);
                FloatVector q0 = zeroLeft ? zero : FloatVector.fromMemorySegment(S, s1, r1 + left, ORDER);
                FloatVector q1 = FloatVector.fromMemorySegment(S, s1, r1 + left + px, ORDER);
                FloatVector t0 = zeroLeft ? zero : FloatVector.fromMemorySegment(S, s2, r2 + left, ORDER);
                FloatVector t1 = FloatVector.fromMemorySegment(S, s2, r2 + left + px, ORDER);
                for (int ox = from; ox < hi; ox++) {
                    long next = (ox + 2 - g.padLeft()) * px;
                    FloatVector p2 = FloatVector.fromMemorySegment(S, s0, r0 + next, ORDER);
                    FloatVector q2 = FloatVector.fromMemorySegment(S, s1, r1 + next, ORDER);
                    FloatVector t2 = FloatVector.fromMemorySegment(S, s2, r2 + next, ORDER);
                    FloatVector a = w0.fma(p0, b);
                    FloatVector m = w3.mul(q0);
                    FloatVector n = w6.mul(t0);
                    a = w1.fma(p1, a);
                    m = w4.fma(q1, m);
                    n = w7.fma(t1, n);
                    a = w2.fma(p2, a);
                    m = w5.fma(q2, m);
                    n = w8.fma(t2, n);
                    a = a.add(m).add(n);
                    a = a.blend(minV, a.compare(VectorOperators.LE, minV));
                    a = a.blend(maxV, a.compare(VectorOperators.GE, maxV));
                    a.intoMemorySegment(y, yRow + ox * px, ORDER);
                    p0 = p1;
                    p1 = p2;
                    q0 = q1;
                    q1 = q2;
                    t0 = t1;
                    t1 = t2;
                }
                if (lastInRegisters) { // the window's right column is past the image
                    FloatVector a = w0.fma(p0, b);
                    FloatVector m = w3.mul(q0);
                    FloatVector n = w6.mul(t0);
                    a = w1.fma(p1, a);
                    m = w4.fma(q1, m);
                    n = w7.fma(t1, n);
                    a = a.add(m).add(n);
                    a = a.blend(minV, a.compare(VectorOperators.LE, minV));
                    a = a.blend(maxV, a.compare(VectorOperators.GE, maxV));
                    a.intoMemorySegment(y, yRow + hi * px, ORDER);
                }
            }
            for (int e = 0; e < from + g.ow() - to; e++) {
                int ox = e < from ? e : to + e - from;
                depthwise3x3Column(g, channels, s0, r0, s1, r1, s2, r2, w, bias, min, max, c, ox, y, yRow + ox * px);
            }
        }
    }

    /** Stride 2: each window's left column is the previous one's right, so two loads a row, not three. */
    private static void depthwise3x3Stride2(ConvGeometry2d g, int channels, MemorySegment x, long xImage, float[] w,
                                            float[] bias, float min, float max, int oy0, int oy1, MemorySegment y,
                                            long yImage, MemorySegment zeroRow, int ringRows, int c) {
        FloatVector w0 = FloatVector.fromArray(S, w, c);
        FloatVector w1 = FloatVector.fromArray(S, w, channels + c);
        FloatVector w2 = FloatVector.fromArray(S, w, 2 * channels + c);
        FloatVector w3 = FloatVector.fromArray(S, w, 3 * channels + c);
        FloatVector w4 = FloatVector.fromArray(S, w, 4 * channels + c);
        FloatVector w5 = FloatVector.fromArray(S, w, 5 * channels + c);
        FloatVector w6 = FloatVector.fromArray(S, w, 6 * channels + c);
        FloatVector w7 = FloatVector.fromArray(S, w, 7 * channels + c);
        FloatVector w8 = FloatVector.fromArray(S, w, 8 * channels + c);
        FloatVector b = FloatVector.fromArray(S, bias, c);
        FloatVector minV = FloatVector.broadcast(S, min);
        FloatVector maxV = FloatVector.broadcast(S, max);
        FloatVector zero = FloatVector.zero(S);
        long px = (long) channels * Float.BYTES;
        long step = 2 * px;
        int lo = Math.min(g.ow(), (g.padLeft() + 1) / 2);
        int right = g.w() - 3 + g.padLeft();
        int hi = right < 0 ? lo : Math.max(lo, Math.min(g.ow(), right / 2 + 1));
        boolean zeroLeft = g.padLeft() == 1 && g.w() >= 2;
        int from = zeroLeft ? 0 : lo;
        for (int oy = oy0; oy < oy1; oy++) {
            int iy0 = oy * g.sh() - g.padTop();
            MemorySegment s0 = rowSegment(g, iy0, x, zeroRow);
            MemorySegment s1 = rowSegment(g, iy0 + 1, x, zeroRow);
            MemorySegment s2 = rowSegment(g, iy0 + 2, x, zeroRow);
            long r0 = rowOffset(g, iy0, xImage, ringRows, px, c);
            long r1 = rowOffset(g, iy0 + 1, xImage, ringRows, px, c);
            long r2 = rowOffset(g, iy0 + 2, xImage, ringRows, px, c);
            long yRow = (yImage + (long) oy * g.ow() * channels + c) * Float.BYTES;
            if (from < hi) {
                long left = from * step - g.padLeft() * px;
                FloatVector p0 = zeroLeft ? zero : FloatVector.fromMemorySegment(S, s0, r0 + left, ORDER);
                FloatVector q0 = zeroLeft ? zero : FloatVector.fromMemorySegment(S, s1, r1 + left, ORDER);
                FloatVector t0 = zeroLeft ? zero : FloatVector.fromMemorySegment(S, s2, r2 + left, ORDER);
                for (int ox = from; ox < hi; ox++) {
                    long col = ox * step - g.padLeft() * px;
                    FloatVector p1 = FloatVector.fromMemorySegment(S, s0, r0 + col + px, ORDER);
                    FloatVector q1 = FloatVector.fromMemorySegment(S, s1, r1 + col + px, ORDER);
                    FloatVector t1 = FloatVector.fromMemorySegment(S, s2, r2 + col + px, ORDER);
                    FloatVector p2 = FloatVector.fromMemorySegment(S, s0, r0 + col + 2 * px, ORDER);
                    FloatVector q2 = FloatVector.fromMemorySegment(S, s1, r1 + col + 2 * px, ORDER);
                    FloatVector t2 = FloatVector.fromMemorySegment(S, s2, r2 + col + 2 * px, ORDER);
                    FloatVector a = w0.fma(p0, b);
                    FloatVector m = w3.mul(q0);
                    FloatVector n = w6.mul(t0);
                    a = w1.fma(p1, a);
                    m = w4.fma(q1, m);
                    n = w7.fma(t1, n);
                    a = w2.fma(p2, a);
                    m = w5.fma(q2, m);
                    n = w8.fma(t2, n);
                    a = a.add(m).add(n);
                    a = a.blend(minV, a.compare(VectorOperators.LE, minV));
                    a = a.blend(maxV, a.compare(VectorOperators.GE, maxV));
                    a.intoMemorySegment(y, yRow + ox * px, ORDER);
                    p0 = p2;
                    q0 = q2;
                    t0 = t2;
                }
            }
            for (int e = 0; e < from + g.ow() - hi; e++) {
                int ox = e < from ? e : hi + e - from;
                depthwise3x3Column(g, channels, s0, r0, s1, r1, s2, r2, w, bias, min, max, c, ox, y, yRow + ox * px);
            }
        }
    }

    /** The input row {@code iy}'s segment: the image (or ring), or the zero row where iy is in the padding. */
    private static MemorySegment rowSegment(ConvGeometry2d g, int iy, MemorySegment x, MemorySegment zeroRow) {
        return iy >= 0 && iy < g.h() ? x : zeroRow;
    }

    /** Byte offset of channel c of the input row {@code iy} in {@link #rowSegment}'s segment (0 for the zero row). */
    private static long rowOffset(ConvGeometry2d g, int iy, long xImage, int ringRows, long px, int c) {
        long row = iy >= 0 && iy < g.h() ? xImage * Float.BYTES + SimdOps.inputRow(iy, ringRows) * g.w() * px : 0;
        return row + c * 4L;
    }

    /**
     * Output column ox of a 3×3 depthwise row, channels [c, c + V), from input rows (s0, r0) to (s2, r2) as the
     * sliding loops read them: one chain in tap order, the taps whose column lies outside the image left out.
     */
    private static void depthwise3x3Column(ConvGeometry2d g, int channels, MemorySegment s0, long r0,
                                           MemorySegment s1, long r1, MemorySegment s2, long r2, float[] w,
                                           float[] bias, float min, float max, int c, int ox, MemorySegment y,
                                           long at) {
        long px = (long) channels * Float.BYTES;
        int ix = ox * g.sw() - g.padLeft();
        FloatVector a = FloatVector.fromArray(S, bias, c);
        for (int ky = 0; ky < 3; ky++) {
            MemorySegment s = ky == 0 ? s0 : ky == 1 ? s1 : s2;
            long r = ky == 0 ? r0 : ky == 1 ? r1 : r2;
            for (int kx = 0; kx < 3; kx++) {
                if (ix + kx >= 0 && ix + kx < g.w()) {
                    a = FloatVector.fromArray(S, w, (ky * 3 + kx) * channels + c)
                        .fma(FloatVector.fromMemorySegment(S, s, r + (ix + kx) * px, ORDER), a);
                }
            }
        }
        FloatVector minV = FloatVector.broadcast(S, min);
        FloatVector maxV = FloatVector.broadcast(S, max);
        a = a.blend(minV, a.compare(VectorOperators.LE, minV));
        a = a.blend(maxV, a.compare(VectorOperators.GE, maxV));
        a.intoMemorySegment(y, at, ORDER);
    }

    /**
     * Channels [c0, C) of the columns [from, to), taps in the padding left out: any kernel, and the channels past the
     * last whole vector.
     */
    private static void depthwiseNhwcEdge(ConvGeometry2d g, int channels, MemorySegment x, long xImage, float[] w,
                                          float[] bias, float min, float max, int oy, MemorySegment y, long yRow,
                                          int from, int to, int c0, int ringRows) {
        for (int c = c0; c < channels; c += V) {
            VectorMask<Float> m = S.indexInRange(c, channels);
            FloatVector b = FloatVector.fromArray(S, bias, c, m);
            for (int ox = from; ox < to; ox++) {
                FloatVector a = b;
                for (int ky = 0; ky < g.kh(); ky++) {
                    int iy = oy * g.sh() - g.padTop() + ky * g.dh();
                    if (iy < 0 || iy >= g.h()) {
                        continue;
                    }
                    for (int kx = 0; kx < g.kw(); kx++) {
                        int ix = ox * g.sw() - g.padLeft() + kx * g.dw();
                        if (ix >= 0 && ix < g.w()) {
                            long at = (xImage + (SimdOps.inputRow(iy, ringRows) * g.w() + ix) * channels + c)
                                * Float.BYTES;
                            a = FloatVector.fromArray(S, w, (ky * g.kw() + kx) * channels + c, m)
                                .fma(FloatVector.fromMemorySegment(S, x, at, ORDER, m), a);
                        }
                    }
                }
                a.max(min).min(max).intoMemorySegment(y, (yRow + (long) ox * channels + c) * Float.BYTES, ORDER, m);
            }
        }
    }

    @Override
    public void storeChannelRows(float[] src, int srcOff, int srcStride, int pixels, int channels, float[] bias,
                                 float min, float max, MemorySegment out, long outIndex) {
        int full = channels / V * V;
        // Relu6's bounds and none by compare and blend (Epilogue#blendsMin): two instructions where Java's max/min
        // take several
        boolean blend = Epilogue.blendsMin(min) && Epilogue.blendsMax(max);
        FloatVector minV = FloatVector.broadcast(S, min);
        FloatVector maxV = FloatVector.broadcast(S, max);
        for (int c = 0; c < full; c += V) {
            FloatVector b = FloatVector.fromArray(S, bias, c);
            for (int p = 0; p < pixels; p++) {
                FloatVector r = FloatVector.fromArray(S, src, srcOff + p * srcStride + c).add(b);
                if (blend) {
                    r = r.blend(minV, r.compare(VectorOperators.LE, minV));
                    r = r.blend(maxV, r.compare(VectorOperators.GE, maxV));
                } else {
                    r = r.max(min).min(max);
                }
                r.intoMemorySegment(out, (outIndex + (long) p * channels + c) * Float.BYTES, ORDER);
            }
        }
        ScalarOps.storeChannelRows(src, srcOff, srcStride, pixels, channels, full, bias, min, max, out, outIndex);
    }

    @Override
    public void channelMeans(MemorySegment x, long xIndex, int pixels, int channels, float scale, MemorySegment y,
                             long yIndex) {
        int full = channels / V * V;
        for (int c = 0; c < full; c += V) {
            FloatVector sum = FloatVector.zero(S);
            for (int p = 0; p < pixels; p++) {
                sum = sum.add(FloatVector.fromMemorySegment(S, x, (xIndex + (long) p * channels + c) * Float.BYTES,
                    ORDER));
            }
            sum.mul(scale).intoMemorySegment(y, (yIndex + c) * Float.BYTES, ORDER);
        }
        ScalarOps.channelMeans(x, xIndex, pixels, channels, full, scale, y, yIndex);
    }

    @Override
    public void transpose(MemorySegment src, long srcIndex, int rows, int cols, MemorySegment dst, long dstIndex) {
        // staged on the heap, where the 16 × 16 register transposes run: two bulk copies cost less than element
        // access to the segments
        int n = Math.multiplyExact(rows, cols);
        float[] in = Scratch.of(2).get(n);
        float[] out = Scratch.of(3).get(n);
        MemorySegment.copy(src, ValueLayout.JAVA_FLOAT, srcIndex * Float.BYTES, in, 0, n);
        transpose(in, 0, cols, rows, cols, out, 0, rows);
        MemorySegment.copy(out, 0, dst, ValueLayout.JAVA_FLOAT, dstIndex * Float.BYTES, n);
    }

    @Override
    public void interleaveLanes(float[] src, int[] laneOffsets, int srcOff, float[] dst, int dstOff, int n) {
        for (int i = 0; i < n; i++) {
            FloatVector.fromArray(S, src, srcOff + i, laneOffsets, 0).intoArray(dst, dstOff + i * V);
        }
    }

    @Override
    public void transpose(float[] src, int srcOff, int srcStride, int rows, int cols, float[] dst, int dstOff,
                          int dstStride) {
        int rowsDone = rows / V * V;
        int colsDone = cols / V * V;
        for (int r = 0; r < rowsDone; r += V) {
            for (int c = 0; c < colsDone; c += V) {
                transposeBlock(src, srcOff + r * srcStride + c, srcStride, dst, dstOff + c * dstStride + r,
                    dstStride);
            }
        }
        // the edges element by element: the columns past the whole blocks, then the rows past them
        ScalarOps.transpose(src, srcOff, srcStride, 0, rowsDone, colsDone, cols, dst, dstOff, dstStride);
        ScalarOps.transpose(src, srcOff, srcStride, rowsDone, rows, 0, cols, dst, dstOff, dstStride);
    }

    @Override
    public void transpose(float[] src, int srcOff, int srcStride, int rows, int cols, MemorySegment dst, long dstIndex,
                          long dstStride) {
        int rowsDone = rows / V * V;
        int colsDone = cols / V * V;
        // each block through a V × V heap tile, then copied out row by row: the permutes stay in one method
        float[] tile = TRANSPOSE_TILE.get();
        for (int r = 0; r < rowsDone; r += V) {
            for (int c = 0; c < colsDone; c += V) {
                transposeBlock(src, srcOff + r * srcStride + c, srcStride, tile, 0, V);
                for (int i = 0; i < V; i++) {
                    FloatVector.fromArray(S, tile, V * i).intoMemorySegment(dst,
                        (dstIndex + (c + i) * dstStride + r) * Float.BYTES, ORDER);
                }
            }
        }
        ScalarOps.transpose(src, srcOff, srcStride, 0, rowsDone, colsDone, cols, dst, dstIndex, dstStride);
        ScalarOps.transpose(src, srcOff, srcStride, rowsDone, rows, 0, cols, dst, dstIndex, dstStride);
    }

    @Override
    public void storeTransposed(float[] src, int srcOff, int srcStride, int pixels, int c0, int c1, float[] bias,
                                float min, float max, MemorySegment out, long outIndex, long outStride) {
        // V × V blocks transposed in registers through a heap tile, each of its rows stored with its channel's
        // bias and clamp: no channel-major copy of the whole product is written and read back
        boolean blend = Epilogue.blendsMin(min) && Epilogue.blendsMax(max);
        FloatVector minV = FloatVector.broadcast(S, min);
        FloatVector maxV = FloatVector.broadcast(S, max);
        float[] tile = TRANSPOSE_TILE.get();
        float[] edge = TRANSPOSE_EDGE.get();
        int cFull = c0 + (c1 - c0) / V * V;
        for (int c = c0; c < cFull; c += V) {
            for (int p = 0; p < pixels; p += V) {
                int n = Math.min(V, pixels - p);
                if (n == V) {
                    transposeBlock(src, srcOff + p * srcStride + c, srcStride, tile, 0, V);
                } else {
                    // the last pixels: only rows that exist are read, the block's other rows repeat them
                    for (int r = 0; r < V; r++) {
                        System.arraycopy(src, srcOff + (p + Math.min(r, n - 1)) * srcStride + c, edge, V * r, V);
                    }
                    transposeBlock(edge, 0, V, tile, 0, V);
                }
                VectorMask<Float> m = S.indexInRange(0, n);
                for (int i = 0; i < V; i++) {
                    FloatVector r = FloatVector.fromArray(S, tile, V * i).add(bias[c + i]);
                    if (blend) {
                        r = r.blend(minV, r.compare(VectorOperators.LE, minV));
                        r = r.blend(maxV, r.compare(VectorOperators.GE, maxV));
                    } else {
                        r = r.max(min).min(max);
                    }
                    long at = (outIndex + (c + i) * outStride + p) * Float.BYTES;
                    if (n == V) {
                        r.intoMemorySegment(out, at, ORDER);
                    } else {
                        r.intoMemorySegment(out, at, ORDER, m);
                    }
                }
            }
        }
        SCALAR.storeTransposed(src, srcOff, srcStride, pixels, cFull, c1, bias, min, max, out, outIndex, outStride);
    }

    /**
     * dst[dstOff + c·dstStride + r] = src[srcOff + r·srcStride + c] for r, c in [0, 16): a 16 × 16 transpose in
     * registers at 512 bits, four rounds of two-vector permutes, each swapping one bit of the row index with the
     * same bit of the column index: twice as fast as a gather per vector (depthwise blocks back to planes).
     */
    private static void transpose16(float[] src, int srcOff, int srcStride, float[] dst, int dstOff, int dstStride) {
        FloatVector r0 = FloatVector.fromArray(S, src, srcOff);
        FloatVector r1 = FloatVector.fromArray(S, src, srcOff + srcStride);
        FloatVector r2 = FloatVector.fromArray(S, src, srcOff + 2 * srcStride);
        FloatVector r3 = FloatVector.fromArray(S, src, srcOff + 3 * srcStride);
        FloatVector r4 = FloatVector.fromArray(S, src, srcOff + 4 * srcStride);
        FloatVector r5 = FloatVector.fromArray(S, src, srcOff + 5 * srcStride);
        FloatVector r6 = FloatVector.fromArray(S, src, srcOff + 6 * srcStride);
        FloatVector r7 = FloatVector.fromArray(S, src, srcOff + 7 * srcStride);
        FloatVector r8 = FloatVector.fromArray(S, src, srcOff + 8 * srcStride);
        FloatVector r9 = FloatVector.fromArray(S, src, srcOff + 9 * srcStride);
        FloatVector r10 = FloatVector.fromArray(S, src, srcOff + 10 * srcStride);
        FloatVector r11 = FloatVector.fromArray(S, src, srcOff + 11 * srcStride);
        FloatVector r12 = FloatVector.fromArray(S, src, srcOff + 12 * srcStride);
        FloatVector r13 = FloatVector.fromArray(S, src, srcOff + 13 * srcStride);
        FloatVector r14 = FloatVector.fromArray(S, src, srcOff + 14 * srcStride);
        FloatVector r15 = FloatVector.fromArray(S, src, srcOff + 15 * srcStride);
        FloatVector t0;
        FloatVector t1;
        // bit 3 (rows r and r + 8)
        t0 = LO8.selectFrom(r0, r8); t1 = HI8.selectFrom(r0, r8); r0 = t0; r8 = t1;
        t0 = LO8.selectFrom(r1, r9); t1 = HI8.selectFrom(r1, r9); r1 = t0; r9 = t1;
        t0 = LO8.selectFrom(r2, r10); t1 = HI8.selectFrom(r2, r10); r2 = t0; r10 = t1;
        t0 = LO8.selectFrom(r3, r11); t1 = HI8.selectFrom(r3, r11); r3 = t0; r11 = t1;
        t0 = LO8.selectFrom(r4, r12); t1 = HI8.selectFrom(r4, r12); r4 = t0; r12 = t1;
        t0 = LO8.selectFrom(r5, r13); t1 = HI8.selectFrom(r5, r13); r5 = t0; r13 = t1;
        t0 = LO8.selectFrom(r6, r14); t1 = HI8.selectFrom(r6, r14); r6 = t0; r14 = t1;
        t0 = LO8.selectFrom(r7, r15); t1 = HI8.selectFrom(r7, r15); r7 = t0; r15 = t1;
        // bit 2 (rows r and r + 4)
        t0 = LO4.selectFrom(r0, r4); t1 = HI4.selectFrom(r0, r4); r0 = t0; r4 = t1;
        t0 = LO4.selectFrom(r1, r5); t1 = HI4.selectFrom(r1, r5); r1 = t0; r5 = t1;
        t0 = LO4.selectFrom(r2, r6); t1 = HI4.selectFrom(r2, r6); r2 = t0; r6 = t1;
        t0 = LO4.selectFrom(r3, r7); t1 = HI4.selectFrom(r3, r7); r3 = t0; r7 = t1;
        t0 = LO4.selectFrom(r8, r12); t1 = HI4.selectFrom(r8, r12); r8 = t0; r12 = t1;
        t0 = LO4.selectFrom(r9, r13); t1 = HI4.selectFrom(r9, r13); r9 = t0; r13 = t1;
        t0 = LO4.selectFrom(r10, r14); t1 = HI4.selectFrom(r10, r14); r10 = t0; r14 = t1;
        t0 = LO4.selectFrom(r11, r15); t1 = HI4.selectFrom(r11, r15); r11 = t0; r15 = t1;
        // bit 1 (rows r and r + 2)
        t0 = LO2.selectFrom(r0, r2); t1 = HI2.selectFrom(r0, r2); r0 = t0; r2 = t1;
        t0 = LO2.selectFrom(r1, r3); t1 = HI2.selectFrom(r1, r3); r1 = t0; r3 = t1;
        t0 = LO2.selectFrom(r4, r6); t1 = HI2.selectFrom(r4, r6); r4 = t0; r6 = t1;
        t0 = LO2.selectFrom(r5, r7); t1 = HI2.selectFrom(r5, r7); r5 = t0; r7 = t1;
        t0 = LO2.selectFrom(r8, r10); t1 = HI2.selectFrom(r8, r10); r8 = t0; r10 = t1;
        t0 = LO2.selectFrom(r9, r11); t1 = HI2.selectFrom(r9, r11); r9 = t0; r11 = t1;
        t0 = LO2.selectFrom(r12, r14); t1 = HI2.selectFrom(r12, r14); r12 = t0; r14 = t1;
        t0 = LO2.selectFrom(r13, r15); t1 = HI2.selectFrom(r13, r15); r13 = t0; r15 = t1;
        // bit 0 (rows r and r + 1)
        t0 = LO1.selectFrom(r0, r1); t1 = HI1.selectFrom(r0, r1); r0 = t0; r1 = t1;
        t0 = LO1.selectFrom(r2, r3); t1 = HI1.selectFrom(r2, r3); r2 = t0; r3 = t1;
        t0 = LO1.selectFrom(r4, r5); t1 = HI1.selectFrom(r4, r5); r4 = t0; r5 = t1;
        t0 = LO1.selectFrom(r6, r7); t1 = HI1.selectFrom(r6, r7); r6 = t0; r7 = t1;
        t0 = LO1.selectFrom(r8, r9); t1 = HI1.selectFrom(r8, r9); r8 = t0; r9 = t1;
        t0 = LO1.selectFrom(r10, r11); t1 = HI1.selectFrom(r10, r11); r10 = t0; r11 = t1;
        t0 = LO1.selectFrom(r12, r13); t1 = HI1.selectFrom(r12, r13); r12 = t0; r13 = t1;
        t0 = LO1.selectFrom(r14, r15); t1 = HI1.selectFrom(r14, r15); r14 = t0; r15 = t1;
        r0.intoArray(dst, dstOff);
        r1.intoArray(dst, dstOff + dstStride);
        r2.intoArray(dst, dstOff + 2 * dstStride);
        r3.intoArray(dst, dstOff + 3 * dstStride);
        r4.intoArray(dst, dstOff + 4 * dstStride);
        r5.intoArray(dst, dstOff + 5 * dstStride);
        r6.intoArray(dst, dstOff + 6 * dstStride);
        r7.intoArray(dst, dstOff + 7 * dstStride);
        r8.intoArray(dst, dstOff + 8 * dstStride);
        r9.intoArray(dst, dstOff + 9 * dstStride);
        r10.intoArray(dst, dstOff + 10 * dstStride);
        r11.intoArray(dst, dstOff + 11 * dstStride);
        r12.intoArray(dst, dstOff + 12 * dstStride);
        r13.intoArray(dst, dstOff + 13 * dstStride);
        r14.intoArray(dst, dstOff + 14 * dstStride);
        r15.intoArray(dst, dstOff + 15 * dstStride);
    }

    /** {@link #transpose16}'s V × V block at the width in use: 16, 8 or 4 lanes. */
    private static void transposeBlock(float[] src, int srcOff, int srcStride, float[] dst, int dstOff, int dstStride) {
        if (V == 16) {
            transpose16(src, srcOff, srcStride, dst, dstOff, dstStride);
        } else if (V == 8) {
            transpose8(src, srcOff, srcStride, dst, dstOff, dstStride);
        } else {
            transpose4(src, srcOff, srcStride, dst, dstOff, dstStride);
        }
    }

    /** {@link #transpose16} at 256 bits: three rounds. */
    private static void transpose8(float[] src, int srcOff, int srcStride, float[] dst, int dstOff, int dstStride) {
        FloatVector r0 = FloatVector.fromArray(S, src, srcOff);
        FloatVector r1 = FloatVector.fromArray(S, src, srcOff + srcStride);
        FloatVector r2 = FloatVector.fromArray(S, src, srcOff + 2 * srcStride);
        FloatVector r3 = FloatVector.fromArray(S, src, srcOff + 3 * srcStride);
        FloatVector r4 = FloatVector.fromArray(S, src, srcOff + 4 * srcStride);
        FloatVector r5 = FloatVector.fromArray(S, src, srcOff + 5 * srcStride);
        FloatVector r6 = FloatVector.fromArray(S, src, srcOff + 6 * srcStride);
        FloatVector r7 = FloatVector.fromArray(S, src, srcOff + 7 * srcStride);
        FloatVector t0;
        FloatVector t1;
        t0 = LO4.selectFrom(r0, r4); t1 = HI4.selectFrom(r0, r4); r0 = t0; r4 = t1;
        t0 = LO4.selectFrom(r1, r5); t1 = HI4.selectFrom(r1, r5); r1 = t0; r5 = t1;
        t0 = LO4.selectFrom(r2, r6); t1 = HI4.selectFrom(r2, r6); r2 = t0; r6 = t1;
        t0 = LO4.selectFrom(r3, r7); t1 = HI4.selectFrom(r3, r7); r3 = t0; r7 = t1;
        t0 = LO2.selectFrom(r0, r2); t1 = HI2.selectFrom(r0, r2); r0 = t0; r2 = t1;
        t0 = LO2.selectFrom(r1, r3); t1 = HI2.selectFrom(r1, r3); r1 = t0; r3 = t1;
        t0 = LO2.selectFrom(r4, r6); t1 = HI2.selectFrom(r4, r6); r4 = t0; r6 = t1;
        t0 = LO2.selectFrom(r5, r7); t1 = HI2.selectFrom(r5, r7); r5 = t0; r7 = t1;
        t0 = LO1.selectFrom(r0, r1); t1 = HI1.selectFrom(r0, r1); r0 = t0; r1 = t1;
        t0 = LO1.selectFrom(r2, r3); t1 = HI1.selectFrom(r2, r3); r2 = t0; r3 = t1;
        t0 = LO1.selectFrom(r4, r5); t1 = HI1.selectFrom(r4, r5); r4 = t0; r5 = t1;
        t0 = LO1.selectFrom(r6, r7); t1 = HI1.selectFrom(r6, r7); r6 = t0; r7 = t1;
        r0.intoArray(dst, dstOff);
        r1.intoArray(dst, dstOff + dstStride);
        r2.intoArray(dst, dstOff + 2 * dstStride);
        r3.intoArray(dst, dstOff + 3 * dstStride);
        r4.intoArray(dst, dstOff + 4 * dstStride);
        r5.intoArray(dst, dstOff + 5 * dstStride);
        r6.intoArray(dst, dstOff + 6 * dstStride);
        r7.intoArray(dst, dstOff + 7 * dstStride);
    }

    /** {@link #transpose16} at 128 bits: two rounds. */
    private static void transpose4(float[] src, int srcOff, int srcStride, float[] dst, int dstOff, int dstStride) {
        FloatVector r0 = FloatVector.fromArray(S, src, srcOff);
        FloatVector r1 = FloatVector.fromArray(S, src, srcOff + srcStride);
        FloatVector r2 = FloatVector.fromArray(S, src, srcOff + 2 * srcStride);
        FloatVector r3 = FloatVector.fromArray(S, src, srcOff + 3 * srcStride);
        FloatVector t0;
        FloatVector t1;
        t0 = LO2.selectFrom(r0, r2); t1 = HI2.selectFrom(r0, r2); r0 = t0; r2 = t1;
        t0 = LO2.selectFrom(r1, r3); t1 = HI2.selectFrom(r1, r3); r1 = t0; r3 = t1;
        t0 = LO1.selectFrom(r0, r1); t1 = HI1.selectFrom(r0, r1); r0 = t0; r1 = t1;
        t0 = LO1.selectFrom(r2, r3); t1 = HI1.selectFrom(r2, r3); r2 = t0; r3 = t1;
        r0.intoArray(dst, dstOff);
        r1.intoArray(dst, dstOff + dstStride);
        r2.intoArray(dst, dstOff + 2 * dstStride);
        r3.intoArray(dst, dstOff + 3 * dstStride);
    }

    /**
     * Round d of {@link #transpose16} for rows a (bit d clear) and b: a keeps its columns with bit d clear and takes
     * b's from d to the left; b takes a's columns with bit d set and keeps its own ({@code selectFrom(a, b)} reads
     * index j of a, j + V of b).
     */
    private static FloatVector low(int d) {
        float[] idx = new float[V];
        for (int j = 0; j < V; j++) {
            idx[j] = (j & d) == 0 ? j : j - d + V;
        }
        return FloatVector.fromArray(S, idx, 0);
    }

    private static FloatVector high(int d) {
        float[] idx = new float[V];
        for (int j = 0; j < V; j++) {
            idx[j] = (j & d) == 0 ? j + d : j + V;
        }
        return FloatVector.fromArray(S, idx, 0);
    }

    /**
     * The 3×3 case with the nine weight vectors held in registers, as {@link #taps9} does: per output pixel nine loads
     * and FMAs that depend on nothing from the pixel before, so consecutive pixels overlap.
     */
    private static void depthwiseBlock3x3(ConvGeometry2d g, float[] x, int xw, float[] w, float[] bias, float min,
                                          float max, float[] y) {
        FloatVector w0 = FloatVector.fromArray(S, w, 0);
        FloatVector w1 = FloatVector.fromArray(S, w, V);
        FloatVector w2 = FloatVector.fromArray(S, w, 2 * V);
        FloatVector w3 = FloatVector.fromArray(S, w, 3 * V);
        FloatVector w4 = FloatVector.fromArray(S, w, 4 * V);
        FloatVector w5 = FloatVector.fromArray(S, w, 5 * V);
        FloatVector w6 = FloatVector.fromArray(S, w, 6 * V);
        FloatVector w7 = FloatVector.fromArray(S, w, 7 * V);
        FloatVector w8 = FloatVector.fromArray(S, w, 8 * V);
        int ow = g.ow();
        int step = g.sw() * V;
        int dx = g.dw() * V;
        int dy = g.dh() * xw * V;
        for (int oy = 0; oy < g.oh(); oy++) {
            int r0 = oy * g.sh() * xw * V;
            int r1 = r0 + dy;
            int r2 = r1 + dy;
            int o = oy * ow * V;
            for (int ox = 0, at = 0; ox < ow; ox++, at += step, o += V) {
                FloatVector a = w0.fma(FloatVector.fromArray(S, x, r0 + at), FloatVector.zero(S));
                a = w1.fma(FloatVector.fromArray(S, x, r0 + at + dx), a);
                a = w2.fma(FloatVector.fromArray(S, x, r0 + at + 2 * dx), a);
                a = w3.fma(FloatVector.fromArray(S, x, r1 + at), a);
                a = w4.fma(FloatVector.fromArray(S, x, r1 + at + dx), a);
                a = w5.fma(FloatVector.fromArray(S, x, r1 + at + 2 * dx), a);
                a = w6.fma(FloatVector.fromArray(S, x, r2 + at), a);
                a = w7.fma(FloatVector.fromArray(S, x, r2 + at + dx), a);
                a = w8.fma(FloatVector.fromArray(S, x, r2 + at + 2 * dx), a);
                a.intoArray(y, o);
            }
            biasClampRow(y, oy * ow * V, ow * V, bias, min, max);
        }
    }

    /**
     * y[from, from + n) = clamp(y + bias, min, max), bias one value per lane, n a multiple of the vector length; for
     * the depthwise blocks, after each output row. Arrays in and out, no vector: a vector passed to or returned from
     * a call that C2 leaves out of line is boxed, and whether it does depends on the profile the JIT saw (a helper
     * that took and returned vectors made MobileNetV2's depthwise layers 1.5-2× slower in some JVM runs). An
     * infinite bound changes no bit and is skipped: Math.max/min semantics cost several instructions each.
     */
    private static void biasClampRow(float[] y, int from, int n, float[] bias, float min, float max) {
        FloatVector b = FloatVector.fromArray(S, bias, 0);
        boolean lo = min != Float.NEGATIVE_INFINITY;
        boolean hi = max != Float.POSITIVE_INFINITY;
        for (int i = from; i < from + n; i += V) {
            FloatVector r = FloatVector.fromArray(S, y, i).add(b);
            if (lo) {
                r = r.lanewise(VectorOperators.MAX, min);
            }
            if (hi) {
                r = r.lanewise(VectorOperators.MIN, max);
            }
            r.intoArray(y, i);
        }
    }

    @Override
    public void dotRuns4(float[] y, int yOff, int yStride, float[] w, int wOff, int k, float[] x, int[] starts,
                         int n) {
        int i = 0;
        // 2 vectors of pixels × 4 channels: 8 accumulators, 2 loads and 4 broadcasts per 8 FMAs
        for (; i <= n - 2 * V; i += 2 * V) {
            FloatVector a0 = FloatVector.zero(S);
            FloatVector a1 = a0;
            FloatVector b0 = a0;
            FloatVector b1 = a0;
            FloatVector c0 = a0;
            FloatVector c1 = a0;
            FloatVector d0 = a0;
            FloatVector d1 = a0;
            for (int j = 0; j < k; j++) {
                int s = starts[j] + i;
                FloatVector x0 = FloatVector.fromArray(S, x, s);
                FloatVector x1 = FloatVector.fromArray(S, x, s + V);
                FloatVector v = FloatVector.broadcast(S, w[wOff + j]);
                a0 = v.fma(x0, a0);
                a1 = v.fma(x1, a1);
                v = FloatVector.broadcast(S, w[wOff + k + j]);
                b0 = v.fma(x0, b0);
                b1 = v.fma(x1, b1);
                v = FloatVector.broadcast(S, w[wOff + 2 * k + j]);
                c0 = v.fma(x0, c0);
                c1 = v.fma(x1, c1);
                v = FloatVector.broadcast(S, w[wOff + 3 * k + j]);
                d0 = v.fma(x0, d0);
                d1 = v.fma(x1, d1);
            }
            int at = yOff + i;
            a0.intoArray(y, at);
            a1.intoArray(y, at + V);
            b0.intoArray(y, at + yStride);
            b1.intoArray(y, at + yStride + V);
            c0.intoArray(y, at + 2 * yStride);
            c1.intoArray(y, at + 2 * yStride + V);
            d0.intoArray(y, at + 3 * yStride);
            d1.intoArray(y, at + 3 * yStride + V);
        }
        ScalarOps.dotRuns4(y, yOff, yStride, w, wOff, k, x, starts, i, n); // the tail, summed in the same order
    }

    @Override
    public void copyPanels(MemorySegment src, long srcIndex, int panels, int width, float[] dst, int dstOff,
                           int dstStride) {
        if (width != 2 * V) {
            for (int p = 0; p < panels; p++) {
                MemorySegment.copy(src, ValueLayout.JAVA_FLOAT, (srcIndex + (long) p * width) * Float.BYTES, dst,
                    dstOff + p * dstStride, width);
            }
            return;
        }
        long off = srcIndex * Float.BYTES;
        for (int p = 0; p < panels; p++, off += 8L * V) {
            int to = dstOff + p * dstStride;
            FloatVector.fromMemorySegment(S, src, off, ORDER).intoArray(dst, to);
            FloatVector.fromMemorySegment(S, src, off + 4L * V, ORDER).intoArray(dst, to + V);
        }
    }

    @Override
    public void subsample(MemorySegment src, long srcIndex, int n, int step, MemorySegment dst, long dstIndex) {
        if (step != 2) {
            ScalarOps.subsampleScalar(src, srcIndex, n, step, dst, dstIndex);
            return;
        }
        long in = srcIndex * Float.BYTES;
        long out = dstIndex * Float.BYTES;
        int i = 0;
        // whole steps while their last read (the odd value after output i + V − 1) is one the row still has
        for (; i + V < n; i += V, in += 8L * V, out += 4L * V) {
            FloatVector a = FloatVector.fromMemorySegment(S, src, in, ORDER);
            FloatVector b = FloatVector.fromMemorySegment(S, src, in + 4L * V, ORDER);
            EVEN.selectFrom(a, b).intoMemorySegment(dst, out, ORDER);
        }
        int left = n - i; // 1 .. V outputs from 2·left − 1 values
        if (left > 0) {
            int reads = 2 * left - 1;
            FloatVector a = FloatVector.fromMemorySegment(S, src, in, ORDER, S.indexInRange(0, reads));
            FloatVector b = FloatVector.fromMemorySegment(S, src, in + 4L * V, ORDER, S.indexInRange(V, reads));
            EVEN.selectFrom(a, b).intoMemorySegment(dst, out, ORDER, S.indexInRange(0, left));
        }
    }

    @Override
    public void deinterleave2(MemorySegment src, long srcIndex, int n, float[] even, int evenOff, float[] odd,
                              int oddOff) {
        long off = srcIndex * Float.BYTES;
        if (n < 2 * V) {
            // a short row as one masked step: no element loop here, whose profiled loop predicates C2 kept
            // speculating on and trapping (30 recompilations of this method seen while a model loaded)
            if (n > 0) {
                FloatVector a = FloatVector.fromMemorySegment(S, src, off, ORDER, S.indexInRange(0, n));
                FloatVector b = FloatVector.fromMemorySegment(S, src, off + 4L * V, ORDER, S.indexInRange(V, n));
                EVEN.selectFrom(a, b).intoArray(even, evenOff, S.indexInRange(0, (n + 1) / 2));
                ODD.selectFrom(a, b).intoArray(odd, oddOff, S.indexInRange(0, n / 2));
            }
            return;
        }
        int i = 0;
        for (; i + 2 * V <= n; i += 2 * V, off += 8L * V) {
            FloatVector a = FloatVector.fromMemorySegment(S, src, off, ORDER);
            FloatVector b = FloatVector.fromMemorySegment(S, src, off + 4L * V, ORDER);
            EVEN.selectFrom(a, b).intoArray(even, evenOff + i / 2);
            ODD.selectFrom(a, b).intoArray(odd, oddOff + i / 2);
        }
        if (i < n) {
            // the tail as one more whole step ending at (or one before) the last element: it rewrites a few
            // outputs with the same values, where element-by-element reads cost more than the vector steps
            int j = (n - 2 * V) & ~1;
            long at = (srcIndex + j) * Float.BYTES;
            FloatVector a = FloatVector.fromMemorySegment(S, src, at, ORDER);
            FloatVector b = FloatVector.fromMemorySegment(S, src, at + 4L * V, ORDER);
            EVEN.selectFrom(a, b).intoArray(even, evenOff + j / 2);
            ODD.selectFrom(a, b).intoArray(odd, oddOff + j / 2);
            i = j + 2 * V;
        }
        if (i < n) { // an odd length leaves the last element, an even one
            even[evenOff + i / 2] = src.getAtIndex(ValueLayout.JAVA_FLOAT, srcIndex + i);
        }
    }

    /**
     * Gathers: dst is src's columns one after another, so output j is src[(j % width)·kb + j / width], a pattern
     * that repeats every lcm(width, V) outputs with k moved on by lcm / width; one gather per V outputs, plain
     * stores. 1.8x faster than copying element by element at width 12 (the gather is per 16 lanes).
     */
    @Override
    public void interleaveRows(float[] src, int width, int kb, float[] dst, int dstOff) {
        if (width % V == 0 && width <= 16) { // a [width][kb] block to [kb][width]: register transposes, no gathers
            transpose(src, 0, kb, width, kb, dst, dstOff, width);
            return;
        }
        int period = width * V / gcd(width, V);
        int o = dstOff;
        int k = 0;
        if (width > 1 && period <= 8 * V) {
            int kStep = period / width;
            int[] map = new int[period];
            for (int j = 0; j < period; j++) {
                map[j] = (j % width) * kb + j / width;
            }
            for (; k + kStep <= kb; k += kStep) {
                for (int j = 0; j < period; j += V, o += V) {
                    FloatVector.fromArray(S, src, k, map, j).intoArray(dst, o);
                }
            }
        }
        ScalarOps.interleaveRows(src, width, kb, dst, dstOff, k); // the rest, element by element
    }

    private static int gcd(int a, int b) {
        return b == 0 ? a : gcd(b, a % b);
    }

    @Override
    public void copyPanels(float[] src, int srcOff, int panels, int width, float[] dst, int dstOff, int dstStride) {
        if (width != 2 * V) { // the GEMM's panels are 2 vectors wide; anything else the plain way
            for (int p = 0; p < panels; p++) {
                System.arraycopy(src, srcOff + p * width, dst, dstOff + p * dstStride, width);
            }
            return;
        }
        for (int p = 0; p < panels; p++) {
            int from = srcOff + p * width;
            int to = dstOff + p * dstStride;
            FloatVector.fromArray(S, src, from).intoArray(dst, to);
            FloatVector.fromArray(S, src, from + V).intoArray(dst, to + V);
        }
    }

    @Override
    public void deinterleave2(float[] src, int srcOff, int n, float[] even, int evenOff, float[] odd, int oddOff) {
        if (n < 2 * V) { // as in the segment version: a short row is one masked step
            if (n > 0) {
                FloatVector a = FloatVector.fromArray(S, src, srcOff, S.indexInRange(0, n));
                FloatVector b = FloatVector.fromArray(S, src, srcOff + V, S.indexInRange(V, n));
                EVEN.selectFrom(a, b).intoArray(even, evenOff, S.indexInRange(0, (n + 1) / 2));
                ODD.selectFrom(a, b).intoArray(odd, oddOff, S.indexInRange(0, n / 2));
            }
            return;
        }
        int i = 0;
        for (; i + 2 * V <= n; i += 2 * V) {
            FloatVector a = FloatVector.fromArray(S, src, srcOff + i);
            FloatVector b = FloatVector.fromArray(S, src, srcOff + i + V);
            EVEN.selectFrom(a, b).intoArray(even, evenOff + i / 2);
            ODD.selectFrom(a, b).intoArray(odd, oddOff + i / 2);
        }
        if (i < n) { // as in the segment version: one more whole step ending at the tail
            int j = (n - 2 * V) & ~1;
            FloatVector a = FloatVector.fromArray(S, src, srcOff + j);
            FloatVector b = FloatVector.fromArray(S, src, srcOff + j + V);
            EVEN.selectFrom(a, b).intoArray(even, evenOff + j / 2);
            ODD.selectFrom(a, b).intoArray(odd, oddOff + j / 2);
            i = j + 2 * V;
        }
        if (i < n) {
            even[evenOff + i / 2] = src[srcOff + i];
        }
    }

    @Override
    public void axpyStrided(float[] y, int yOff, float a, MemorySegment x, long xIndex, int stride, int n) {
        for (int i = 0; i < n; i++) {
            y[yOff + i] = Math.fma(a, x.getAtIndex(ValueLayout.JAVA_FLOAT, xIndex + (long) i * stride), y[yOff + i]);
        }
    }

    @Override
    public void max3(MemorySegment x, long a, long b, long c, float[] y, int yOff, int n) {
        int i = 0;
        for (; i <= n - V; i += V) {
            max3(x, a + i, b + i, c + i).intoArray(y, yOff + i);
        }
        if (i < n && n >= V) {
            // the tail as one more whole vector ending at the last element: it rewrites a few outputs with the same
            // values, where a masked step checks each lane
            max3(x, a + n - V, b + n - V, c + n - V).intoArray(y, yOff + n - V);
        } else {
            ScalarOps.max3(x, a, b, c, y, yOff, i, n); // shorter than a vector
        }
    }

    private static FloatVector max3(MemorySegment x, long a, long b, long c) {
        return FloatVector.fromMemorySegment(S, x, a * Float.BYTES, ORDER)
            .lanewise(VectorOperators.MAX, FloatVector.fromMemorySegment(S, x, b * Float.BYTES, ORDER))
            .lanewise(VectorOperators.MAX, FloatVector.fromMemorySegment(S, x, c * Float.BYTES, ORDER));
    }

    @Override
    public void max(float[] y, int yOff, float[] x, int xOff, int n) {
        int i = 0;
        for (; i <= n - V; i += V) {
            FloatVector.fromArray(S, y, yOff + i).lanewise(VectorOperators.MAX, FloatVector.fromArray(S, x, xOff + i))
                .intoArray(y, yOff + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector.fromArray(S, y, yOff + i, m).lanewise(VectorOperators.MAX, FloatVector.fromArray(S, x, xOff + i, m))
                .intoArray(y, yOff + i, m);
        }
    }

    @Override
    public void maxPoolRow3x3Stride2(float[] src, int top, int mid, int bottom, int width, int ow, int pw, float[] dst,
                                     int dstOff) {
        // pixel by pixel, all of a pixel's channels before the next, so each source line is loaded once (channel
        // vector by channel vector, every pass over the rows came from L2 again: ResNet-18's stem 92-100 against
        // 84-94 µs)
        int cv = width - width % V;
        for (int p = 0; p < pw; p++) {
            int x0 = Math.max(0, 2 * p - 1);
            int x1 = Math.min(ow - 1, 2 * p + 1);
            for (int c = 0; c < cv; c += V) {
                FloatVector m = column3(src, top, mid, bottom, x0 * width + c);
                for (int x = x0 + 1; x <= x1; x++) {
                    m = m.lanewise(VectorOperators.MAX, column3(src, top, mid, bottom, x * width + c));
                }
                m.intoArray(dst, dstOff + p * width + c);
            }
        }
        if (cv < width) {
            ScalarOps.maxPoolRow3x3Stride2(src, top, mid, bottom, width, ow, pw, dst, dstOff, cv);
        }
    }

    private static FloatVector column3(float[] src, int top, int mid, int bottom, int o) {
        return FloatVector.fromArray(S, src, top + o)
            .lanewise(VectorOperators.MAX, FloatVector.fromArray(S, src, mid + o))
            .lanewise(VectorOperators.MAX, FloatVector.fromArray(S, src, bottom + o));
    }

    @Override
    public void maxWindow3Stride2(float[] row, int n, MemorySegment out, long outIndex) {
        if (n < V) {
            ScalarOps.maxWindow3Stride2(row, 0, n, out, outIndex);
            return;
        }
        for (int i = 0; i < n; i += V) {
            // the tail as one more whole vector ending at the last output, as in max3
            int at = Math.min(i, n - V);
            FloatVector a = FloatVector.fromArray(S, row, 2 * at);
            FloatVector b = FloatVector.fromArray(S, row, 2 * at + V);
            FloatVector c = FloatVector.fromArray(S, row, 2 * at + 2);
            FloatVector d = FloatVector.fromArray(S, row, 2 * at + 2 + V);
            EVEN.selectFrom(a, b).lanewise(VectorOperators.MAX, ODD.selectFrom(a, b))
                .lanewise(VectorOperators.MAX, EVEN.selectFrom(c, d))
                .intoMemorySegment(out, (outIndex + at) * Float.BYTES, ORDER);
        }
    }

    @Override
    public void storeRow(float[] acc, int accOff, int n, float bias, float min, float max, MemorySegment out,
                         long outIndex) {
        // the bias and clamp written out here rather than in a helper taking a vector: see biasClampRow; Relu's and
        // Relu6's bounds by compare and blend (Epilogue#blendsMin), two instructions where Java's max/min take several
        boolean lo = min != Float.NEGATIVE_INFINITY;
        boolean hi = max != Float.POSITIVE_INFINITY;
        boolean blend = (lo || hi) && Epilogue.blendsMin(min) && Epilogue.blendsMax(max);
        FloatVector minV = FloatVector.broadcast(S, min);
        FloatVector maxV = FloatVector.broadcast(S, max);
        int i = 0;
        for (; i <= n - V; i += V) {
            FloatVector r = FloatVector.fromArray(S, acc, accOff + i).add(bias);
            if (blend) {
                r = r.blend(minV, r.compare(VectorOperators.LE, minV));
                r = r.blend(maxV, r.compare(VectorOperators.GE, maxV));
            } else {
                if (lo) {
                    r = r.lanewise(VectorOperators.MAX, min);
                }
                if (hi) {
                    r = r.lanewise(VectorOperators.MIN, max);
                }
            }
            r.intoMemorySegment(out, (outIndex + i) * Float.BYTES, ORDER);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector r = FloatVector.fromArray(S, acc, accOff + i, m).add(bias);
            if (lo) {
                r = r.lanewise(VectorOperators.MAX, min);
            }
            if (hi) {
                r = r.lanewise(VectorOperators.MIN, max);
            }
            r.intoMemorySegment(out, (outIndex + i) * Float.BYTES, ORDER, m);
        }
    }

    @Override
    public void clamp(MemorySegment x, MemorySegment out, long n, float min, float max) {
        long i = 0;
        for (; i <= n - V; i += V) {
            long off = i * Float.BYTES;
            FloatVector.fromMemorySegment(S, x, off, ORDER)
                .lanewise(VectorOperators.MAX, min).lanewise(VectorOperators.MIN, max)
                .intoMemorySegment(out, off, ORDER);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            long off = i * Float.BYTES;
            FloatVector.fromMemorySegment(S, x, off, ORDER, m)
                .lanewise(VectorOperators.MAX, min).lanewise(VectorOperators.MIN, max)
                .intoMemorySegment(out, off, ORDER, m);
        }
    }

    @Override
    public void addClamp(MemorySegment x, MemorySegment z, MemorySegment out, long n, float min, float max) {
        long i = 0;
        for (; i <= n - V; i += V) {
            long off = i * Float.BYTES;
            FloatVector.fromMemorySegment(S, x, off, ORDER).add(FloatVector.fromMemorySegment(S, z, off, ORDER))
                .lanewise(VectorOperators.MAX, min).lanewise(VectorOperators.MIN, max)
                .intoMemorySegment(out, off, ORDER);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            long off = i * Float.BYTES;
            FloatVector.fromMemorySegment(S, x, off, ORDER, m).add(FloatVector.fromMemorySegment(S, z, off, ORDER, m))
                .lanewise(VectorOperators.MAX, min).lanewise(VectorOperators.MIN, max)
                .intoMemorySegment(out, off, ORDER, m);
        }
    }

    @Override
    public void binary(Arith op, MemorySegment a, long aIndex, int aStep, MemorySegment b, long bIndex, int bStep,
                       MemorySegment out, long outIndex, int n) {
        long ao = aIndex * Float.BYTES;
        long bo = bIndex * Float.BYTES;
        long oo = outIndex * Float.BYTES;
        // One method per operator, written out: the JIT turns Vector API calls into instructions only when the
        // operation is a compile-time constant, and a shared loop taking the operator would box every vector.
        switch (op) {
            case ADD -> addLoop(a, ao, aStep, b, bo, bStep, out, oo, n);
            case SUB -> subLoop(a, ao, aStep, b, bo, bStep, out, oo, n);
            case MUL -> mulLoop(a, ao, aStep, b, bo, bStep, out, oo, n);
            case DIV -> divLoop(a, ao, aStep, b, bo, bStep, out, oo, n);
        }
    }

    private static void addLoop(MemorySegment a, long ao, int aStep, MemorySegment b, long bo, int bStep,
                                MemorySegment out, long oo, int n) {
        int full = aStep == 0 && bStep == 0 ? 0 : n - n % V;
        for (int i = 0; i < full; i += V) {
            long d = (long) i * Float.BYTES;
            FloatVector x = aStep == 0 ? FloatVector.broadcast(S, a.get(ValueLayout.JAVA_FLOAT, ao))
                : FloatVector.fromMemorySegment(S, a, ao + d, ORDER);
            FloatVector y = bStep == 0 ? FloatVector.broadcast(S, b.get(ValueLayout.JAVA_FLOAT, bo))
                : FloatVector.fromMemorySegment(S, b, bo + d, ORDER);
            x.add(y).intoMemorySegment(out, oo + d, ORDER);
        }
        for (int i = full; i < n; i += V) {
            VectorMask<Float> mask = S.indexInRange(i, n);
            long d = (long) i * Float.BYTES;
            FloatVector x = aStep == 0 ? FloatVector.broadcast(S, a.get(ValueLayout.JAVA_FLOAT, ao))
                : FloatVector.fromMemorySegment(S, a, ao + d, ORDER, mask);
            FloatVector y = bStep == 0 ? FloatVector.broadcast(S, b.get(ValueLayout.JAVA_FLOAT, bo))
                : FloatVector.fromMemorySegment(S, b, bo + d, ORDER, mask);
            x.add(y).intoMemorySegment(out, oo + d, ORDER, mask);
        }
    }

    private static void subLoop(MemorySegment a, long ao, int aStep, MemorySegment b, long bo, int bStep,
                                MemorySegment out, long oo, int n) {
        int full = aStep == 0 && bStep == 0 ? 0 : n - n % V;
        for (int i = 0; i < full; i += V) {
            long d = (long) i * Float.BYTES;
            FloatVector x = aStep == 0 ? FloatVector.broadcast(S, a.get(ValueLayout.JAVA_FLOAT, ao))
                : FloatVector.fromMemorySegment(S, a, ao + d, ORDER);
            FloatVector y = bStep == 0 ? FloatVector.broadcast(S, b.get(ValueLayout.JAVA_FLOAT, bo))
                : FloatVector.fromMemorySegment(S, b, bo + d, ORDER);
            x.sub(y).intoMemorySegment(out, oo + d, ORDER);
        }
        for (int i = full; i < n; i += V) {
            VectorMask<Float> mask = S.indexInRange(i, n);
            long d = (long) i * Float.BYTES;
            FloatVector x = aStep == 0 ? FloatVector.broadcast(S, a.get(ValueLayout.JAVA_FLOAT, ao))
                : FloatVector.fromMemorySegment(S, a, ao + d, ORDER, mask);
            FloatVector y = bStep == 0 ? FloatVector.broadcast(S, b.get(ValueLayout.JAVA_FLOAT, bo))
                : FloatVector.fromMemorySegment(S, b, bo + d, ORDER, mask);
            x.sub(y).intoMemorySegment(out, oo + d, ORDER, mask);
        }
    }

    private static void mulLoop(MemorySegment a, long ao, int aStep, MemorySegment b, long bo, int bStep,
                                MemorySegment out, long oo, int n) {
        int full = aStep == 0 && bStep == 0 ? 0 : n - n % V;
        for (int i = 0; i < full; i += V) {
            long d = (long) i * Float.BYTES;
            FloatVector x = aStep == 0 ? FloatVector.broadcast(S, a.get(ValueLayout.JAVA_FLOAT, ao))
                : FloatVector.fromMemorySegment(S, a, ao + d, ORDER);
            FloatVector y = bStep == 0 ? FloatVector.broadcast(S, b.get(ValueLayout.JAVA_FLOAT, bo))
                : FloatVector.fromMemorySegment(S, b, bo + d, ORDER);
            x.mul(y).intoMemorySegment(out, oo + d, ORDER);
        }
        for (int i = full; i < n; i += V) {
            VectorMask<Float> mask = S.indexInRange(i, n);
            long d = (long) i * Float.BYTES;
            FloatVector x = aStep == 0 ? FloatVector.broadcast(S, a.get(ValueLayout.JAVA_FLOAT, ao))
                : FloatVector.fromMemorySegment(S, a, ao + d, ORDER, mask);
            FloatVector y = bStep == 0 ? FloatVector.broadcast(S, b.get(ValueLayout.JAVA_FLOAT, bo))
                : FloatVector.fromMemorySegment(S, b, bo + d, ORDER, mask);
            x.mul(y).intoMemorySegment(out, oo + d, ORDER, mask);
        }
    }

    private static void divLoop(MemorySegment a, long ao, int aStep, MemorySegment b, long bo, int bStep,
                                MemorySegment out, long oo, int n) {
        int full = aStep == 0 && bStep == 0 ? 0 : n - n % V;
        for (int i = 0; i < full; i += V) {
            long d = (long) i * Float.BYTES;
            FloatVector x = aStep == 0 ? FloatVector.broadcast(S, a.get(ValueLayout.JAVA_FLOAT, ao))
                : FloatVector.fromMemorySegment(S, a, ao + d, ORDER);
            FloatVector y = bStep == 0 ? FloatVector.broadcast(S, b.get(ValueLayout.JAVA_FLOAT, bo))
                : FloatVector.fromMemorySegment(S, b, bo + d, ORDER);
            x.div(y).intoMemorySegment(out, oo + d, ORDER);
        }
        for (int i = full; i < n; i += V) {
            VectorMask<Float> mask = S.indexInRange(i, n);
            long d = (long) i * Float.BYTES;
            FloatVector x = aStep == 0 ? FloatVector.broadcast(S, a.get(ValueLayout.JAVA_FLOAT, ao))
                : FloatVector.fromMemorySegment(S, a, ao + d, ORDER, mask);
            FloatVector y = bStep == 0 ? FloatVector.broadcast(S, b.get(ValueLayout.JAVA_FLOAT, bo))
                : FloatVector.fromMemorySegment(S, b, bo + d, ORDER, mask);
            x.div(y).intoMemorySegment(out, oo + d, ORDER, mask);
        }
    }

    @Override
    public void softmax(MemorySegment x, MemorySegment out, long index, int n) {
        FloatVector mx = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        for (int i = 0; i < n; i += V) {
            VectorMask<Float> m = S.indexInRange(i, n);
            mx = mx.lanewise(VectorOperators.MAX, FloatVector.fromMemorySegment(S, x, (index + i) * Float.BYTES, ORDER, m),
                m);
        }
        float max = mx.reduceLanes(VectorOperators.MAX);
        FloatVector sum = FloatVector.zero(S);
        for (int i = 0; i < n; i += V) {
            VectorMask<Float> m = S.indexInRange(i, n);
            long off = (index + i) * Float.BYTES;
            FloatVector e = exp(FloatVector.fromMemorySegment(S, x, off, ORDER, m).sub(max));
            e.intoMemorySegment(out, off, ORDER, m);
            sum = sum.add(e, m);
        }
        float inv = 1f / sumLanes(sum);
        for (int i = 0; i < n; i += V) {
            VectorMask<Float> m = S.indexInRange(i, n);
            long off = (index + i) * Float.BYTES;
            FloatVector.fromMemorySegment(S, out, off, ORDER, m).mul(inv).intoMemorySegment(out, off, ORDER, m);
        }
    }

    @Override
    public double[] meanVariance(MemorySegment x, long index, int n) {
        FloatVector s = FloatVector.zero(S);
        for (int i = 0; i < n; i += V) {
            VectorMask<Float> m = S.indexInRange(i, n);
            s = s.add(FloatVector.fromMemorySegment(S, x, (index + i) * Float.BYTES, ORDER, m));
        }
        float mean = sumLanes(s) / n;
        FloatVector v = FloatVector.zero(S);
        for (int i = 0; i < n; i += V) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector d = FloatVector.fromMemorySegment(S, x, (index + i) * Float.BYTES, ORDER, m).sub(mean);
            v = d.fma(d, v).blend(v, m.not());
        }
        return new double[] {mean, sumLanes(v) / n};
    }

    @Override
    public void normalize(MemorySegment x, MemorySegment out, long index, int n, float mean, float invStd, float[] scale,
                          float[] bias) {
        for (int i = 0; i < n; i += V) {
            VectorMask<Float> m = S.indexInRange(i, n);
            long off = (index + i) * Float.BYTES;
            FloatVector r = FloatVector.fromMemorySegment(S, x, off, ORDER, m).sub(mean).mul(invStd)
                .mul(FloatVector.fromArray(S, scale, i, m));
            if (bias != null) {
                r = r.add(FloatVector.fromArray(S, bias, i, m));
            }
            r.intoMemorySegment(out, off, ORDER, m);
        }
    }

    @Override
    public void multiply(float[] y, int yOff, float[] f, int fOff, int n) {
        for (int i = 0; i < n; i += V) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector.fromArray(S, y, yOff + i, m).mul(FloatVector.fromArray(S, f, fOff + i, m)).intoArray(y, yOff + i, m);
        }
    }

    /**
     * e^x from basic IEEE operations only (Cephes' expf: x = k·ln2 + r, a degree-5 polynomial for e^r, 2^k built in
     * the exponent bits), so it rounds the same compiled or interpreted — the Vector API's EXP does not (an SVML
     * intrinsic once compiled, Math.exp before). Accurate to about 2 ulp on [−87.3, 88.3]; inputs are clamped there.
     */
    private static FloatVector exp(FloatVector x) {
        x = x.lanewise(VectorOperators.MAX, -87.3f).lanewise(VectorOperators.MIN, 88.3f);
        // k = round(x / ln2), via truncation of a shifted positive value
        IntVector k = (IntVector) x.mul(1.44269504088896341f).add(128.5f).convert(VectorOperators.F2I, 0)
            .lanewise(VectorOperators.SUB, 128);
        FloatVector kf = (FloatVector) k.convert(VectorOperators.I2F, 0);
        FloatVector r = x.sub(kf.mul(0.693359375f)).sub(kf.mul(-2.12194440e-4f));
        FloatVector p = FloatVector.broadcast(S, 1.9875691500e-4f).fma(r, FloatVector.broadcast(S, 1.3981999507e-3f))
            .fma(r, FloatVector.broadcast(S, 8.3334519073e-3f)).fma(r, FloatVector.broadcast(S, 4.1665795894e-2f))
            .fma(r, FloatVector.broadcast(S, 1.6666665459e-1f)).fma(r, FloatVector.broadcast(S, 5.0000001201e-1f));
        FloatVector y = p.mul(r.mul(r)).add(r).add(1f);
        FloatVector twoK = (FloatVector) k.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return y.mul(twoK);
    }

    /**
     * Lane sum in a fixed order. reduceLanes(ADD) is not used: its order differs between the JIT's intrinsic and
     * the interpreter, so the same input would round differently before and after warm-up.
     */
    private static float sumLanes(FloatVector v) {
        float[] lanes = LANES.get();
        v.intoArray(lanes, 0);
        float s = 0;
        for (int i = 0; i < V; i++) {
            s += lanes[i];
        }
        return s;
    }

    @Override
    public void quantize(MemorySegment x, MemorySegment q, long n, float scale, int zeroPoint, int qmin, int qmax) {
        long i = 0;
        if (BS != null) {
            float z = zeroPoint;
            for (; i <= n - V; i += V) {
                FloatVector v = FloatVector.fromMemorySegment(S, x, i * Float.BYTES, ORDER).div(scale)
                    .lanewise(VectorOperators.MAX, -4194304f).lanewise(VectorOperators.MIN, 4194304f);
                // round half to even, add the zero point, saturate; NaN stays NaN and converts to 0 as in the reference
                FloatVector r = v.add(ROUNDER).sub(ROUNDER).add(z)
                    .lanewise(VectorOperators.MAX, (float) qmin).lanewise(VectorOperators.MIN, (float) qmax);
                r.convertShape(VectorOperators.F2I, IS, 0).convertShape(VectorOperators.I2B, BS, 0)
                    .intoMemorySegment(q, i, ORDER);
            }
        }
        for (; i < n; i++) {
            double v = Math.rint(x.getAtIndex(ValueLayout.JAVA_FLOAT, i) / scale) + zeroPoint;
            long r = Double.isNaN(v) ? 0 : (long) Math.min(Math.max(v, qmin), qmax);
            q.set(ValueLayout.JAVA_BYTE, i, (byte) r);
        }
    }

    @Override
    public void dequantize(MemorySegment q, boolean unsigned, MemorySegment x, long n, float scale, int zeroPoint) {
        long i = 0;
        if (BS != null) {
            float z = zeroPoint;
            for (; i <= n - V; i += V) {
                IntVector iv = (IntVector) jdk.incubator.vector.ByteVector.fromMemorySegment(BS, q, i, ORDER)
                    .convertShape(VectorOperators.B2I, IS, 0);
                if (unsigned) {
                    iv = iv.and(0xFF);
                }
                ((FloatVector) iv.convertShape(VectorOperators.I2F, S, 0)).sub(z).mul(scale)
                    .intoMemorySegment(x, i * Float.BYTES, ORDER);
            }
        }
        for (; i < n; i++) {
            byte b = q.get(ValueLayout.JAVA_BYTE, i);
            int v = unsigned ? b & 0xFF : b;
            x.setAtIndex(ValueLayout.JAVA_FLOAT, i, ((float) v - zeroPoint) * scale);
        }
    }

    @Override
    public void widen(MemorySegment q, long index, boolean unsigned, int zero, float[] dst, int off, int n) {
        if (BS == null) {
            SCALAR.widen(q, index, unsigned, zero, dst, off, n);
            return;
        }
        float z = zero;
        int i = 0;
        for (; i <= n - V; i += V) {
            IntVector iv = (IntVector) ByteVector.fromMemorySegment(BS, q, index + i, ORDER)
                .convertShape(VectorOperators.B2I, IS, 0);
            ((FloatVector) (unsigned ? iv.and(0xFF) : iv).convertShape(VectorOperators.I2F, S, 0)).sub(z)
                .intoArray(dst, off + i);
        }
        if (i < n) {
            IntVector iv = (IntVector) ByteVector.fromMemorySegment(BS, q, index + i, ORDER, BS.indexInRange(i, n))
                .convertShape(VectorOperators.B2I, IS, 0);
            ((FloatVector) (unsigned ? iv.and(0xFF) : iv).convertShape(VectorOperators.I2F, S, 0)).sub(z)
                .intoArray(dst, off + i, S.indexInRange(i, n));
        }
    }

    @Override
    public void sumsToInt(MemorySegment sums, long sumIndex, MemorySegment partial, long partialIndex, int n,
                          MemorySegment out, long outIndex) {
        for (int i = 0; i < n; i += V) {
            VectorMask<Integer> m = IS.indexInRange(i, n);
            IntVector a = accumulators(sums, sumIndex + i, partial, partialIndex + i, i <= n - V, m);
            if (i <= n - V) {
                a.intoMemorySegment(out, (outIndex + i) * Integer.BYTES, ORDER);
            } else {
                a.intoMemorySegment(out, (outIndex + i) * Integer.BYTES, ORDER, m);
            }
        }
    }

    @Override
    public void requantize(MemorySegment sums, long sumIndex, MemorySegment partial, long partialIndex, int n, int bias,
                           double multiplier, double zero, int min, int max, MemorySegment out, long outIndex) {
        if (!(Math.abs(multiplier) <= TAME)) {
            SCALAR.requantize(sums, sumIndex, partial, partialIndex, n, bias, multiplier, zero, min, max, out, outIndex);
            return;
        }
        DoubleVector m = DoubleVector.broadcast(DS, multiplier);
        long lo = Double.doubleToRawLongBits(DROUNDER + min);
        long hi = Double.doubleToRawLongBits(DROUNDER + max);
        int[] lanes = BH == null ? QLANES.get() : null;
        int i = 0;
        for (; i <= n - DV; i += DV) {
            IntVector acc = halfAccumulators(sums, sumIndex + i, partial, partialIndex + i, null).add(bias);
            storeBytes(requantizeLanes(acc, m, zero, lo, hi), out, outIndex + i, DV, lanes);
        }
        if (i < n) {
            VectorMask<Integer> tail = IH.indexInRange(0, n - i);
            IntVector acc = halfAccumulators(sums, sumIndex + i, partial, partialIndex + i, tail).add(bias);
            storeBytes(requantizeLanes(acc, m, zero, lo, hi), out, outIndex + i, n - i, lanes);
        }
    }

    @Override
    public void requantizeRow(int[] acc, int accOff, int n, double[] multipliers, double zero, int min, int max,
                              MemorySegment out, long outIndex) {
        for (int j = 0; j < n; j++) {
            if (!(Math.abs(multipliers[j]) <= TAME)) {
                SCALAR.requantizeRow(acc, accOff, n, multipliers, zero, min, max, out, outIndex);
                return;
            }
        }
        long lo = Double.doubleToRawLongBits(DROUNDER + min);
        long hi = Double.doubleToRawLongBits(DROUNDER + max);
        int[] lanes = BH == null ? QLANES.get() : null;
        int i = 0;
        for (; i <= n - DV; i += DV) {
            IntVector a = IntVector.fromArray(IH, acc, accOff + i);
            DoubleVector m = DoubleVector.fromArray(DS, multipliers, i);
            storeBytes(requantizeLanes(a, m, zero, lo, hi), out, outIndex + i, DV, lanes);
        }
        if (i < n) {
            VectorMask<Integer> tail = IH.indexInRange(0, n - i);
            IntVector a = IntVector.fromArray(IH, acc, accOff + i, tail);
            DoubleVector m = DoubleVector.fromArray(DS, multipliers, i, tail.cast(DS));
            storeBytes(requantizeLanes(a, m, zero, lo, hi), out, outIndex + i, n - i, lanes);
        }
    }

    /** (int) sums + partial for V lanes; exact, since the sums hold integers. */
    private static IntVector accumulators(MemorySegment sums, long sumIndex, MemorySegment partial, long partialIndex,
                                          boolean full, VectorMask<Integer> m) {
        FloatVector f = full ? FloatVector.fromMemorySegment(S, sums, sumIndex * Float.BYTES, ORDER)
            : FloatVector.fromMemorySegment(S, sums, sumIndex * Float.BYTES, ORDER, m.cast(S));
        IntVector a = (IntVector) f.convertShape(VectorOperators.F2I, IS, 0);
        if (partial != null) {
            a = a.add(full ? IntVector.fromMemorySegment(IS, partial, partialIndex * Integer.BYTES, ORDER)
                : IntVector.fromMemorySegment(IS, partial, partialIndex * Integer.BYTES, ORDER, m));
        }
        return a;
    }

    /** The same for DV lanes (half-width ints), the requantization's step; {@code tail} null for all lanes. */
    private static IntVector halfAccumulators(MemorySegment sums, long sumIndex, MemorySegment partial,
                                              long partialIndex, VectorMask<Integer> tail) {
        long at = sumIndex * Float.BYTES;
        FloatVector f = tail == null ? FloatVector.fromMemorySegment(FH, sums, at, ORDER)
            : FloatVector.fromMemorySegment(FH, sums, at, ORDER, tail.cast(FH));
        IntVector a = (IntVector) f.convertShape(VectorOperators.F2I, IH, 0);
        if (partial != null) {
            long pat = partialIndex * Integer.BYTES;
            a = a.add(tail == null ? IntVector.fromMemorySegment(IH, partial, pat, ORDER)
                : IntVector.fromMemorySegment(IH, partial, pat, ORDER, tail));
        }
        return a;
    }

    /**
     * The reference's saturate(rint(acc · m + zero)) for DV lanes, in double like the reference. Adding 1.5·2^52
     * rounds half to even and leaves the integer k in the low bits of the double's pattern (bits(R + k) = bits(R) + k
     * while |k| < 2^51, which |m| ≤ {@link #TAME} guarantees), so saturation is a clamp of that pattern as a long
     * and the low 32 bits are the result. Cheaper than f64 min/max and a checked D2I conversion.
     */
    private static IntVector requantizeLanes(IntVector acc, DoubleVector m, double zero, long lo, long hi) {
        LongVector r = ((DoubleVector) acc.convertShape(VectorOperators.I2D, DS, 0)).mul(m).add(zero).add(DROUNDER)
            .reinterpretAsLongs().lanewise(VectorOperators.MAX, lo).lanewise(VectorOperators.MIN, hi);
        return (IntVector) r.convertShape(VectorOperators.L2I, IH, 0);
    }

    /** Stores the first {@code valid} lanes of q as bytes (through {@code lanes} where no 64-bit byte vector fits). */
    private static void storeBytes(IntVector q, MemorySegment out, long at, int valid, int[] lanes) {
        if (BH != null) {
            ByteVector b = (ByteVector) q.convertShape(VectorOperators.I2B, BH, 0);
            if (valid == DV) {
                b.intoMemorySegment(out, at, ORDER);
            } else {
                b.intoMemorySegment(out, at, ORDER, BH.indexInRange(0, valid));
            }
            return;
        }
        q.intoArray(lanes, 0);
        for (int j = 0; j < valid; j++) {
            out.set(ValueLayout.JAVA_BYTE, at + j, (byte) lanes[j]);
        }
    }

    @Override
    public float sum(MemorySegment x, long index, int n) {
        FloatVector acc = FloatVector.zero(S);
        int i = 0;
        for (; i <= n - V; i += V) {
            acc = acc.add(FloatVector.fromMemorySegment(S, x, (index + i) * Float.BYTES, ORDER));
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            acc = acc.add(FloatVector.fromMemorySegment(S, x, (index + i) * Float.BYTES, ORDER, m));
        }
        return sumLanes(acc);
    }

    @Override
    public float[] minMax(MemorySegment x, long from, long to) {
        FloatVector lo = FloatVector.broadcast(S, Float.POSITIVE_INFINITY);
        FloatVector hi = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        long i = from;
        for (long bound = from + (to - from) / V * V; i < bound; i += V) {
            FloatVector v = FloatVector.fromMemorySegment(S, x, i * Float.BYTES, ORDER);
            lo = lo.min(v);
            hi = hi.max(v);
        }
        float l = lo.reduceLanes(VectorOperators.MIN);
        float h = hi.reduceLanes(VectorOperators.MAX);
        for (; i < to; i++) {
            float v = x.getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, i);
            l = Math.min(l, v);
            h = Math.max(h, v);
        }
        return new float[] {l, h};
    }

    @Override
    public void absBins(MemorySegment x, long index, int n, float inverse, int last, int[] bins) {
        int i = 0;
        for (int bound = n / V * V; i < bound; i += V) {
            FloatVector v = FloatVector.fromMemorySegment(S, x, (index + i) * Float.BYTES, ORDER);
            ((IntVector) v.abs().mul(inverse).convertShape(VectorOperators.F2I, IS, 0)).min(last).intoArray(bins, i);
        }
        for (; i < n; i++) {
            bins[i] = Math.min((int) (Math.abs(x.getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, index + i))
                * inverse), last);
        }
    }

    @Override
    public void clampBytes(MemorySegment x, MemorySegment out, long n, int lo, int hi, boolean unsigned) {
        // Signed lanes only: uint8 is clamped with every sign bit flipped, which maps its order onto int8's.
        byte flip = (byte) (unsigned ? 0x80 : 0);
        byte l = (byte) (lo ^ flip);
        byte h = (byte) (hi ^ flip);
        int lanes = FULL_BYTES.length();
        long i = 0;
        for (long bound = n / lanes * lanes; i < bound; i += lanes) {
            ByteVector v = ByteVector.fromMemorySegment(FULL_BYTES, x, i, ORDER).lanewise(VectorOperators.XOR, flip);
            v.max(l).min(h).lanewise(VectorOperators.XOR, flip).intoMemorySegment(out, i, ORDER);
        }
        for (; i < n; i++) {
            byte b = (byte) (x.get(ValueLayout.JAVA_BYTE, i) ^ flip);
            out.set(ValueLayout.JAVA_BYTE, i, (byte) (Math.min(Math.max(b, l), h) ^ flip));
        }
    }
}
