package dev.sparq.backend.cpu.simd;

import dev.sparq.backend.geometry.ConvGeometry2d;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** {@link SimdOps} in plain Java: the fallback, and the definition the vector version must match. */
final class ScalarOps implements SimdOps {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;

    @Override
    public void axpy(float[] y, int yOff, float a, MemorySegment x, long xIndex, int n) {
        for (int i = 0; i < n; i++) {
            y[yOff + i] = Math.fma(a, x.getAtIndex(F, xIndex + i), y[yOff + i]);
        }
    }

    @Override
    public void axpy(float[] y, int yOff, float a, float[] x, int xOff, int n) {
        for (int i = 0; i < n; i++) {
            y[yOff + i] = Math.fma(a, x[xOff + i], y[yOff + i]);
        }
    }

    @Override
    public void taps9(float[] y, int yOff, float[] w, int wOff, float[] x, int[] starts, int n, boolean accumulate) {
        taps9(y, yOff, w, wOff, x, starts, 0, n, accumulate);
    }

    @Override
    public void dotRuns4(float[] y, int yOff, int yStride, float[] w, int wOff, int k, float[] x, int[] starts,
                         int n) {
        dotRuns4(y, yOff, yStride, w, wOff, k, x, starts, 0, n);
    }

    /** {@link #dotRuns4} for the outputs [from, n): also the Vector API version's tail. */
    static void dotRuns4(float[] y, int yOff, int yStride, float[] w, int wOff, int k, float[] x, int[] starts,
                         int from, int n) {
        for (int o = 0; o < 4; o++) {
            for (int i = from; i < n; i++) {
                float acc = 0f;
                for (int j = 0; j < k; j++) {
                    acc = Math.fma(w[wOff + o * k + j], x[starts[j] + i], acc);
                }
                y[yOff + o * yStride + i] = acc;
            }
        }
    }

    @Override
    public int lanes() {
        return 8;
    }

    @Override
    public void depthwiseBlock(ConvGeometry2d g, float[] x, int xw, float[] w, float[] bias, float min, float max,
                               float[] y) {
        int lanes = lanes();
        for (int oy = 0; oy < g.oh(); oy++) {
            for (int ox = 0; ox < g.ow(); ox++) {
                for (int l = 0; l < lanes; l++) {
                    float acc = 0f;
                    for (int ky = 0; ky < g.kh(); ky++) {
                        for (int kx = 0; kx < g.kw(); kx++) {
                            int px = (oy * g.sh() + ky * g.dh()) * xw + ox * g.sw() + kx * g.dw();
                            acc = Math.fma(w[(ky * g.kw() + kx) * lanes + l], x[px * lanes + l], acc);
                        }
                    }
                    y[(oy * g.ow() + ox) * lanes + l] = Math.min(Math.max(acc + bias[l], min), max);
                }
            }
        }
    }

    @Override
    public void interleaveLanes(float[] src, int[] laneOffsets, int srcOff, float[] dst, int dstOff, int n) {
        int lanes = lanes();
        for (int i = 0; i < n; i++) {
            for (int l = 0; l < lanes; l++) {
                dst[dstOff + i * lanes + l] = src[srcOff + laneOffsets[l] + i];
            }
        }
    }

    @Override
    public void transpose(float[] src, int srcOff, int srcStride, int rows, int cols, float[] dst, int dstOff,
                          int dstStride) {
        transpose(src, srcOff, srcStride, 0, rows, 0, cols, dst, dstOff, dstStride);
    }

    @Override
    public void depthwiseNhwcRows(ConvGeometry2d g, int channels, MemorySegment x, long xImage, float[] w,
                                  float[] bias, float min, float max, int oy0, int oy1, MemorySegment y, long yImage,
                                  MemorySegment zeroRow, int ringRows) {
        for (int oy = oy0; oy < oy1; oy++) {
            depthwiseNhwc(g, channels, x, xImage, w, bias, min, max, oy, y, yImage + (long) oy * g.ow() * channels, 0,
                g.ow(), 0, ringRows);
        }
    }

