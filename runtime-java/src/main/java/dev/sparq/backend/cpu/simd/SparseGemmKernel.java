package dev.sparq.backend.cpu.simd;

import dev.sparq.backend.ExecutionContext;
import dev.sparq.backend.Kernel;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * Y = X · Wᵀ, plus a column bias and a clamp, for a fully connected layer (Gemm, MatMul with constant B) whose
 * weights W [N, K] are pruned and kept in a sparse format. Fewer rows of X than a vector has lanes: one sparse
 * matrix-vector product per row, with rows of W on the lanes. More: Yᵀ = W · Xᵀ as a sparse × dense product with
 * the batch on the lanes, through two transposes (formats without that product keep the per-row form). With a
 * {@code dense} kernel, batches above {@code sparseRows} run it instead: the fixed rule's CSR kernel, from before
 * the choice was timed, used only when tuning is off.
 */
final class SparseGemmKernel implements Kernel {
    /** Multiply-adds per thread below which splitting a product costs more than it saves. */
    private static final long WORK_PER_THREAD = 32_768;
    private final SparseWeights w;
    private final Epilogue epilogue;
    private final boolean gemm;
    private final Kernel dense;
    private final int sparseRows;

    SparseGemmKernel(SparseWeights w, Epilogue epilogue, boolean gemm, Kernel dense, int sparseRows) {
        this.w = w;
        this.epilogue = epilogue;
        this.gemm = gemm;
        this.dense = dense;
        this.sparseRows = sparseRows;
    }

    SparseWeights weights() {
        return w;
    }

    @Override
    public long packedWeightBytes() {
        long own = w.bytes() + 4L * w.rows; // + the f32 bias
        return dense == null ? own : own + Math.max(0, dense.packedWeightBytes());
    }

    @Override
    public Tensor[] run(Tensor[] inputs, ExecutionContext ctx) {
        Tensor a = inputs[0];
        int k = w.cols;
        if (a.dtype() != DType.F32 || a.rank() < 2 || (gemm && a.rank() != 2) || a.dim(a.rank() - 1) != k) {
            throw new IllegalArgumentException("A " + a.dtype() + Arrays.toString(a.shape()) + " does not fit B with "
                + k + " rows");
        }
        int m = Math.toIntExact(leadingRows(a));
        if (dense != null && m > sparseRows) {
            return dense.run(inputs, ctx);
        }
        long[] shape = a.shape();
        shape[shape.length - 1] = w.rows;
        Tensor y = ctx.allocateUninitialized(DType.F32, shape);
        if (m > 0) {
            if (m < SparseOps.get().lanes() || !w.hasMatrixProduct()) {
                byRows(a.segment(), m, y.segment(), ctx);
            } else {
                transposed(a.segment(), m, y.segment(), ctx);
            }
        }
        return new Tensor[] {y};
    }

    /** The rows of A: the product of its leading dimensions (a.size() / k, without the division). */
    private static long leadingRows(Tensor a) {
        long m = 1;
        for (int d = 0; d < a.rank() - 1; d++) {
            m *= a.dim(d);
        }
        return m;
    }

    private int parts(ExecutionContext ctx, long work) {
        return ctx.threadsFor(work / WORK_PER_THREAD);
    }

    private void byRows(MemorySegment as, int m, MemorySegment ys, ExecutionContext ctx) {
        int padded = w.paddedRows();
        float[] y = Scratch.of(7).get(m * padded);
        int parts = parts(ctx, (long) m * w.nonzeros());
        if (parts == 1) {
            // called directly: no capturing lambda, no pass through the pool's lock (which would run it inline too)
            timesRows(0, 1, as, m, y);
        } else {
            ctx.parallelFor(parts, part -> timesRows(part, parts, as, m, y));
        }
        for (int row = 0; row < m; row++) {
            w.store(y, row * padded, epilogue.colBias(), epilogue.min(), epilogue.max(), ys, (long) row * w.rows);
        }
    }

    /** Share {@code part} of {@code parts} of the product of every row of x (m rows of k) into y (padded rows). */
    private void timesRows(int part, int parts, MemorySegment x, int m, float[] y) {
        for (int row = 0; row < m; row++) {
            w.timesVector(part, parts, x, (long) row * w.cols, y, row * w.paddedRows());
        }
    }

    private void transposed(MemorySegment as, int m, MemorySegment ys, ExecutionContext ctx) {
        int k = w.cols;
        int n = w.rows;
        // native operands, as the convolutions' (SparseOps.timesMatrix reads only native sources)
        MemorySegment xs = NativeScratch.floats(0, (long) k * m);
        float[] row = Scratch.of(5).get(Math.max(k, n));
        for (int r = 0; r < m; r++) {
            MemorySegment.copy(as, ValueLayout.JAVA_FLOAT, (long) r * k * Float.BYTES, row, 0, k);
            for (int c = 0; c < k; c++) {
                xs.setAtIndex(ValueLayout.JAVA_FLOAT, (long) c * m + r, row[c]);
            }
        }
        MemorySegment yts = NativeScratch.floats(1, (long) n * m);
        int parts = parts(ctx, (long) m * w.nonzeros());
        ctx.parallelFor(parts, part -> w.timesMatrix(part, parts, xs, 0, m, m, yts, 0, m, epilogue.colBias(),
            epilogue.min(), epilogue.max()));
        for (int r = 0; r < m; r++) {
            for (int c = 0; c < n; c++) {
                row[c] = yts.getAtIndex(ValueLayout.JAVA_FLOAT, (long) c * m + r);
            }
            MemorySegment.copy(row, 0, ys, ValueLayout.JAVA_FLOAT, (long) r * n * Float.BYTES, n);
        }
    }
}
