package dev.sparq.backend.cpu.simd;

import dev.sparq.backend.geometry.ConvGeometry2d;
import java.lang.foreign.MemorySegment;

/**
 * The vectorizable primitives cpu-simd's non-GEMM kernels are built from, over f32 data. One Vector API
 * implementation and a scalar one behind this interface, picked once at startup (like Lucene's VectorUtilSupport),
 * so kernels never name a species. Indices are element indices into the segments.
 */
interface SimdOps {
    /** y[yOff .. yOff+n) += a * x[xIndex .. xIndex+n). */
    void axpy(float[] y, int yOff, float a, MemorySegment x, long xIndex, int n);

    /** y[yOff .. yOff+n) += a * x[xOff .. xOff+n), both on the heap. */
    void axpy(float[] y, int yOff, float a, float[] x, int xOff, int n);

    /**
     * y[yOff + i] = Σ_t w[wOff + t] · x[starts[t] + i] for i in [0, n) over 9 taps (a 3×3 window), added to y's
     * value when {@code accumulate}: each output summed in registers from its 9 inputs, tap by tap in order (after
     * y's value), and stored once.
     */
    void taps9(float[] y, int yOff, float[] w, int wOff, float[] x, int[] starts, int n, boolean accumulate);

    /**
     * y[yOff + o·yStride + i] = Σ_j w[wOff + o·k + j] · x[starts[j] + i] for the 4 rows o, i in [0, n), j in [0, k):
     * four output channels of a direct convolution, each output summed in registers over the whole reduction
     * (input channels × taps, j in order) and stored once.
     */
    void dotRuns4(float[] y, int yOff, int yStride, float[] w, int wOff, int k, float[] x, int[] starts, int n);

    /** Channels {@link #depthwiseBlock} computes at once: the vector length (any small number for scalar code). */
    int lanes();

    /**
     * A depthwise convolution of {@link #lanes()} channels at once (L below), channel-minor: x holds the padded
     * input, x[(py·xw + px)·L + l] for channel l at padded pixel (py, px); w the taps, w[t·L + l] with t = ky·kw + kx;
     * then y[(oy·ow + ox)·L + l] = clamp(Σ_t w[t·L + l] · x[((oy·sh + ky·dh)·xw + ox·sw + kx·dw)·L + l] + bias[l],
     * min, max), the taps summed in order from 0 and the bias added after them.
     */
    void depthwiseBlock(ConvGeometry2d g, float[] x, int xw, float[] w, float[] bias, float min, float max, float[] y);

    /**
     * Output rows [oy0, oy1) of a depthwise convolution on a channels-last image: x[xImage + (iy·g.w() + ix)·C + c] is
     * channel c of input pixel (iy, ix), w[t·C + c] tap t = ky·kw + kx of channel c, and
     * y[yImage + (oy·ow + ox)·C + c] = clamp(bias[c] + Σ_t w[t·C + c] · x(oy·sh − padTop + ky·dh,
     * ox·sw − padLeft + kx·dw), min, max) for ox in [0, ow), c in [0, C), the taps that fall in the padding left out
     * and the rest summed in order after the bias. {@code zeroRow} holds at least g.w()·C zeros (read in place of a
     * row in the padding). With {@code ringRows} > 0, x is a ring of that many rows instead of the image: input row iy
     * is row iy mod ringRows of it.
     */
    void depthwiseNhwcRows(ConvGeometry2d g, int channels, MemorySegment x, long xImage, float[] w, float[] bias,
                           float min, float max, int oy0, int oy1, MemorySegment y, long yImage, MemorySegment zeroRow,
                           int ringRows);

    /** Where input row {@code iy} of {@link #depthwiseNhwcRows} is: its index in the image, or in the ring. */
    static long inputRow(int iy, int ringRows) {
        return ringRows > 0 ? iy % ringRows : iy;
    }

    /**
     * out[outIndex + p·channels + c] = clamp(src[srcOff + p·srcStride + c] + bias[c], min, max) for p in [0, pixels),
     * c in [0, channels): pixel-major products stored as channels-last pixels.
     */
    void storeChannelRows(float[] src, int srcOff, int srcStride, int pixels, int channels, float[] bias, float min,
                          float max, MemorySegment out, long outIndex);

    /**
     * dst[dstIndex + c·rows + r] = src[srcIndex + r·cols + c] for r in [0, rows), c in [0, cols): one image between
     * NHWC ([rows = H·W][cols = C]) and NCHW, either way.
     */
    void transpose(MemorySegment src, long srcIndex, int rows, int cols, MemorySegment dst, long dstIndex);

    /**
     * dst[dstOff + i·L + l] = src[srcOff + laneOffsets[l] + i] for i in [0, n), l in [0, L = {@link #lanes()}): L
     * rows of src interleaved channel-minor, the layout {@link #depthwiseBlock} reads.
     */
    void interleaveLanes(float[] src, int[] laneOffsets, int srcOff, float[] dst, int dstOff, int n);

