package dev.sparq.backend.cpu.simd;

import dev.sparq.backend.ExecutionContext;
import dev.sparq.backend.Kernel;
import dev.sparq.backend.KernelRequest;
import dev.sparq.backend.UnsupportedKernelException;
import dev.sparq.graph.Node;
import dev.sparq.sparse.WeightSparsity;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import java.util.Arrays;

/**
 * Gemm / FusedGemm and MatMul whose B is a constant (the weights of fully connected layers): B is packed once at
 * load, A is packed per call; alpha is folded into the packed weights, beta·C into a column bias.
 */
final class GemmKernels {
    /**
     * Weights at or below this density run as CSR (SparseGemm) for small batches: measured here, 90%-pruned layers
     * run about 2× faster at batch 1 and 70%-pruned ones no faster, so the cut is at 20%. A fixed rule for now; the
     * planner's timed choice per layer is still to come (issue 6). Figures in benchmarks/RESULTS.md.
     * {@code -Dsparq.sparseDensity=0} turns the sparse kernel off (for comparisons).
     */
    static final double SPARSE_DENSITY = Double.parseDouble(System.getProperty("sparq.sparseDensity", "0.2"));
    private GemmKernels() {
    }

    static Kernel gemm(KernelRequest r) {
        Node n = r.node();
        Tensor b = r.constantInput(1);
        if (b == null || b.dtype() != DType.F32 || b.rank() != 2 || n.intAttr("transA", 0) != 0) {
            throw new UnsupportedKernelException("cpu-simd Gemm needs constant f32 B and transA=0");
        }
        boolean transB = n.intAttr("transB", 0) != 0;
        float alpha = n.floatAttr("alpha", 1f);
        float beta = n.floatAttr("beta", 1f);
        int k = (int) (transB ? b.dim(1) : b.dim(0));
        int cols = (int) (transB ? b.dim(0) : b.dim(1));
        float[] colBias = null;
        if (n.hasInput(2)) {
            Tensor c = r.constantInput(2);
            if (c == null || c.dtype() != DType.F32) {
                throw new UnsupportedKernelException("cpu-simd Gemm needs a constant f32 C");
            }
            long[] cs = c.shape();
            boolean row = c.size() == cols && (cs.length == 1 || (cs.length == 2 && cs[0] == 1));
            if (!row && c.size() != 1) {
                throw new UnsupportedKernelException("cpu-simd Gemm takes C of shape [N], [1,N] or a scalar");
            }
            colBias = new float[cols];
            for (int j = 0; j < cols; j++) {
                colBias[j] = beta * c.getFloat(row ? j : 0);
            }
        }
        Activation act = n.opType().equals("FusedGemm") ? Activation.ofFused(n) : Activation.NONE;
        PackedMatrix.Element w = (j, kk) -> alpha
            * (transB ? b.getFloat((long) j * k + kk) : b.getFloat((long) kk * cols + j));
        PackedMatrix packed = new PackedMatrix(cols, k, MicroKernel.get().nr(), w);
        Kernel dense = new ConstantB(packed, act.epilogue(null, colBias), true);
        if (WeightSparsity.rowMajor(b).density() <= SPARSE_DENSITY) {
            return new SparseGemm(cols, k, w, act.epilogue(null, colBias), dense);
        }
        return dense;
    }

    static Kernel matmul(KernelRequest r) {
        Tensor b = r.constantInput(1);
        if (b == null || b.dtype() != DType.F32 || b.rank() != 2) {
            throw new UnsupportedKernelException("cpu-simd MatMul needs a constant f32 2-D B");
        }
        int k = (int) b.dim(0);
        int cols = (int) b.dim(1);
        PackedMatrix packed = new PackedMatrix(cols, k, MicroKernel.get().nr(),
            (j, kk) -> b.getFloat((long) kk * cols + j));
        return new ConstantB(packed, Epilogue.NONE, false);
    }

    /** Y = A · B(packed): Gemm needs A 2-D; MatMul takes any rank ≥ 2 and treats leading dims as rows. */
    private record ConstantB(PackedMatrix b, Epilogue epilogue, boolean gemm) implements Kernel {
        @Override
        public Tensor[] run(Tensor[] inputs, ExecutionContext ctx) {
            Tensor a = inputs[0];
            int k = b.depth();
            if (a.dtype() != DType.F32 || a.rank() < 2 || (gemm && a.rank() != 2) || a.dim(a.rank() - 1) != k) {
                throw new IllegalArgumentException("A " + a.dtype() + Arrays.toString(a.shape())
                    + " does not fit B with " + k + " rows");
            }
            long rows = a.size() / k;
            long[] shape = a.shape();
            shape[shape.length - 1] = b.rows();
            Tensor y = ctx.allocateUninitialized(DType.F32, shape);
            PanelSource src = new RowMajorSource(a.segment(), 0, Math.toIntExact(rows), k, k, false);
            Gemm.run(src, b, y.segment(), 0, b.rows(), epilogue, ctx);
            return new Tensor[] {y};
        }
    }
}