    /** One output row of {@link #depthwiseNhwcRows}, the columns [ox0, ox1) and channels [c0, C) only. */
    static void depthwiseNhwc(ConvGeometry2d g, int channels, MemorySegment x, long xImage, float[] w, float[] bias,
                              float min, float max, int oy, MemorySegment y, long yRow, int ox0, int ox1, int c0,
                              int ringRows) {
        for (int ox = ox0; ox < ox1; ox++) {
            for (int c = c0; c < channels; c++) {
                float acc = bias[c];
                for (int ky = 0; ky < g.kh(); ky++) {
                    int iy = oy * g.sh() - g.padTop() + ky * g.dh();
                    if (iy < 0 || iy >= g.h()) {
                        continue;
                    }
                    for (int kx = 0; kx < g.kw(); kx++) {
                        int ix = ox * g.sw() - g.padLeft() + kx * g.dw();
                        if (ix >= 0 && ix < g.w()) {
                            acc = Math.fma(w[(ky * g.kw() + kx) * channels + c],
                                x.getAtIndex(F, xImage + (SimdOps.inputRow(iy, ringRows) * g.w() + ix) * channels + c),
                                acc);
                        }
                    }
                }
                y.setAtIndex(F, yRow + (long) ox * channels + c, Math.min(Math.max(acc, min), max));
            }
        }
    }

    @Override
    public void storeChannelRows(float[] src, int srcOff, int srcStride, int pixels, int channels, float[] bias,
                                 float min, float max, MemorySegment out, long outIndex) {
        storeChannelRows(src, srcOff, srcStride, pixels, channels, 0, bias, min, max, out, outIndex);
    }

    /** {@link #storeChannelRows} of the channels [c0, channels) only. */
    static void storeChannelRows(float[] src, int srcOff, int srcStride, int pixels, int channels, int c0,
                                 float[] bias, float min, float max, MemorySegment out, long outIndex) {
        for (int p = 0; p < pixels; p++) {
            for (int c = c0; c < channels; c++) {
                out.setAtIndex(F, outIndex + (long) p * channels + c,
                    Math.min(Math.max(src[srcOff + p * srcStride + c] + bias[c], min), max));
            }
        }
    }

    @Override
    public void channelMeans(MemorySegment x, long xIndex, int pixels, int channels, float scale, MemorySegment y,
                             long yIndex) {
        channelMeans(x, xIndex, pixels, channels, 0, scale, y, yIndex);
    }

    /** {@link #channelMeans} of the channels [c0, channels) only. */
    static void channelMeans(MemorySegment x, long xIndex, int pixels, int channels, int c0, float scale,
                             MemorySegment y, long yIndex) {
        for (int c = c0; c < channels; c++) {
            float sum = 0f;
            for (int p = 0; p < pixels; p++) {
                sum += x.getAtIndex(F, xIndex + (long) p * channels + c);
            }
            y.setAtIndex(F, yIndex + c, sum * scale);
        }
    }

    @Override
    public void transpose(MemorySegment src, long srcIndex, int rows, int cols, MemorySegment dst, long dstIndex) {
        // in 8×8 blocks, so both sides are walked a cache line at a time
        for (int r0 = 0; r0 < rows; r0 += 8) {
            for (int c0 = 0; c0 < cols; c0 += 8) {
                for (int r = r0; r < Math.min(r0 + 8, rows); r++) {
                    for (int c = c0; c < Math.min(c0 + 8, cols); c++) {
                        dst.setAtIndex(F, dstIndex + (long) c * rows + r, src.getAtIndex(F, srcIndex + (long) r * cols + c));
                    }
                }
            }
        }
    }

    /** {@link #transpose} of rows [r0, r1) and columns [c0, c1) only. */
    @Override
    public void transpose(float[] src, int srcOff, int srcStride, int rows, int cols, MemorySegment dst, long dstIndex,
                          long dstStride) {
        transpose(src, srcOff, srcStride, 0, rows, 0, cols, dst, dstIndex, dstStride);
    }

    /** {@link #transpose(float[], int, int, int, int, MemorySegment, long, long)} of rows [r0, r1), columns [c0, c1). */
    static void transpose(float[] src, int srcOff, int srcStride, int r0, int r1, int c0, int c1, MemorySegment dst,
                          long dstIndex, long dstStride) {
        for (int c = c0; c < c1; c++) {
            for (int r = r0; r < r1; r++) {
                dst.setAtIndex(F, dstIndex + c * dstStride + r, src[srcOff + r * srcStride + c]);
            }
        }
    }

    static void transpose(float[] src, int srcOff, int srcStride, int r0, int r1, int c0, int c1, float[] dst,
                          int dstOff, int dstStride) {
        for (int c = c0; c < c1; c++) {
            for (int r = r0; r < r1; r++) {
                dst[dstOff + c * dstStride + r] = src[srcOff + r * srcStride + c];
            }
        }
    }

    /** {@link #taps9} for the outputs [from, n): also the Vector API version's tail. */
    static void taps9(float[] y, int yOff, float[] w, int wOff, float[] x, int[] starts, int from, int n,
                      boolean accumulate) {
        for (int i = from; i < n; i++) {
            float acc = accumulate ? y[yOff + i] : 0f;
            for (int t = 0; t < 9; t++) {
                acc = Math.fma(w[wOff + t], x[starts[t] + i], acc);
            }
            y[yOff + i] = acc;
        }
    }

