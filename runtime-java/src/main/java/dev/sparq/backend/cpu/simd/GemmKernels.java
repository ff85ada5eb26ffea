package dev.sparq.backend.cpu.simd;

import dev.sparq.backend.ExecutionContext;
import dev.sparq.backend.Kernel;
import dev.sparq.backend.KernelRequest;
import dev.sparq.backend.UnsupportedKernelException;
import dev.sparq.backend.tuning.Candidate;
import dev.sparq.backend.tuning.KernelTuner;
import dev.sparq.backend.tuning.TuningRequest;
import dev.sparq.graph.Node;
import dev.sparq.sparse.TwoFourMatrix;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;

/**
 * Gemm / FusedGemm and MatMul whose B is a constant (the weights of fully connected layers): B is packed once at
 * load, A is packed per call; alpha is folded into the packed weights, beta·C into a column bias. Pruned weights
 * also get sparse candidates (CSR, sliced ELLPACK, blocked, packed 2:4; see {@link SparseWeights}), and the
 * {@link KernelTuner} times them against the dense GEMM at the layer's shape. A batch known only at run time is
 * timed twice, at 1 row and at {@link #LARGE_BATCH} rows, and each call takes the choice for its size.
 */
final class GemmKernels {
    /**
     * The fixed rule used when tuning is off: weights at or below this density run as CSR for batches up to
     * {@link #RULE_SPARSE_ROWS} rows (measured before timing existed: 90%-pruned layers ~2× faster at batch 1,
     * 70%-pruned ones no faster). {@code -Dsparq.sparseDensity=0} turns the sparse rule off.
     */
    static final double SPARSE_DENSITY = Double.parseDouble(System.getProperty("sparq.sparseDensity", "0.2"));
    static final int RULE_SPARSE_ROWS = 8;
    /** Rows a symbolic batch is timed at for the "large" choice; calls with more than 8 rows use it. */
    static final int LARGE_BATCH = 64;

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
        float[] w = weights(b, transB, alpha, cols, k);
        return choose(r, n.opType(), w, cols, k, act.epilogue(null, colBias), true);
    }

    static Kernel matmul(KernelRequest r) {
        Tensor b = r.constantInput(1);
        if (b == null || b.dtype() != DType.F32 || b.rank() != 2) {
            throw new UnsupportedKernelException("cpu-simd MatMul needs a constant f32 2-D B");
        }
        int k = (int) b.dim(0);
        int cols = (int) b.dim(1);
        return choose(r, "MatMul", weights(b, false, 1f, cols, k), cols, k, Epilogue.NONE, false);
    }

    /** W [N][K] row-major, alpha folded in: element (j, kk) is alpha · B[j][kk] (transB) or alpha · B[kk][j]. */
    private static float[] weights(Tensor b, boolean transB, float alpha, int cols, int k) {
        float[] w = new float[Math.multiplyExact(cols, k)];
        float[] src = b.toFloatArray();
        for (int j = 0; j < cols; j++) {
            for (int kk = 0; kk < k; kk++) {
                w[j * k + kk] = alpha * (transB ? src[j * k + kk] : src[kk * cols + j]);
            }
        }
        return w;
    }

    private static Kernel choose(KernelRequest r, String op, float[] w, int cols, int k, Epilogue ep, boolean gemm) {
        // panel-major: a batch-1 call streams each panel whole (PackedMatrix#depthBlock)
        Supplier<Kernel> dense = SimdTuning.once(() -> new ConstantB(
            new PackedMatrix(cols, k, MicroKernel.get().nr(), (j, kk) -> w[j * k + kk], true), ep, gemm));
        double density = w.length == 0 ? 1 : (double) SimdTuning.nonzeros(w) / w.length;
        boolean twoFour = TwoFourMatrix.fits(w, cols, k);
        long[] a = SimdTuning.shape(r, 0, 1);
        if (a != null && a[a.length - 1] != k) {
            a = null; // the declared shape does not fit the weights: let the kernel report it at run time
        }
        long rows = a == null ? 0 : Arrays.stream(a, 0, a.length - 1).reduce(1, Math::multiplyExact);
        // the rule decides when tuning is off or there is no shape to time
        boolean timed = KernelTuner.current().enabled() && a != null;
        // W is captured by the candidates' builders only; once built (or dropped) it can be collected
        List<Candidate> candidates = new ArrayList<>(List.of(new Candidate("dense", dense)));
        String shape = "n=" + cols + " k=" + k;
        if (density <= SimdTuning.SPARSE_CANDIDATE_DENSITY) {
            shape += String.format(java.util.Locale.ROOT, " density=%.4f zeros=%s", density, SimdTuning.patternHash(w));
            for (SparseWeights.Format f : SparseWeights.Format.values()) {
                if (f != SparseWeights.Format.TWO_FOUR || twoFour) {
                    // when the rule decides, this is its kernel: CSR up to 8 rows, the dense GEMM above
                    candidates.add(new Candidate(f.candidate, SimdTuning.once(() -> new SparseGemmKernel(
                        SparseWeights.of(f, w, cols, k), ep, gemm, timed ? null : dense.get(), RULE_SPARSE_ROWS))));
                }
            }
        }
        String rule = density <= SPARSE_DENSITY && candidates.size() > 1 ? "sparse-csr" : "dense";
        String detail = density < 0.95 ? SimdTuning.zeros(density, twoFour) : "";
        KernelTuner tuner = KernelTuner.current();
        if (a == null || candidates.size() == 1 || !tuner.enabled() || !SimdTuning.batchSymbolic(r, 0)) {
            return tuner.choose(request(op, shape, detail, candidates, rule, a == null ? -1 : rows, k, ""));
        }
        Kernel small = tuner.choose(request(op, shape, detail, candidates, rule, 1, k,
            "timed at batch 1 (batch is symbolic)"));
        Kernel large = tuner.choose(request(op, shape, detail, candidates, rule, LARGE_BATCH * rows, k,
            "timed at batch " + LARGE_BATCH + " (batch is symbolic)"));
        return new BatchSplitKernel(small, large, RULE_SPARSE_ROWS);
    }

    /** Times the candidates on A of {@code rows} × k (rows < 0: shape unknown, the rule decides). */
    private static TuningRequest request(String op, String shape, String detail, List<Candidate> candidates,
                                         String rule, long rows, int k, String note) {
        return new TuningRequest(SimdTuning.backend(), op, "a=[" + rows + "," + k + "] " + shape, detail, candidates,
            rule, rows < 0 ? null : () -> new Tensor[] {SimdTuning.random(rows, k)}, note,
            () -> SimdWarmup.gemm(candidates.stream().map(Candidate::name).toList()));
    }

    /** Y = A · B(packed): Gemm needs A 2-D; MatMul takes any rank ≥ 2 and treats leading dims as rows. */
    record ConstantB(PackedMatrix b, Epilogue epilogue, boolean gemm) implements Kernel {
        @Override
        public long packedWeightBytes() {
            return b.bytes() + 4L * b.rows(); // + the f32 bias
        }

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
            // 1–3 rows (batch-1 classifiers) on the 1-row tile: the main one would pad them to 12 rows
            MicroKernel mk = rows < 4 && MicroKernel.oneRow() != null ? MicroKernel.oneRow() : MicroKernel.get();
            Gemm.run(mk, src, b, y.segment(), 0, b.rows(), epilogue, ctx);
            return new Tensor[] {y};
        }
    }
}
