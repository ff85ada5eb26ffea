package dev.sparq.backend.cpu.simd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sparq.backend.ExecutionContext;
import dev.sparq.backend.WorkerPool;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The 1-row GEMM tile (fully connected layers at batch 1–3) against the main tile on the same packed weights: the
 * same sums in the same order, so the same bits, for column counts that leave partial panels, depths across
 * several k blocks, bias + clamp epilogues, and 1 or 2 threads; odd and even numbers of panels (the 1-row tile
 * runs them in pairs, {@link MicroKernel#run2}).
 */
class OneRowTileTest {
    @Test
    void sameBitsAsTheMainTile() {
        // without the Vector API there is no 1-row tile and 1-3 rows run on the main one: checked the same way
        MicroKernel tile = MicroKernel.oneRow() != null ? MicroKernel.oneRow() : MicroKernel.get();
        assertEquals(SimdConfig.BITS == 0 ? MicroKernel.get().mr() : 1, tile.mr());
        Random rnd = new Random(7);
        int[][] shapes = {{1, 1, 1}, {1, 17, 5}, {2, 33, 300}, {3, 1000, 1280}, {1, 64, 513}, {2, 31, 257},
            {1, 150, 300}};
        try (WorkerPool pool = new WorkerPool(2)) {
            for (int[] s : shapes) {
                int m = s[0];
                int n = s[1];
                int k = s[2];
                float[] w = gaussian(rnd, n * k);
                float[] a = gaussian(rnd, m * k);
                float[] bias = gaussian(rnd, n);
                PackedMatrix b = new PackedMatrix(n, k, MicroKernel.get().nr(), (j, kk) -> w[j * k + kk]);
                Epilogue ep = new Epilogue(null, bias, 0f, Float.POSITIVE_INFINITY);
                float[] main = new float[m * n];
                float[] one = new float[m * n];
                float[] oneTwoThreads = new float[m * n];
                MemorySegment as = MemorySegment.ofArray(a);
                Gemm.run(MicroKernel.get(), new RowMajorSource(as, 0, m, k, k, false), b, MemorySegment.ofArray(main),
                    0, n, ep, ExecutionContext.standalone());
                Gemm.run(tile, new RowMajorSource(as, 0, m, k, k, false), b,
                    MemorySegment.ofArray(one), 0, n, ep, ExecutionContext.standalone());
                Gemm.run(tile, new RowMajorSource(as, 0, m, k, k, false), b,
                    MemorySegment.ofArray(oneTwoThreads), 0, n, ep, ExecutionContext.standalone(2, pool));
                String what = m + "x" + n + "x" + k;
                assertArrayEquals(main, one, what);
                assertArrayEquals(main, oneTwoThreads, what + " 2 threads");
                for (int r = 0; r < m; r++) {
                    for (int j = 0; j < n; j++) {
                        double sum = 0;
                        for (int kk = 0; kk < k; kk++) {
                            sum += (double) a[r * k + kk] * w[j * k + kk];
                        }
                        double want = Math.max(0, sum + bias[j]);
                        assertEquals(want, one[r * n + j], 1e-4 * (1 + Math.abs(sum)), what + " vs a plain dot");
                    }
                }
            }
        }
    }

    /**
     * Panel-major weights (the fully connected layers'): two or more rows of A keep the k blocks, so the same bits
     * as k-blocked weights; one row runs each output as one chain over all of K, checked against a plain dot and for
     * the same bits at 1 and 2 threads.
     */
    @Test
    void panelMajorWeights() {
        MicroKernel tile = MicroKernel.oneRow() != null ? MicroKernel.oneRow() : MicroKernel.get();
        Random rnd = new Random(11);
        int[][] shapes = {{1, 1, 1}, {1, 17, 5}, {1, 1000, 1280}, {1, 33, 2 * Gemm.KC + 3}, {2, 31, 257},
            {3, 70, 300}, {13, 40, 600}};
        try (WorkerPool pool = new WorkerPool(2)) {
            for (int[] s : shapes) {
                int m = s[0];
                int n = s[1];
                int k = s[2];
                float[] w = gaussian(rnd, n * k);
                float[] a = gaussian(rnd, m * k);
                int nr = MicroKernel.get().nr();
                PackedMatrix blocked = new PackedMatrix(n, k, nr, (j, kk) -> w[j * k + kk]);
                PackedMatrix panels = new PackedMatrix(n, k, nr, (j, kk) -> w[j * k + kk], true);
                assertDoesNotThrow(panels::warm);
                for (int p = 0; p < (n + nr - 1) / nr; p++) {
                    int panel = p;
                    assertDoesNotThrow(() -> panels.warmPanel(panel));
                }
                MicroKernel mk = m < 4 ? tile : MicroKernel.get();
                MemorySegment as = MemorySegment.ofArray(a);
                float[] want = new float[m * n];
                float[] got = new float[m * n];
                float[] gotTwoThreads = new float[m * n];
                Gemm.run(mk, new RowMajorSource(as, 0, m, k, k, false), blocked, MemorySegment.ofArray(want), 0, n,
                    null, ExecutionContext.standalone());
                Gemm.run(mk, new RowMajorSource(as, 0, m, k, k, false), panels, MemorySegment.ofArray(got), 0, n,
                    null, ExecutionContext.standalone());
                Gemm.run(mk, new RowMajorSource(as, 0, m, k, k, false), panels, MemorySegment.ofArray(gotTwoThreads),
                    0, n, null, ExecutionContext.standalone(2, pool));
                String what = m + "x" + n + "x" + k;
                assertArrayEquals(got, gotTwoThreads, what + " 2 threads");
                if (m > 1 || k <= Gemm.KC) {
                    assertArrayEquals(want, got, what + " against k-blocked weights");
                }
                for (int r = 0; r < m; r++) {
                    for (int j = 0; j < n; j++) {
                        double sum = 0;
                        double mag = 0;
                        for (int kk = 0; kk < k; kk++) {
                            sum += (double) a[r * k + kk] * w[j * k + kk];
                            mag += Math.abs((double) a[r * k + kk] * w[j * k + kk]);
                        }
                        assertEquals(sum, got[r * n + j], 1e-6 * (1 + mag), what + " vs a plain dot");
                    }
                }
            }
        }
    }

    @Test
    void smallProductsStayOnTheCallingThread() {
        // 2 threads offered: a 1×256×64 layer (16K multiply-adds) is one task, a 1×1000×1280 one is split
        for (int[] s : new int[][] {{1, 256, 64, 1}, {1, 1000, 1280, 2}}) {
            int n = s[1];
            int k = s[2];
            PackedMatrix b = new PackedMatrix(n, k, MicroKernel.get().nr(), (j, kk) -> (j + kk) % 7 - 3f);
            int[] tasks = new int[1];
            ExecutionContext counting = new ExecutionContext() {
                @Override
                public dev.sparq.tensor.Tensor allocate(dev.sparq.tensor.DType dtype, long... shape) {
                    throw new UnsupportedOperationException();
                }

                @Override
                public int threads() {
                    return 2;
                }

                @Override
                public void parallelFor(int count, java.util.function.IntConsumer body) {
                    tasks[0] = count;
                    ExecutionContext.super.parallelFor(count, body);
                }
            };
            float[] c = new float[n];
            Gemm.run(MicroKernel.get(), new RowMajorSource(MemorySegment.ofArray(new float[k]), 0, 1, k, k, false), b,
                MemorySegment.ofArray(c), 0, n, null, counting);
            assertEquals(s[3], tasks[0], s[0] + "x" + n + "x" + k);
        }
    }

    private static float[] gaussian(Random rnd, int size) {
        float[] x = new float[size];
        for (int i = 0; i < size; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        return x;
    }
}
