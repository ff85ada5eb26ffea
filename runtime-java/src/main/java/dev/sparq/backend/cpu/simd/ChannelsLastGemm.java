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
 * against 295 µs on 12544 × 16 × 96.) Whole 12-pixel panels only; the last few rows go through {@link Gemm}. Pixel
 * panels are split across threads; each sum runs in the same order whatever the thread count.
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
        int n = b.rows();
        int nr = MicroKernel.get().nr();
        int panels = rows / MR;
        int threads = Math.min(Math.max(1, panels), ctx.threadsFor((long) rows * n * k / Gemm.WORK_PER_THREAD));
        long rowBytes = (long) k * Float.BYTES;
        ctx.parallelFor(threads, t -> {
            for (int p = (int) ((long) panels * t / threads); p < (long) panels * (t + 1) / threads; p++) {
                for (int k0 = 0; k0 < k; k0 += Gemm.KC) {
                    int kb = Math.min(Gemm.KC, k - k0);
                    boolean last = k0 + kb >= k;
                    PanelSource.Panels bp = b.panels(k0, kb, 0, n, nr, null);
                    // the panel's rows copied as they are (one copy when the reduction is one block): only
                    // the copy, no interleaving, so the tile reads row r's k-th value at r·kb + k
                    float[] a = Scratch.of(0).get(MR * kb);
                    if (kb == k) {
                        MemorySegment.copy(x, ValueLayout.JAVA_FLOAT, p * MR * rowBytes, a, 0, MR * k);
                    } else {
                        for (int r = 0; r < MR; r++) {
                            MemorySegment.copy(x, ValueLayout.JAVA_FLOAT, (p * MR + r) * rowBytes
                                + (long) k0 * Float.BYTES, a, r * kb, kb);
                        }
                    }
                    for (int col = 0, jc = 0; col < n; col += nr, jc++) {
                        PanamaMicroKernel.run12(kb, a, 0, kb, bp.data(), bp.base() + jc * bp.stride(), y,
                            (long) p * MR * n + col, n, Math.min(nr, n - col), k0 > 0, last ? epilogue : null,
                            p * MR, col);
                    }
                }
            }
        });
        int done = panels * MR;
        if (done < rows) {
            Gemm.run(MicroKernel.get(), new RowMajorSource(x, (long) done * k, rows - done, k, k, false), b, y,
                (long) done * n, n, epilogue, ctx);
        }
    }
}