    @Override
    public void copyPanels(MemorySegment src, long srcIndex, int panels, int width, float[] dst, int dstOff,
                           int dstStride) {
        for (int p = 0; p < panels; p++) {
            MemorySegment.copy(src, ValueLayout.JAVA_FLOAT, (srcIndex + (long) p * width) * Float.BYTES, dst,
                dstOff + p * dstStride, width);
        }
    }

    @Override
    public void deinterleave2(MemorySegment src, long srcIndex, int n, float[] even, int evenOff, float[] odd,
                              int oddOff) {
        for (int i = 0; 2 * i < n; i++) {
            even[evenOff + i] = src.getAtIndex(ValueLayout.JAVA_FLOAT, srcIndex + 2L * i);
            if (2 * i + 1 < n) {
                odd[oddOff + i] = src.getAtIndex(ValueLayout.JAVA_FLOAT, srcIndex + 2L * i + 1);
            }
        }
    }

    @Override
    public void subsample(MemorySegment src, long srcIndex, int n, int step, MemorySegment dst, long dstIndex) {
        subsampleScalar(src, srcIndex, n, step, dst, dstIndex);
    }

    /** {@link #subsample} element by element: also the Vector API version's path for steps other than 2. */
    static void subsampleScalar(MemorySegment src, long srcIndex, int n, int step, MemorySegment dst,
                                long dstIndex) {
        for (int i = 0; i < n; i++) {
            dst.setAtIndex(ValueLayout.JAVA_FLOAT, dstIndex + i,
                src.getAtIndex(ValueLayout.JAVA_FLOAT, srcIndex + (long) i * step));
        }
    }

    @Override
    public void interleaveRows(float[] src, int width, int kb, float[] dst, int dstOff) {
        interleaveRows(src, width, kb, dst, dstOff, 0);
    }

    /** {@link #interleaveRows} for k in [from, kb): also the Vector API version's tail. */
    static void interleaveRows(float[] src, int width, int kb, float[] dst, int dstOff, int from) {
        for (int k = from, o = dstOff + from * width; k < kb; k++) {
            for (int r = 0; r < width; r++) {
                dst[o++] = src[r * kb + k];
            }
        }
    }

    @Override
    public void copyPanels(float[] src, int srcOff, int panels, int width, float[] dst, int dstOff, int dstStride) {
        for (int p = 0; p < panels; p++) {
            System.arraycopy(src, srcOff + p * width, dst, dstOff + p * dstStride, width);
        }
    }

    @Override
    public void deinterleave2(float[] src, int srcOff, int n, float[] even, int evenOff, float[] odd, int oddOff) {
        for (int i = 0; 2 * i < n; i++) {
            even[evenOff + i] = src[srcOff + 2 * i];
            if (2 * i + 1 < n) {
                odd[oddOff + i] = src[srcOff + 2 * i + 1];
            }
        }
    }

    @Override
    public void axpyStrided(float[] y, int yOff, float a, MemorySegment x, long xIndex, int stride, int n) {
        for (int i = 0; i < n; i++) {
            y[yOff + i] = Math.fma(a, x.getAtIndex(F, xIndex + (long) i * stride), y[yOff + i]);
        }
    }

    @Override
    public void max3(MemorySegment x, long a, long b, long c, float[] y, int yOff, int n) {
        max3(x, a, b, c, y, yOff, 0, n);
    }

    /** {@link #max3} for the outputs [from, n): also the Vector API version's rows shorter than a vector. */
    static void max3(MemorySegment x, long a, long b, long c, float[] y, int yOff, int from, int n) {
        for (int i = from; i < n; i++) {
            y[yOff + i] = Math.max(Math.max(x.getAtIndex(F, a + i), x.getAtIndex(F, b + i)), x.getAtIndex(F, c + i));
        }
    }

    @Override
    public void max(float[] y, int yOff, float[] x, int xOff, int n) {
        for (int i = 0; i < n; i++) {
            y[yOff + i] = Math.max(y[yOff + i], x[xOff + i]);
        }
    }

    @Override
    public void maxPoolRow3x3Stride2(float[] src, int top, int mid, int bottom, int width, int ow, int pw, float[] dst,
                                     int dstOff) {
        maxPoolRow3x3Stride2(src, top, mid, bottom, width, ow, pw, dst, dstOff, 0);
    }

