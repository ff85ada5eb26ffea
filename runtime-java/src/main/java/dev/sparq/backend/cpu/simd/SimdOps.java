package dev.sparq.backend.cpu.simd;

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

    /** even[evenOff + i] = src[srcOff + 2i], odd[oddOff + i] = src[srcOff + 2i + 1], over n source values. */
    void deinterleave2(float[] src, int srcOff, int n, float[] even, int evenOff, float[] odd, int oddOff);

    /** y[yOff + i] += a * x[xIndex + i*stride] for i in [0, n). */
    void axpyStrided(float[] y, int yOff, float a, MemorySegment x, long xIndex, int stride, int n);

    /** y[yOff + i] = max(y[yOff + i], x[xOff + i]) for i in [0, n), both on the heap. */
    void max(float[] y, int yOff, float[] x, int xOff, int n);

    /** out[outIndex + i] = clamp(acc[accOff + i] + bias, min, max) for i in [0, n). */
    void storeRow(float[] acc, int accOff, int n, float bias, float min, float max, MemorySegment out, long outIndex);

    /** out[i] = clamp(a[i] + b[i], min, max) over n elements (the same index in all three). */
    void addClamp(MemorySegment a, MemorySegment b, MemorySegment out, long n, float min, float max);

    /** out[i] = clamp(x[i], min, max). */
    void clamp(MemorySegment x, MemorySegment out, long n, float min, float max);

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
