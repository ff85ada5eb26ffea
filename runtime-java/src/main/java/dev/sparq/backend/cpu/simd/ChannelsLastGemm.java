package dev.sparq.backend.cpu.simd;

import dev.sparq.backend.ExecutionContext;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Y[rows][n] = X[rows][k] · B with the epilogue, X not packed: a channels-last image's pixels are the rows, and the
 * 12-row tile broadcasts them from a plain copy of the panel's rows ({@link PanamaMicroKernel#run12(int, float[],
 * int, int, float[], int, MemorySegment, long, long, int, boolean, Epilogue, int, int)}), where {@link Gemm} would
 * interleave them first: the interleaving was a third of a pointwise layer with few output channels, whose pixel
 * panels serve one or two tiles each. (Broadcasting straight from the segment measured slower than the copy: 383
 * against 295 µs on 12544 × 16 × 96.) Whole 12-pixel panels only; the last few rows go through {@link Gemm}. Each
 * sum runs over k in order whatever the thread count. (A weights-major order for the 7×7 layers, each weight panel
 * meeting every pixel panel, measured no faster: 250-254 against 257-276 µs on 49 × 960 × 320, 129-132 against
 * 104-110 on 49 × 160 × 960.)
 */
final class ChannelsLastGemm {
    static final int MR = 12;

    private ChannelsLastGemm() {
    }

    /** Whether this tile runs here (the 12-row tile of the 512-bit Vector API kernel). */
    static boolean available() {
        return MicroKernel.get() instanceof PanamaMicroKernel && PanamaMicroKernel.ROWS == MR;
    }

    static void run(MemorySegment x, int rows, int k, PackedMatrix b, MemorySegment y, Epilogue epilogue,
                    ExecutionContext ctx) {
        int panels = rows / MR;
        panels(x, panels, k, b, y, epilogue, ctx);
        int done = panels * MR;
        if (done < rows) {
            // 1-3 rows left (a 7×7 image's 49th pixel) on the 1-row tile: the 12-row one would compute 12
            MicroKernel tail = rows - done < 4 && MicroKernel.oneRow() != null ? MicroKernel.oneRow() : MicroKernel.get();
            Gemm.run(tail, new RowMajorSource(x, (long) done * k, rows - done, k, k, false), b, y,
                (long) done * b.rows(), b.rows(), epilogue, ctx);
        }
    }

    /**
     * Pixel panel by pixel panel, each meeting every weight panel. The panel's rows are copied as they are (one
     * copy), so the tile reads row r's k-th value at r·k + k; pixel panels are split across threads.
     */
    private static void panels(MemorySegment x, int panels, int k, PackedMatrix b, MemorySegment y, Epilogue epilogue,
                               ExecutionContext ctx) {
        int n = b.rows();
        int nr = MicroKernel.get().nr();
        int threads = Math.min(Math.max(1, panels),
            ctx.threadsFor((long) panels * MR * n * k / Gemm.WORK_PER_THREAD));
        long panelBytes = (long) MR * k * Float.BYTES;
        ctx.parallelFor(threads, t -> {
            float[] a = Scratch.of(0).get(MR * k);
            for (int p = (int) ((long) panels * t / threads); p < (long) panels * (t + 1) / threads; p++) {
                MemorySegment.copy(x, ValueLayout.JAVA_FLOAT, p * panelBytes, a, 0, MR * k);
                for (int k0 = 0; k0 < k; k0 += Gemm.KC) {
                    int kb = Math.min(Gemm.KC, k - k0);
                    PanelSource.Panels bp = b.panels(k0, kb, 0, n, nr, null);
                    for (int col = 0, jc = 0; col < n; col += nr, jc++) {
                        PanamaMicroKernel.run12(kb, a, k0, k, bp.data(), bp.base() + jc * bp.stride(), y,
                            (long) p * MR * n + col, n, Math.min(nr, n - col), k0 > 0,
                            k0 + kb >= k ? epilogue : null, p * MR, col);
                    }
                }
            }
        });
    }
}