    /** {@link #maxPoolRow3x3Stride2} for the channels [from, width): also the Vector API version's tail. */
    static void maxPoolRow3x3Stride2(float[] src, int top, int mid, int bottom, int width, int ow, int pw, float[] dst,
                                     int dstOff, int from) {
        for (int p = 0; p < pw; p++) {
            for (int c = from; c < width; c++) {
                float m = Float.NEGATIVE_INFINITY;
                for (int x = Math.max(0, 2 * p - 1); x <= Math.min(ow - 1, 2 * p + 1); x++) {
                    int o = x * width + c;
                    m = Math.max(m, Math.max(Math.max(src[top + o], src[mid + o]), src[bottom + o]));
                }
                dst[dstOff + p * width + c] = m;
            }
        }
    }

    @Override
    public void maxWindow3Stride2(float[] row, int n, MemorySegment out, long outIndex) {
        maxWindow3Stride2(row, 0, n, out, outIndex);
    }

    /** {@link #maxWindow3Stride2} for the outputs [from, n): also the Vector API version's rows shorter than a vector. */
    static void maxWindow3Stride2(float[] row, int from, int n, MemorySegment out, long outIndex) {
        for (int i = from; i < n; i++) {
            out.setAtIndex(F, outIndex + i, Math.max(Math.max(row[2 * i], row[2 * i + 1]), row[2 * i + 2]));
        }
    }

    @Override
    public void storeRow(float[] acc, int accOff, int n, float bias, float min, float max, MemorySegment out,
                         long outIndex) {
        for (int i = 0; i < n; i++) {
            out.setAtIndex(F, outIndex + i, Math.min(Math.max(acc[accOff + i] + bias, min), max));
        }
    }

    @Override
    public void storeTransposed(float[] src, int srcOff, int srcStride, int pixels, int c0, int c1, float[] bias,
                                float min, float max, MemorySegment out, long outIndex, long outStride) {
        for (int c = c0; c < c1; c++) {
            for (int p = 0; p < pixels; p++) {
                out.setAtIndex(F, outIndex + c * outStride + p,
                    Math.min(Math.max(src[srcOff + p * srcStride + c] + bias[c], min), max));
            }
        }
    }

    @Override
    public void clamp(MemorySegment x, MemorySegment out, long n, float min, float max) {
        for (long i = 0; i < n; i++) {
            out.setAtIndex(F, i, Math.min(Math.max(x.getAtIndex(F, i), min), max));
        }
    }

    @Override
    public void addClamp(MemorySegment x, MemorySegment z, MemorySegment out, long n, float min, float max) {
        for (long i = 0; i < n; i++) {
            out.setAtIndex(F, i, Math.min(Math.max(x.getAtIndex(F, i) + z.getAtIndex(F, i), min), max));
        }
    }

    @Override
    public void binary(Arith op, MemorySegment a, long aIndex, int aStep, MemorySegment b, long bIndex, int bStep,
                       MemorySegment out, long outIndex, int n) {
        for (int i = 0; i < n; i++) {
            float x = a.getAtIndex(F, aIndex + (long) i * aStep);
            float y = b.getAtIndex(F, bIndex + (long) i * bStep);
            float r = switch (op) {
                case ADD -> x + y;
                case SUB -> x - y;
                case MUL -> x * y;
                case DIV -> x / y;
            };
            out.setAtIndex(F, outIndex + i, r);
        }
    }

