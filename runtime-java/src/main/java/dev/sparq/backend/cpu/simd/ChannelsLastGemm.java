package dev.sparq.backend.cpu.simd;

import dev.sparq.backend.ExecutionContext;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * Y[rows][n] = X[rows][k] · B with the epilogue, X not packed: a channels-last image's pixels are the rows, and the
 * 12-row tile broadcasts them from a plain copy of the panel's rows ({@link PanamaMicroKernel#run12(int, float[],
 * int, int, float[], int, MemorySegment, long, long, int, boolean, Epilogue, int, int)}), where {@link Gemm} would
 * interleave them first: the interleaving was a third of a pointwise layer with few output channels, whose pixel
 * panels serve one or two tiles each. (Broadcasting straight from the segment measured slower than the copy: 383
 * against 295 µs on 12544 × 16 × 96.) Panels of 12-14 pixels ({@link RowPanels#wide}: 196 pixels as 14 of 14, with
 * no tail) where the rows allow, else of 12 with the last few rows through {@link Gemm}. Each sum runs over k in
 * order whatever the thread count. The weights are read into the caches before the tiles need them
 * ({@link CacheWarmer}); those larger than {@link #WEIGHT_MAJOR_BYTES} go weight panel by weight panel. (Without the
 * reading first, the weight-major order measured no faster on hot caches: 250-254 against 257-276 µs on
 * 49 × 960 × 320, 129-132 against 104-110 on 49 × 160 × 960.)
 */
final class ChannelsLastGemm {
    static final int MR = 12;
    /** Weights above this go weight panel by weight panel (half of L2 here, as {@link Gemm}'s B block). */
    static final long WEIGHT_MAJOR_BYTES = 512 * 1024;

    /**
     * Whether packed weights of {@code bytes} go weight panel by weight panel on the main tile: the rule {@link #run}
     * follows, and the one the pointwise kernel packs them for ({@link PackedMatrix} panel-major).
     */
    static boolean weightMajor(long bytes) {
        return bytes > WEIGHT_MAJOR_BYTES;
    }

    private ChannelsLastGemm() {
    }

    /** Whether this tile runs here (the 12-row tile of the 512-bit Vector API kernel). */
    static boolean available() {
        return MicroKernel.get() instanceof PanamaMicroKernel && PanamaMicroKernel.ROWS == MR;
    }

    /**
     * Output channels {@link PairTileGemm} covers here, one and a half vectors (24 at 512 bits), or 0 where it does
     * not run (below 256 bits a vector holds too few pairs). Here, not there: asking that class would load the Vector
     * API, which may be absent.
     */
    static int pairsWidth() {
        return SimdConfig.BITS >= 256 ? SimdConfig.BITS / Float.SIZE * 3 / 2 : 0;
    }

    /** Whether the narrow tile (16 rows × one vector of columns, {@link PanamaNarrowKernel}) runs here. */
    static boolean narrowAvailable() {
        return MicroKernel.narrow() instanceof PanamaNarrowKernel;
    }

    /**
     * Y = X · B on the main tile ({@code narrow} false, B packed for {@link MicroKernel#get()}) or the narrow one (B
     * packed for {@link MicroKernel#narrow()}: at most one vector of output channels, where the main tile would
     * compute two).
     */
    static void run(MemorySegment x, int rows, int k, PackedMatrix b, MemorySegment y, Epilogue epilogue,
                    ExecutionContext ctx, boolean narrow) {
        int mr = narrow ? PanamaNarrowKernel.ROWS : MR;
        RowPanels split = narrow ? null : RowPanels.wide(rows);
        if (split == null) {
            split = RowPanels.uniform(rows / mr, mr);
        }
        if (!narrow && weightMajor(b.bytes())) {
            weightPanels(x, split, k, b, y, epilogue, ctx);
        } else {
            panels(x, split, k, b, y, epilogue, ctx, narrow);
        }
        int done = split.rows();
        if (done < rows) {
            // the last rows (a 7×7 image's 49th pixel) on a packed tile of the same width, the 1-row one for 1-3 rows
            MicroKernel tail = narrow ? MicroKernel.narrow()
                : rows - done < 4 && MicroKernel.oneRow() != null ? MicroKernel.oneRow() : MicroKernel.get();
            Gemm.run(tail, new RowMajorSource(x, (long) done * k, rows - done, k, k, false), b, y,
                (long) done * b.rows(), b.rows(), epilogue, ctx);
        }
    }

    /**
     * Weight panel by weight panel, each read into the caches ({@link PackedMatrix#warmPanel}) and then meeting every
     * pixel panel: for weights larger than L2 can keep beside the pixels, which the pixel-major order would read
     * again from L3 for each pixel panel, and could not read into L2 first. The pixel rows are copied once; threads
     * split the weight panels. (MobileNetV2's 49 × 960 → 320: 170 µs in the model, 196 with all weights read first
     * and the pixel-major order, 210 without reading them first; RESULTS, stop 26.)
     */
    private static void weightPanels(MemorySegment x, RowPanels split, int k, PackedMatrix b, MemorySegment y,
                                     Epilogue epilogue, ExecutionContext ctx) {
        int n = b.rows();
        int nr = MicroKernel.get().nr();
        int rows = split.rows();
        int colPanels = (n + nr - 1) / nr;
        // run14 reads 14 rows for a 13-row panel: one row of zeros past the last
        float[] a = Scratch.of(0).get((rows + 1) * k);
        MemorySegment.copy(x, ValueLayout.JAVA_FLOAT, 0, a, 0, rows * k);
        Arrays.fill(a, rows * k, (rows + 1) * k, 0f);
        int threads = Math.min(colPanels, ctx.threadsFor((long) rows * n * k / Gemm.WORK_PER_THREAD));
        ctx.parallelFor(threads, t -> {
            for (int jc = (int) ((long) colPanels * t / threads); jc < (long) colPanels * (t + 1) / threads; jc++) {
                b.warmPanel(jc);
                int col = jc * nr;
                int cols = Math.min(nr, n - col);
                for (int k0 = 0; k0 < k; k0 += Gemm.KC) {
                    int kb = Math.min(Gemm.KC, k - k0);
                    PanelSource.Panels bp = b.panels(k0, kb, 0, n, nr, null);
                    int bAt = bp.base() + jc * bp.stride();
                    Epilogue last = k0 + kb >= k ? epilogue : null;
                    for (int p = 0; p < split.count(); p++) {
                        int row0 = split.start(p);
                        int size = split.size(p);
                        rowTile(kb, a, row0 * k + k0, k, bp.data(), bAt, y, (long) row0 * n + col, n, size, cols,
                            k0 > 0, last, row0, col);
                    }
                }
            }
        });
    }

    /**
     * Pixel panel by pixel panel, each meeting every weight panel. The panel's rows are copied as they are (one
     * copy), so the tile reads row r's k-th value at r·k + k; pixel panels are split across threads.
     */
    private static void panels(MemorySegment x, RowPanels split, int k, PackedMatrix b, MemorySegment y,
                               Epilogue epilogue, ExecutionContext ctx, boolean narrow) {
        int n = b.rows();
        int panels = split.count();
        int nr = narrow ? MicroKernel.narrow().nr() : MicroKernel.get().nr();
        int threads = Math.min(Math.max(1, panels),
            ctx.threadsFor((long) split.rows() * n * k / Gemm.WORK_PER_THREAD));
        ctx.parallelFor(threads, t -> {
            float[] a = Scratch.of(0).get(split.max() * k);
            b.warm(); // each thread's L2 gets the weights (RESULTS, stop 26: 4216 → 3963 µs for MobileNetV2's nodes)
            for (int p = (int) ((long) panels * t / threads); p < (long) panels * (t + 1) / threads; p++) {
                int row0 = split.start(p);
                int rows = split.size(p);
                MemorySegment.copy(x, ValueLayout.JAVA_FLOAT, (long) row0 * k * Float.BYTES, a, 0, rows * k);
                if (rows > MR && rows < PanamaMicroKernel.WIDE_ROWS) {
                    // the 14th row: read by the tile, not stored
                    Arrays.fill(a, rows * k, PanamaMicroKernel.WIDE_ROWS * k, 0f);
                }
                for (int k0 = 0; k0 < k; k0 += Gemm.KC) {
                    int kb = Math.min(Gemm.KC, k - k0);
                    PanelSource.Panels bp = b.panels(k0, kb, 0, n, nr, null);
                    for (int col = 0, jc = 0; col < n; col += nr, jc++) {
                        long at = (long) row0 * n + col;
                        int cols = Math.min(nr, n - col);
                        Epilogue last = k0 + kb >= k ? epilogue : null;
                        int bAt = bp.base() + jc * bp.stride();
                        if (narrow) {
                            PanamaNarrowKernel.runRows(kb, a, k0, k, bp.data(), bAt, y, at, n, cols, k0 > 0, last,
                                row0, col);
                        } else {
                            rowTile(kb, a, k0, k, bp.data(), bAt, y, at, n, rows, cols, k0 > 0, last, row0, col);
                        }
                    }
                }
            }
        });
    }

    /** The main tile on {@code rows} copied pixel rows (row r at aOff + r·lda): the 12-row one, else the 14-row one. */
    private static void rowTile(int kb, float[] a, int aOff, int lda, float[] b, int bAt, MemorySegment y, long at,
                                int n, int rows, int cols, boolean accumulate, Epilogue last, int row0, int col) {
        if (rows == MR) {
            PanamaMicroKernel.run12(kb, a, aOff, lda, b, bAt, y, at, n, cols, accumulate, last, row0, col);
        } else {
            PanamaMicroKernel.run14(kb, a, aOff, lda, b, bAt, y, at, n, rows, cols, accumulate, last, row0, col);
        }
    }
}