    /**
     * dst[dstOff + c·dstStride + r] = src[srcOff + r·srcStride + c] for r in [0, rows), c in [0, cols): a transpose,
     * e.g. channel-minor blocks back to planes.
     */
    void transpose(float[] src, int srcOff, int srcStride, int rows, int cols, float[] dst, int dstOff, int dstStride);

    /** The same into a native segment: dst[dstIndex + c·dstStride + r] = src[srcOff + r·srcStride + c]. */
    void transpose(float[] src, int srcOff, int srcStride, int rows, int cols, MemorySegment dst, long dstIndex,
                   long dstStride);

    /** even[evenOff + i] = src[srcOff + 2i], odd[oddOff + i] = src[srcOff + 2i + 1], over n source values. */
    void deinterleave2(float[] src, int srcOff, int n, float[] even, int evenOff, float[] odd, int oddOff);

    /** The same from a segment: even[evenOff + i] = src[srcIndex + 2i], odd[oddOff + i] = src[srcIndex + 2i + 1]. */
    void deinterleave2(MemorySegment src, long srcIndex, int n, float[] even, int evenOff, float[] odd, int oddOff);

    /**
     * dst[dstIndex + i] = src[srcIndex + i·step] for i &lt; n: an image row subsampled for a strided 1×1 convolution.
     * Reads nothing past src[srcIndex + (n − 1)·step].
     */
    void subsample(MemorySegment src, long srcIndex, int n, int step, MemorySegment dst, long dstIndex);

    /**
     * Copies {@code panels} runs of {@code width} floats, src[srcOff + p·width ..] to dst[dstOff + p·dstStride ..]:
     * packing consecutive pixels into GEMM panels.
     */
    void copyPanels(float[] src, int srcOff, int panels, int width, float[] dst, int dstOff, int dstStride);

    /**
     * Interleaves {@code width} rows of {@code kb} floats (row r at src[r·kb ..]) into one GEMM panel:
     * dst[dstOff + k·width + r] = src[r·kb + k].
     */
    void interleaveRows(float[] src, int width, int kb, float[] dst, int dstOff);

    /** {@link #copyPanels(float[], int, int, int, float[], int, int)} from a segment (element index {@code srcIndex}). */
    void copyPanels(MemorySegment src, long srcIndex, int panels, int width, float[] dst, int dstOff, int dstStride);

    /** y[yOff + i] += a * x[xIndex + i*stride] for i in [0, n). */
    void axpyStrided(float[] y, int yOff, float a, MemorySegment x, long xIndex, int stride, int n);

    /**
     * y[yOff + i] = max(x[a + i], x[b + i], x[c + i]) for i in [0, n): three rows of a plane (element indexes
     * {@code a}, {@code b}, {@code c}) folded into one on the heap.
     */
    void max3(MemorySegment x, long a, long b, long c, float[] y, int yOff, int n);

    /** y[yOff + i] = max(y[yOff + i], x[xOff + i]) for i in [0, n), both on the heap. */
    void max(float[] y, int yOff, float[] x, int xOff, int n);

    /**
     * out[outIndex + i] = max(row[2i], row[2i + 1], row[2i + 2]) for i in [0, n): the maxima of a row's 3-wide
     * windows at stride 2, straight into a native segment. May read {@code row[2n + 1]} (not used).
     */
    void maxWindow3Stride2(float[] row, int n, MemorySegment out, long outIndex);

    /**
     * One row of a 3×3 stride-2 max pool over pixel-major rows (pixel x of a row at src[row + x·width + c]):
     * dst[dstOff + p·width + c] = the maximum over the rows at {@code top}, {@code mid}, {@code bottom} and the
     * columns 2p − 1, 2p, 2p + 1 that lie in [0, ow), for p in [0, pw), c in [0, width). A row missing past an edge
     * is given as {@code mid} again. Needs 2·(pw − 1) < ow.
     */
    void maxPoolRow3x3Stride2(float[] src, int top, int mid, int bottom, int width, int ow, int pw, float[] dst,
                              int dstOff);

    /** out[outIndex + i] = clamp(acc[accOff + i] + bias, min, max) for i in [0, n). */
    void storeRow(float[] acc, int accOff, int n, float bias, float min, float max, MemorySegment out, long outIndex);

    /**
     * out[outIndex + c·outStride + p] = clamp(src[srcOff + p·srcStride + c] + bias[c], min, max) for p in
     * [0, pixels), c in [c0, c1): a pixel-major product stored as channel rows (NCHW), transposed on the way, the
     * values of {@link #transpose} then {@link #storeRow} per channel.
     */
    void storeTransposed(float[] src, int srcOff, int srcStride, int pixels, int c0, int c1, float[] bias, float min,
                         float max, MemorySegment out, long outIndex, long outStride);

