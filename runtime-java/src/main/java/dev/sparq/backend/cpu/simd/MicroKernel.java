package dev.sparq.backend.cpu.simd;

import java.lang.foreign.MemorySegment;

/**
 * The innermost GEMM tile: {@code C[rows × cols] (+)= Apanel · Bpanel} over {@code kc} steps, where the A panel is
 * {@link #mr()} (usually MR) values per k ({@code a[aOff + k*mr + r]}) and the B panel NR values per k ({@code b[bOff + k*NR + j]}), both
 * zero-padded. The only hardware-specific code of the GEMM: one Vector API implementation and a scalar fallback,
 * chosen at startup ({@link #get()}), so the rest of the engine never knows which runs.
 */
public interface MicroKernel {
    int MR = 8;

    /** Rows per tile: the A panel width. */
    default int mr() {
        return MR;
    }

    /** Columns per tile. */
    int nr();

    /**
     * @param c          output, f32, row-major with row stride {@code ldc} elements
     * @param cIndex     element index of the tile's top-left in {@code c}
     * @param accumulate add to C instead of overwriting (for every k block but the first)
     * @param epilogue   applied when this is the last k block, else null; row0/col0 locate the tile for biases
     */
    void run(int kc, float[] a, int aOff, float[] b, int bOff, MemorySegment c, long cIndex, long ldc, int rows,
             int cols, boolean accumulate, Epilogue epilogue, int row0, int col0);

    /**
     * {@link #run} that may also read the A panel the next tiles will use, from {@code a[ahead]} on ({@code mr()/2}
     * values per k step, a negative {@code ahead} for none), so it streams in while this tile computes: Java has no
     * prefetch instruction, and weights too large for the caches otherwise arrive when the kernel first needs them.
     * The results are those of {@link #run}; kernels without it ignore the hint.
     */
    default void run(int kc, float[] a, int aOff, float[] b, int bOff, MemorySegment c, long cIndex, long ldc, int rows,
                     int cols, boolean accumulate, Epilogue epilogue, int row0, int col0, int ahead) {
        run(kc, a, aOff, b, bOff, c, cIndex, ldc, rows, cols, accumulate, epilogue, row0, col0);
    }

    /**
     * Two tiles of the same rows side by side in one call: B panels at {@code bOff} and {@code bOff2} into C at
     * {@code cIndex} and {@code cIndex2} (columns {@code col0} and {@code col02}, widths {@code cols} and
     * {@code cols2}). The 1-row tile reads the two panels as two streams: weights coming from memory arrive faster
     * than as one (a 1000 × 1280 classifier with cold weights: 100 against 125-130 µs). The results are those of two
     * {@link #run} calls, which is this default.
     */
    default void run2(int kc, float[] a, int aOff, float[] b, int bOff, int bOff2, MemorySegment c, long cIndex,
                      long cIndex2, long ldc, int rows, int cols, int cols2, boolean accumulate, Epilogue epilogue,
                      int row0, int col0, int col02) {
        run(kc, a, aOff, b, bOff, c, cIndex, ldc, rows, cols, accumulate, epilogue, row0, col0);
        run(kc, a, aOff, b, bOff2, c, cIndex2, ldc, rows, cols2, accumulate, epilogue, row0, col02);
    }

    /**
     * A whole tile with its A panel read in place rather than packed: y[yOff + r·ldy + j] = Σ_k x[starts[k] + i + r] ·
     * b[bOff + k·nr() + j] for r < mr(), j < nr(), k in order from 0 (one chain of FMAs, as {@link #run} sums one k
     * block). Row r is pixel i + r of a flat im2col whose row k starts at x[starts[k]] ({@link PixelGemmConv}); all
     * mr() pixels must lie inside x. This default is plain Java; the Vector API tile overrides it.
     */
    default void runInPlace(int kc, float[] x, int[] starts, int i, float[] b, int bOff, float[] y, int yOff,
                            int ldy) {
        pixelRows(mr(), nr(), 0, kc, x, starts, i, b, bOff, y, yOff, ldy, false);
    }

    /** Pixels per {@link #runRow} tile: 7 divides the sides of the common vision networks' images (224 = 32 · 7). */
    int ROW = 7;

    /**
     * A tile of {@link #ROW} pixels read in place, over k from {@code k0} to {@code k1} − 1 in order: y[yOff + r·ldy + j]
     * = (accumulate ? y[yOff + r·ldy + j] : 0) + Σ_k x[starts[k] + i + r] · b[bOff + k·nr() + j], one FMA chain per
     * output. Continuing the chains held in y gives the bits of one chain over all k, so callers may split the
     * reduction into cache-sized blocks ({@link PixelRowConv}). This default is plain Java; the Vector API tile
     * overrides it.
     */
    default void runRow(int k0, int k1, float[] x, int[] starts, int i, float[] b, int bOff, float[] y, int yOff,
                        int ldy, boolean accumulate) {
        pixelRows(ROW, nr(), k0, k1, x, starts, i, b, bOff, y, yOff, ldy, accumulate);
    }

    /** The plain Java of {@link #runInPlace} and {@link #runRow}: {@code rows} pixels, k from k0 to k1 − 1. */
    private static void pixelRows(int rows, int nr, int k0, int k1, float[] x, int[] starts, int i, float[] b,
                                  int bOff, float[] y, int yOff, int ldy, boolean accumulate) {
        for (int r = 0; r < rows; r++) {
            if (!accumulate) {
                java.util.Arrays.fill(y, yOff + r * ldy, yOff + r * ldy + nr, 0f);
            }
            for (int k = k0; k < k1; k++) {
                float av = x[starts[k] + i + r];
                for (int j = 0; j < nr; j++) {
                    y[yOff + r * ldy + j] = Math.fma(av, b[bOff + k * nr + j], y[yOff + r * ldy + j]);
                }
            }
        }
    }

    static MicroKernel get() {
        return Holder.INSTANCE;
    }

    /** A tile one vector wide (16 rows), for products with few B rows; null without the Vector API at 256 bits. */
    static MicroKernel narrow() {
        return Holder.NARROW;
    }

    /** A 1-row tile with the main tile's columns, for products of 1–3 rows; null without the Vector API. */
    static MicroKernel oneRow() {
        return Holder.ONE_ROW;
    }

    final class Holder {
        static final MicroKernel INSTANCE = SimdConfig.BITS == 0 ? new ScalarMicroKernel()
            : new PanamaMicroKernel();
        static final MicroKernel ONE_ROW = SimdConfig.BITS == 0 ? null : new PanamaMicroKernel(1);
        static final MicroKernel NARROW = SimdConfig.BITS >= 256 ? new PanamaNarrowKernel() : null;

        private Holder() {
        }
    }
}
