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
 * scales with the nonzeros instead of N·K. One row of X: a dot product over each output's nonzeros. Several rows:
 * X is transposed once so that every nonzero w[n,k] is one vector axpy over the batch, Yᵀ[n] += w · Xᵀ[k].
 */
final class SparseGemm implements Kernel {
    private final int k;
    private final int n;
    private final int[] rowStart;
    private final int[] cols;
    private final float[] vals;
    private final Epilogue epilogue;

    /** @param w element (row n, column k) of W = alpha · B (or Bᵀ) */
    SparseGemm(int n, int k, PackedMatrix.Element w, Epilogue epilogue) {
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
        Tensor y = ctx.allocateUninitialized(DType.F32, m, n);
        MemorySegment as = a.segment();
        MemorySegment ys = y.segment();
        int threads = Math.max(1, Math.min(ctx.threads(), n / 16 + 1));
        if (m == 1) {
            float[] x = as.toArray(ValueLayout.JAVA_FLOAT);
            ctx.parallelFor(threads, t -> {
                for (int r = n * t / threads; r < n * (t + 1) / threads; r++) {
                    float s = 0;
                    for (int i = rowStart[r]; i < rowStart[r + 1]; i++) {
                        s = Math.fma(vals[i], x[cols[i]], s);
                    }
                    ys.setAtIndex(ValueLayout.JAVA_FLOAT, r, epilogue.apply(s, 0, r));
                }
            });
            return new Tensor[] {y};
        }
        float[] xt = new float[k * m];
        for (int row = 0; row < m; row++) {
            for (int c = 0; c < k; c++) {
                xt[c * m + row] = as.getAtIndex(ValueLayout.JAVA_FLOAT, (long) row * k + c);
            }
        }
        ctx.parallelFor(threads, t -> {
            float[] acc = new float[m];
            SimdOps ops = SimdOps.get();
            for (int r = n * t / threads; r < n * (t + 1) / threads; r++) {
                Arrays.fill(acc, 0f);
                for (int i = rowStart[r]; i < rowStart[r + 1]; i++) {
                    ops.axpy(acc, 0, vals[i], xt, cols[i] * m, m);
                }
                for (int row = 0; row < m; row++) {
                    ys.setAtIndex(ValueLayout.JAVA_FLOAT, (long) row * n + r, epilogue.apply(acc[row], row, r));
                }
            }
        });
        return new Tensor[] {y};
    }
}