    @Override
    public void softmax(MemorySegment x, MemorySegment out, long index, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, x.getAtIndex(F, index + i));
        }
        float sum = 0;
        for (int i = 0; i < n; i++) {
            float e = (float) Math.exp(x.getAtIndex(F, index + i) - max);
            out.setAtIndex(F, index + i, e);
            sum += e;
        }
        for (int i = 0; i < n; i++) {
            out.setAtIndex(F, index + i, out.getAtIndex(F, index + i) / sum);
        }
    }

    @Override
    public double[] meanVariance(MemorySegment x, long index, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) {
            s += x.getAtIndex(F, index + i);
        }
        double mean = s / n;
        double v = 0;
        for (int i = 0; i < n; i++) {
            double d = x.getAtIndex(F, index + i) - mean;
            v += d * d;
        }
        return new double[] {mean, v / n};
    }

    @Override
    public void normalize(MemorySegment x, MemorySegment out, long index, int n, float mean, float invStd, float[] scale,
                          float[] bias) {
        for (int i = 0; i < n; i++) {
            float v = (x.getAtIndex(F, index + i) - mean) * invStd * scale[i];
            out.setAtIndex(F, index + i, bias == null ? v : v + bias[i]);
        }
    }

    @Override
    public void multiply(float[] y, int yOff, float[] f, int fOff, int n) {
        for (int i = 0; i < n; i++) {
            y[yOff + i] *= f[fOff + i];
        }
    }

    @Override
    public void quantize(MemorySegment x, MemorySegment q, long n, float scale, int zeroPoint, int qmin, int qmax) {
        for (long i = 0; i < n; i++) {
            double v = Math.rint(x.getAtIndex(F, i) / scale) + zeroPoint;
            long r = Double.isNaN(v) ? 0 : (long) Math.min(Math.max(v, qmin), qmax);
            q.set(ValueLayout.JAVA_BYTE, i, (byte) r);
        }
    }

    @Override
    public void dequantize(MemorySegment q, boolean unsigned, MemorySegment x, long n, float scale, int zeroPoint) {
        for (long i = 0; i < n; i++) {
            byte b = q.get(ValueLayout.JAVA_BYTE, i);
            int v = unsigned ? b & 0xFF : b;
            x.setAtIndex(F, i, ((float) v - zeroPoint) * scale);
        }
    }

    @Override
    public void widen(MemorySegment q, long index, boolean unsigned, int zero, float[] dst, int off, int n) {
        for (int i = 0; i < n; i++) {
            byte b = q.get(ValueLayout.JAVA_BYTE, index + i);
            dst[off + i] = (unsigned ? b & 0xFF : b) - zero;
        }
    }

    @Override
    public void sumsToInt(MemorySegment sums, long sumIndex, MemorySegment partial, long partialIndex, int n,
                          MemorySegment out, long outIndex) {
        for (int i = 0; i < n; i++) {
            int p = partial == null ? 0 : partial.getAtIndex(ValueLayout.JAVA_INT, partialIndex + i);
            out.setAtIndex(ValueLayout.JAVA_INT, outIndex + i, (int) sums.getAtIndex(F, sumIndex + i) + p);
        }
    }

    @Override
    public void requantize(MemorySegment sums, long sumIndex, MemorySegment partial, long partialIndex, int n, int bias,
                           double multiplier, double zero, int min, int max, MemorySegment out, long outIndex) {
        for (int i = 0; i < n; i++) {
            int acc = (int) sums.getAtIndex(F, sumIndex + i) + bias
                + (partial == null ? 0 : partial.getAtIndex(ValueLayout.JAVA_INT, partialIndex + i));
            out.set(ValueLayout.JAVA_BYTE, outIndex + i, (byte) saturateRound(acc * multiplier + zero, min, max));
        }
    }

    @Override
    public void requantizeRow(int[] acc, int accOff, int n, double[] multipliers, double zero, int min, int max,
                              MemorySegment out, long outIndex) {
        for (int i = 0; i < n; i++) {
            out.set(ValueLayout.JAVA_BYTE, outIndex + i,
                (byte) saturateRound(acc[accOff + i] * multipliers[i] + zero, min, max));
        }
    }

    /** cpu-ref's QuantRange.saturateRound: round half to even, saturate, NaN to 0. */
    static int saturateRound(double v, int min, int max) {
        if (Double.isNaN(v)) {
            return 0;
        }
        double r = Math.rint(v);
        return r <= min ? min : r >= max ? max : (int) r;
    }

    @Override
    public float sum(MemorySegment x, long index, int n) {
        float s = 0;
        for (int i = 0; i < n; i++) {
            s += x.getAtIndex(F, index + i);
        }
        return s;
    }

    @Override
    public float[] minMax(MemorySegment x, long from, long to) {
        float lo = Float.POSITIVE_INFINITY;
        float hi = Float.NEGATIVE_INFINITY;
        for (long i = from; i < to; i++) {
            float v = x.getAtIndex(F, i);
            lo = Math.min(lo, v);
            hi = Math.max(hi, v);
        }
        return new float[] {lo, hi};
    }

    @Override
    public void absBins(MemorySegment x, long index, int n, float inverse, int last, int[] bins) {
        for (int i = 0; i < n; i++) {
            bins[i] = Math.min((int) (Math.abs(x.getAtIndex(F, index + i)) * inverse), last);
        }
    }

    @Override
    public void clampBytes(MemorySegment x, MemorySegment out, long n, int lo, int hi, boolean unsigned) {
        for (long i = 0; i < n; i++) {
            byte b = x.get(ValueLayout.JAVA_BYTE, i);
            int v = unsigned ? Byte.toUnsignedInt(b) : b;
            out.set(ValueLayout.JAVA_BYTE, i, (byte) Math.min(Math.max(v, lo), hi));
        }
    }
}
