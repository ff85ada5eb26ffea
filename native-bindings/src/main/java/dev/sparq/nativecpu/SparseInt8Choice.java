package dev.sparq.nativecpu;

import dev.sparq.backend.Kernel;
import dev.sparq.backend.KernelRequest;
import dev.sparq.backend.tuning.Candidate;
import dev.sparq.backend.tuning.KernelTuner;
import dev.sparq.backend.tuning.TuningRequest;
import dev.sparq.graph.ClampedQuantizedOp;
import dev.sparq.graph.Dim;
import dev.sparq.graph.ValueType;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.function.Function;

/**
 * cpu-native QLinearConv: the dense fused kernel, or for pruned weights the sparse one ({@link SparseConvKernel}),
 * chosen per layer by timing both at the layer's shape through the {@link KernelTuner} (cached per device), as
 * cpu-simd chooses its FP32 sparse formats. {@code -Dsparq.int8Sparse=off} keeps every layer dense (for
 * comparisons), {@code always} takes the sparse kernel wherever it is offered; {@code large} takes it for the layers
 * holding at least {@code -Dsparq.int8SparseMinBytes} int8 weights (default 512 KiB) and times the rest: the large
 * layers hold most of a network's bytes (ResNet-18: layer3 and layer4 hold 10 of its 11 million conv weights), so
 * this buys most of the memory saving for a part of the speed (where AMX makes dense fastest); default {@code tuned}.
 */
final class SparseInt8Choice {
    /** Above this density even a perfect block-sparse kernel keeps most (tap, 4-channel) blocks: not offered. */
    static final double CANDIDATE_DENSITY = 0.5;
    static final String MODE = System.getProperty("sparq.int8Sparse", "tuned").toLowerCase(Locale.ROOT);
    static final long LARGE_BYTES = Long.getLong("sparq.int8SparseMinBytes", 512L * 1024);

    private SparseInt8Choice() {
    }

    static Kernel qlinearConv(KernelRequest r) {
        Tensor w = r.constantInput(3);
        boolean fits = w != null && w.dtype() == DType.I8 && w.rank() == 4 && r.node().intAttr("group", 1) == 1;
        return choose(r, w, fits, QLinearKernels.qlinearConv(r), () -> SparseConvKernel.create(r));
    }

    static Kernel qlinearMatMul(KernelRequest r) {
        Tensor b = r.constantInput(3);
        return choose(r, b, b != null && b.dtype() == DType.I8 && b.rank() == 2, QLinearKernels.qlinearMatMul(r),
            () -> SparseMatMulKernel.qlinearMatMul(r));
    }

    static Kernel qgemm(KernelRequest r) {
        Tensor b = r.constantInput(3);
        // the sparse kernel requantizes: a float-output QGemm (no y_scale) runs dense
        return choose(r, b, b != null && b.dtype() == DType.I8 && b.rank() == 2 && r.node().hasInput(7),
            QGemmToFloatKernel.dispatch(r), () -> SparseMatMulKernel.qgemm(r));
    }

