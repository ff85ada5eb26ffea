package dev.sparq.backend.cpu.simd;

import dev.sparq.backend.ExecutionContext;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * C[M,N] = A[M,K] · B[K,N] with a fused epilogue, blocked the Goto way: K in blocks of {@link #KC} (or as B asks,
 * {@link PanelSource#depthBlock}: whole for one row of A on panel-major weights), N in chunks of
 * {@link #NC} columns (a KC × NC block of B panels, 512 KiB, stays in L2), and for each A panel (MR × KC, 12 KiB,
 * stays in L1 and is broadcast from) every B panel streams past it, as the C kernel does; the tile space split
 * across threads by columns first (by rows where there are few column panels and many row panels). Each
 * element's sum runs in the same order whatever the thread count, so 1 and N threads give bit-identical results.
 */
public final class Gemm {
    static final int KC = 256;
    static final int NC = 512;
    /** A row panels packed at a time (16 × 12 rows × KC: 192 KiB at most, in L2 beside B's block). */
    static final int MC_PANELS = 16;
    /**
     * Multiply-adds below which a thread is not woken for a share: the pool's hand-off costs microseconds, a whole
     * 1×64×256 layer ~1 µs (the digits MLP ran slower at 2 threads than at 1).
     */
    static final long WORK_PER_THREAD = 65_536;

    private Gemm() {
    }

    /**
     * @param a rows = M, depth = K; {@code b}: rows = N (B transposed), depth = K
     * @param c f32 output with row stride {@code ldc}, top-left at element {@code cIndex}
     */
    static void run(PanelSource a, PanelSource b, MemorySegment c, long cIndex, long ldc, Epilogue epilogue,
                    ExecutionContext ctx) {
        run(MicroKernel.get(), a, b, c, cIndex, ldc, epilogue, ctx);
    }

    /** {@link #run} on a given tile kernel: A in panels of {@code mk.mr()} rows, B of {@code mk.nr()}. */
    static void run(MicroKernel mk, PanelSource a, PanelSource b, MemorySegment c, long cIndex, long ldc,
                    Epilogue epilogue, ExecutionContext ctx) {
        int m = a.rows();
        int n = b.rows();
        int k = a.depth();
        if (b.depth() != k) {
            throw new IllegalArgumentException("GEMM depth mismatch: " + k + " vs " + b.depth());
        }
        if (m == 0 || n == 0) {
            return;
        }
        if (k == 0) {
            fillEpilogueOnly(m, n, c, cIndex, ldc, epilogue);
            return;
        }
        int mr = mk.mr();
        int nr = mk.nr();
        int mPanels = (m + mr - 1) / mr;
        int nPanels = (n + nr - 1) / nr;
        int threads = ctx.threadsFor((long) m * n * k / WORK_PER_THREAD);
        // few, uneven column panels (a 7×7 image's 49 pixels are 32 + 17) and many rows: split the rows, so each
        // thread streams its share of A (the weights) instead of all of it
        boolean rowsFirst = nPanels < 2 * threads && mPanels >= 2 * threads;
        int nGroups = rowsFirst ? 1 : Math.min(nPanels, threads);
        int mGroups = Math.min(mPanels, Math.max(1, threads / nGroups));
        Epilogue ep = epilogue == null ? Epilogue.NONE : epilogue;
        ctx.parallelFor(nGroups * mGroups, task -> {
            int ng = task % nGroups;
            int mg = task / nGroups;
            int np0 = nPanels * ng / nGroups;
            int np1 = nPanels * (ng + 1) / nGroups;
            int mp0 = mPanels * mg / mGroups;
            int mp1 = mPanels * (mg + 1) / mGroups;
            block(mk, a, b, c, cIndex, ldc, ep, m, n, k, mp0 * mr, Math.min(m, mp1 * mr), np0 * nr,
                Math.min(n, np1 * nr));
        });
    }

    private static void block(MicroKernel mk, PanelSource a, PanelSource b, MemorySegment c, long cIndex, long ldc,
                              Epilogue ep, int m, int n, int k, int row0, int row1, int col0, int col1) {
        int mr = mk.mr();
        int nr = mk.nr();
        Scratch aScratch = Scratch.of(0);
        Scratch bScratch = Scratch.of(1);
        int kc = b.depthBlock(m);
        for (int n0 = col0; n0 < col1; n0 += NC) {
            int ncols = Math.min(NC, col1 - n0);
            for (int k0 = 0; k0 < k; k0 += kc) {
                int kb = Math.min(kc, k - k0);
                boolean last = k0 + kb >= k;
                PanelSource.Panels bp = b.panels(k0, kb, n0, ncols, nr, bScratch);
                // A in chunks of MC_PANELS panels: an A packed per call (pixels as rows) stays in cache between
                // its packing and its use, instead of all M rows packed first (12544 × 32 floats: 1.6 MB)
                for (int m0 = row0; m0 < row1; m0 += MC_PANELS * mr) {
                    int m1 = Math.min(row1, m0 + MC_PANELS * mr);
                    PanelSource.Panels ap = a.panels(k0, kb, m0, m1 - m0, mr, aScratch);
                    for (int ic = 0; ic * mr < m1 - m0; ic++) {
                        int row = m0 + ic * mr;
                        if (mr == 1) {
                            pairs(mk, kb, ap.data(), ap.base() + ic * ap.stride(), bp, c, cIndex + row * ldc, ldc, n,
                                n0, ncols, k0 > 0, last ? ep : null, row);
                            continue;
                        }
                        // the next A panel is read along, half of it per tile: ahead of the kernel's need when the
                        // weights stream from memory (ResNet-18's 7×7 layers: each weight panel serves 2 tiles)
                        int next = (ic + 1) * mr < m1 - m0 ? ap.base() + (ic + 1) * ap.stride() : -1;
                        for (int jc = 0; jc * nr < ncols; jc++) {
                            int col = n0 + jc * nr;
                            int cols = Math.min(nr, n - col);
                            int ahead = next < 0 ? -1 : next + (jc & 1) * (ap.stride() / 2);
                            mk.run(kb, ap.data(), ap.base() + ic * ap.stride(), bp.data(),
                                bp.base() + jc * bp.stride(), c, cIndex + row * ldc + col, ldc, Math.min(mr, m - row),
                                cols, k0 > 0, last ? ep : null, row, col, ahead);
                        }
                    }
                }
            }
        }
    }

    /**
     * One row against the block's column panels, panel q paired with panel q + half ({@link MicroKernel#run2}): two
     * streams of weights, for the batch-1 classifiers whose weights come from memory.
     */
    private static void pairs(MicroKernel mk, int kb, float[] a, int aOff, PanelSource.Panels bp, MemorySegment c,
                              long rowIndex, long ldc, int n, int n0, int ncols, boolean accumulate, Epilogue ep,
                              int row) {
        int nr = mk.nr();
        int tiles = (ncols + nr - 1) / nr;
        int half = (tiles + 1) / 2;
        for (int jc = 0; jc < half; jc++) {
            int col = n0 + jc * nr;
            int cols = Math.min(nr, n - col);
            int jc2 = jc + half;
            if (jc2 < tiles) {
                int col2 = n0 + jc2 * nr;
                mk.run2(kb, a, aOff, bp.data(), bp.base() + jc * bp.stride(), bp.base() + jc2 * bp.stride(), c,
                    rowIndex + col, rowIndex + col2, ldc, 1, cols, Math.min(nr, n - col2), accumulate, ep, row, col,
                    col2);
            } else {
                mk.run(kb, a, aOff, bp.data(), bp.base() + jc * bp.stride(), c, rowIndex + col, ldc, 1, cols,
                    accumulate, ep, row, col);
            }
        }
    }

    private static void fillEpilogueOnly(int m, int n, MemorySegment c, long cIndex, long ldc, Epilogue ep) {
        for (int r = 0; r < m; r++) {
            for (int j = 0; j < n; j++) {
                float v = ep == null ? 0f : ep.apply(0f, r, j);
                c.setAtIndex(ValueLayout.JAVA_FLOAT, cIndex + r * ldc + j, v);
            }
        }
    }
}
