package dev.sparq.backend.cpu.simd;

import dev.sparq.backend.ExecutionContext;
import dev.sparq.backend.Kernel;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * Y = X · Wᵀ + bias with a pruned constant W [N, K] kept in CSR (only its nonzeros, alpha folded in): the work
 * scales with the nonzeros instead of N·K. For up to {@link #MAX_ROWS} rows of X, a dot product over each output's
 * nonzeros; for larger batches the dense packed GEMM given as {@code dense} runs instead, since measured here it
 * beats this CSR form there (benchmarks/RESULTS.md).
 */
final class SparseGemm implements Kernel {
    static final int MAX_ROWS = 8;
    private final Kernel dense;
    private final int k;
    private final int n;
    private final int[] rowStart;
    private final int[] cols;
    private final float[] vals;
    private final Epilogue epilogue;

    /** @param w element (row n, column k) of W = alpha · B (or Bᵀ); {@code dense} runs batches over MAX_ROWS */
    SparseGemm(int n, int k, PackedMatrix.Element w, Epilogue epilogue, Kernel dense) {
        this.dense = dense;
        this.k = k;
        this.n = n;
        this.epilogue = epilogue;
        int[] start = new int[n + 1];
        int nnz = 0;
        for (int r = 0; r < n; r++) {
            for (int c = 0; c < k; c++) {
                nnz += w.at(r, c) != 0 ? 1 : 0;
            }
            start[r + 1] = nnz;
        }
        this.rowStart = start;
        this.cols = new int[nnz];
        this.vals = new float[nnz];
        int at = 0;
        for (int r = 0; r < n; r++) {
            for (int c = 0; c < k; c++) {
                float v = w.at(r, c);
                if (v != 0) {
                    cols[at] = c;
                    vals[at++] = v;
                }
            }
        }
    }

    int nonzeros() {
        return vals.length;
    }

    @Override
    public Tensor[] run(Tensor[] inputs, ExecutionContext ctx) {
        Tensor a = inputs[0];
        if (a.dtype() != DType.F32 || a.rank() != 2 || a.dim(1) != k) {
            throw new IllegalArgumentException("A " + a.dtype() + Arrays.toString(a.shape()) + " must be f32 [M, " + k + "]");
        }
        int m = (int) a.dim(0);
        if (m > MAX_ROWS) {
            return dense.run(inputs, ctx);
        }
        Tensor y = ctx.allocateUninitialized(DType.F32, m, n);
        MemorySegment as = a.segment();
        MemorySegment ys = y.segment();
        float[] x = as.toArray(ValueLayout.JAVA_FLOAT);
        int threads = Math.max(1, Math.min(ctx.threads(), n / 64 + 1));
        ctx.parallelFor(threads, t -> {
            for (int row = 0; row < m; row++) {
                int xo = row * k;
                for (int r = n * t / threads; r < n * (t + 1) / threads; r++) {
                    float s = 0;
                    for (int i = rowStart[r]; i < rowStart[r + 1]; i++) {
                        s = Math.fma(vals[i], x[xo + cols[i]], s);
                    }
                    ys.setAtIndex(ValueLayout.JAVA_FLOAT, (long) row * n + r, epilogue.apply(s, row, r));
                }
            }
        });
        return new Tensor[] {y};
    }
}