    /**
     * @param w      the constant int8 weights (density, cache key), or null
     * @param fits   whether the sparse kernel takes this node
     * @param dense  the dense kernel (building it first lets it decline what no native kernel runs)
     */
    private static Kernel choose(KernelRequest r, Tensor w, boolean fits, Kernel dense,
                                 java.util.function.Supplier<Kernel> sparseKernel) {
        // the dense kernel's own figure where it has one, else its int8 weights, int32 bias and f32 multipliers
        long denseBytes = dense.packedWeightBytes() >= 0 ? dense.packedWeightBytes() : w == null ? -1
            : w.size() + 8L * w.dim(w.rank() == 2 && r.node().intAttr("transB", 0) == 0 ? 1 : 0);
        Candidate denseCandidate = new Candidate("dense-int8", () -> Kernel.withPackedWeightBytes(dense, denseBytes));
        if (MODE.equals("off") || !fits || QSparseBindings.get().failure() != null) {
            return KernelTuner.current().choose(request(r, "", "", List.of(denseCandidate), "dense-int8", null));
        }
        long nonzeros = 0;
        long hash = 1125899906842597L;
        for (long i = 0; i < w.size(); i++) {
            if (w.getLong(i) != 0) {
                nonzeros++;
                hash = 31 * hash + i;
            }
        }
        double density = w.size() == 0 ? 1 : (double) nonzeros / w.size();
        String detail = density < 0.95 ? String.format(Locale.ROOT, "%.1f%% zeros", 100 * (1 - density)) : "";
        if (density > CANDIDATE_DENSITY) {
            return KernelTuner.current().choose(request(r, "", detail, List.of(denseCandidate), "dense-int8", null));
        }
        Candidate sparse = new Candidate("sparse-int8", sparseKernel::get);
        if (sparseWithoutTiming(MODE, w.size(), LARGE_BYTES)) {
            return KernelTuner.current().choose(request(r, "", detail, List.of(sparse), "sparse-int8", null));
        }
        // the plain op's attributes: a fused clamp costs nothing, and shares the plain op's timings
        String shape = String.format(Locale.ROOT, "w=%s density=%.4f zeros=%s attrs=%s", Arrays.toString(w.shape()),
            density, Long.toHexString(hash), ClampedQuantizedOp.unclamped(r.node()).attributes());
        long[] x = shape(r.inputType(0));
        DType xType = r.inputType(0).dtype();
        Function<long[], Tensor[]> inputs = s -> new Tensor[] {random(xType, s)};
        return KernelTuner.current().choose(request(r, shape, detail, List.of(denseCandidate, sparse), "dense-int8",
            x == null || xType == null ? null : new long[][] {x}, inputs));
    }

    /** Whether {@code mode} takes the sparse kernel (where offered) for int8 weights of this many bytes untimed. */
    static boolean sparseWithoutTiming(String mode, long weightBytes, long largeBytes) {
        return mode.equals("always") || (mode.equals("large") && weightBytes >= largeBytes);
    }

    private static TuningRequest request(KernelRequest r, String shape, String detail, List<Candidate> candidates,
                                         String rule, long[][] x) {
        return request(r, shape, detail, candidates, rule, x, s -> null);
    }

    private static TuningRequest request(KernelRequest r, String shape, String detail, List<Candidate> candidates,
                                         String rule, long[][] x, Function<long[], Tensor[]> inputs) {
        boolean symbolic = r.inputType(0).hasRank() && r.inputType(0).rank() > 0
            && !r.inputType(0).dims().get(0).isKnown();
        return new TuningRequest(backend(), r.node().opType(), "x=" + (x == null ? "?" : Arrays.toString(x[0])) + " "
            + shape, detail, candidates, rule, x == null ? null : () -> inputs.apply(x[0]),
            x != null && symbolic ? "timed at batch 1 (batch is symbolic)" : "");
    }

    /** The device part of the timing cache key: both kernels' paths. */
    private static String backend() {
        QSparseBindings qs = QSparseBindings.get();
        return CpuNativeBackend.ID + " conv " + CpuKernels.get().convPath() + ", sparse "
            + (qs.failure() == null ? qs.path() : "none");
    }

    /** The input's shape with an unknown batch taken as 1; null if anything else is unknown. */
    private static long[] shape(ValueType t) {
        if (!t.hasRank() || t.rank() == 0) {
            return null;
        }
        List<Dim> dims = t.dims();
        long[] s = new long[dims.size()];
        for (int i = 0; i < s.length; i++) {
            if (dims.get(i).isKnown()) {
                s[i] = dims.get(i).value();
            } else if (i == 0) {
                s[i] = 1;
            } else {
                return null;
            }
        }
        return s;
    }

    private static Tensor random(DType type, long[] shape) {
        Tensor t = Tensor.allocate(type, shape);
        byte[] b = new byte[(int) t.size()];
        new Random(42).nextBytes(b);
        t.segment().copyFrom(java.lang.foreign.MemorySegment.ofArray(b));
        return t;
    }
}