    /** out[i] = clamp(x[i], min, max). */
    void clamp(MemorySegment x, MemorySegment out, long n, float min, float max);

    /** out[i] = clamp(x[i] + z[i], min, max), i in [0, n); out may be x. */
    void addClamp(MemorySegment x, MemorySegment z, MemorySegment out, long n, float min, float max);

    /** The four arithmetic ops of {@link #binary}. */
    enum Arith { ADD, SUB, MUL, DIV }

    /**
     * out[outIndex + i] = a[aIndex + i*aStep] op b[bIndex + i*bStep] for i in [0, n); a step of 0 repeats one value
     * (a broadcast axis), 1 walks the row.
     */
    void binary(Arith op, MemorySegment a, long aIndex, int aStep, MemorySegment b, long bIndex, int bStep,
                MemorySegment out, long outIndex, int n);

    /** Softmax of x[index .. index+n) into out at the same index: exp(x − max) / Σ exp(x − max). */
    void softmax(MemorySegment x, MemorySegment out, long index, int n);

    /** Mean and population variance of x[index .. index+n) (two passes), as {mean, variance}. */
    double[] meanVariance(MemorySegment x, long index, int n);

    /** out[index + i] = (x[index + i] − mean) · invStd · scale[i] + bias[i] (bias may be null). */
    void normalize(MemorySegment x, MemorySegment out, long index, int n, float mean, float invStd, float[] scale,
                   float[] bias);

    /** y[yOff + i] *= f[fOff + i], both on the heap. */
    void multiply(float[] y, int yOff, float[] f, int fOff, int n);

    /**
     * QuantizeLinear per tensor, as ONNX: q = saturate(round_half_even(x / scale) + zeroPoint) into [qmin, qmax],
     * stored as bytes (uint8 or int8 by the range); NaN becomes 0, as in the reference.
     */
    void quantize(MemorySegment x, MemorySegment q, long n, float scale, int zeroPoint, int qmin, int qmax);

    /** DequantizeLinear per tensor: x = ((float) q − zeroPoint) · scale, q read as uint8 or int8. */
    void dequantize(MemorySegment q, boolean unsigned, MemorySegment x, long n, float scale, int zeroPoint);

    /**
     * out[i] = clamp(x[i], lo, hi) for n bytes read as uint8 ({@code unsigned}) or int8; lo and hi are given in the
     * same reading (0..255 or -128..127).
     */
    void clampBytes(MemorySegment x, MemorySegment out, long n, int lo, int hi, boolean unsigned);

    /** {min, max} of x[from .. to) as Math.min/max fold them (a NaN anywhere gives NaN); {+inf, -inf} if empty. */
    float[] minMax(MemorySegment x, long from, long to);

    /** bins[i] = min((int) (|x[index + i]| · inverse), last) for i in [0, n); x must hold finite values. */
    void absBins(MemorySegment x, long index, int n, float inverse, int last, int[] bins);

    /** dst[off + i] = q[index + i] − zero as floats, q read as uint8 or int8 (exact: small integers). */
    void widen(MemorySegment q, long index, boolean unsigned, int zero, float[] dst, int off, int n);

    /**
     * out[outIndex + i] = (int) sums[sumIndex + i] + partial[partialIndex + i] (int32, wrapping); sums are f32 holding
     * exact integers, partial is int32 or null (read as 0), out is int32 and may be partial itself.
     */
    void sumsToInt(MemorySegment sums, long sumIndex, MemorySegment partial, long partialIndex, int n,
                   MemorySegment out, long outIndex);

    /**
     * QLinear requantization of one output plane (one channel): acc = (int) sums[i] + partial[i] + bias (int32,
     * wrapping; partial may be null), then saturate(rint(acc · multiplier + zero)) into [min, max] as ONNX's
     * reference does it (in double; NaN gives 0), stored as bytes at out[outIndex + i].
     */
    void requantize(MemorySegment sums, long sumIndex, MemorySegment partial, long partialIndex, int n, int bias,
                    double multiplier, double zero, int min, int max, MemorySegment out, long outIndex);

    /** {@link #requantize} of int32 accumulators acc[accOff + i] with one multiplier per column (a matmul row). */
    void requantizeRow(int[] acc, int accOff, int n, double[] multipliers, double zero, int min, int max,
                       MemorySegment out, long outIndex);

    /** y[yIndex + c] = scale · Σ_p x[xIndex + p·channels + c] for c in [0, channels), p in [0, pixels). */
    void channelMeans(MemorySegment x, long xIndex, int pixels, int channels, float scale, MemorySegment y,
                      long yIndex);

    /** Sum of x[index .. index+n). */
    float sum(MemorySegment x, long index, int n);

    static SimdOps get() {
        return Holder.INSTANCE;
    }

    final class Holder {
        static final SimdOps INSTANCE = SimdConfig.BITS == 0 ? new ScalarOps()
            : new PanamaOps();

        private Holder() {
        }
    }
}
