package dev.sparq.backend.cpu.simd;

import dev.sparq.backend.Kernel;
import dev.sparq.backend.KernelRequest;
import dev.sparq.backend.tuning.Candidate;
import dev.sparq.backend.tuning.KernelTuner;
import dev.sparq.backend.tuning.TuningRequest;
import dev.sparq.graph.ClampedQuantizedOp;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.function.Supplier;

/**
 * cpu-simd's integer ops with constant pruned weights (QLinearConv, QLinearMatMul): the dense kernel or the sparse
 * one, chosen per layer by timing both at the layer's shape through the {@link KernelTuner}, as the FP32 sparse
 * formats are. {@code -Dsparq.int8Sparse=off} keeps them dense, {@code always} takes the sparse kernel wherever it is
 * offered (default {@code tuned}).
 */
final class SparseIntChoice {
    /** Above this density the sparse kernel is not offered: one multiply-add per nonzero cannot beat dense blocks. */
    static final double CANDIDATE_DENSITY = 0.5;
    static final String MODE = System.getProperty("sparq.int8Sparse", "tuned").toLowerCase(Locale.ROOT);

    private SparseIntChoice() {
    }

    /**
     * @param centered   the weights minus their zero point, rows × depth row-major (rows: output channels/columns)
     * @param denseBytes what the dense kernel holds, for inspect
     */
    static Kernel choose(KernelRequest r, String op, int[] centered, int rows, int depth, Supplier<Kernel> dense,
                         long denseBytes, Supplier<Kernel> sparse) {
        Candidate d = new Candidate("dense-int8", () -> Kernel.withPackedWeightBytes(dense.get(), denseBytes));
        double density = centered.length == 0 ? 1 : (double) SimdTuning.nonzeros(centered) / centered.length;
        if (Arrays.stream(centered).anyMatch(v -> v < -128 || v > 127)) {
            density = 1; // a weight minus its zero point leaves 8 bits: the sparse format cannot hold it
        }
        String detail = density < 0.95 ? String.format(Locale.ROOT, "%.1f%% zeros", 100 * (1 - density)) : "";
        KernelTuner tuner = KernelTuner.current();
        long[] x = SimdTuning.shape(r, 0, 1);
        DType xType = r.inputType(0).dtype();
        if (MODE.equals("off") || density > CANDIDATE_DENSITY) {
            return dense.get(); // nothing to choose: the dense kernel as it always was
        }
        if (x == null || xType == null) { // shape or type unknown at load: the rule decides
            return tuner.choose(new TuningRequest(SimdTuning.backend(), op, "x=?", detail,
                List.of(d, new Candidate("sparse-int8", sparse::get)), MODE.equals("always") ? "sparse-int8"
                    : "dense-int8", null, ""));
        }
        Candidate s = new Candidate("sparse-int8", sparse::get);
        if (MODE.equals("always")) {
            return tuner.choose(new TuningRequest(SimdTuning.backend(), op, "", detail, List.of(s), "sparse-int8",
                null, ""));
        }
        String shape = String.format(Locale.ROOT, "x=%s w=[%d,%d] density=%.4f zeros=%s attrs=%s", Arrays.toString(x),
            rows, depth, density, patternHash(centered), ClampedQuantizedOp.unclamped(r.node()).attributes());
        String note = SimdTuning.batchSymbolic(r, 0) ? "timed at batch 1 (batch is symbolic)" : "";
        return tuner.choose(new TuningRequest(SimdTuning.backend(), op, shape, detail, List.of(d, s), "dense-int8",
            () -> new Tensor[] {random(xType, x)}, note));
    }

    private static String patternHash(int[] w) {
        long h = 1125899906842597L;
        for (int i = 0; i < w.length; i++) {
            if (w[i] != 0) {
                h = 31 * h + i;
            }
        }
        return Long.toHexString(h);
    }

    private static Tensor random(DType type, long[] shape) {
        Tensor t = Tensor.allocate(type, shape);
        byte[] b = new byte[Math.toIntExact(t.size())];
        new Random(42).nextBytes(b);
        t.segment().copyFrom(java.lang.foreign.MemorySegment.ofArray(b));
        return t;
    }
}
