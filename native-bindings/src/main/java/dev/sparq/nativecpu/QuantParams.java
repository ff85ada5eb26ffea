package dev.sparq.nativecpu;

import dev.sparq.backend.KernelRequest;
import dev.sparq.backend.UnsupportedKernelException;
import dev.sparq.graph.ClampedQuantizedOp;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The constant quantization inputs of a QLinear op with n output channels: activation zero point as the native
 * kernels read it (int8 activations are sign-flipped, so + 128), per-channel float32 multipliers a_scale·w_scale/y_scale
 * (computed in float32, as ONNX's reference does), int32 bias (zeros if absent), output zero point, type and bounds
 * (the type's range, or a fused clamp's: {@link ClampedQuantizedOp}). Only symmetric int8 weights are taken.
 */
record QuantParams(int aZero, float[] multipliers, int[] bias, int yZero, DType yType, int yMin, int yMax) {

    /** Reads a_scale, a_zero, b_scale, b_zero, y_scale, y_zero and bias (-1 = none) at the given input positions. */
    static QuantParams read(KernelRequest r, DType aType, int n, int aScaleAt, int aZeroAt, int bScaleAt, int bZeroAt,
                            int yScaleAt, int yZeroAt, int biasAt) {
        float aScale = scalarF32(r, aScaleAt, "input scale");
        int aZero = r.node().hasInput(aZeroAt) ? (int) constant(r, aZeroAt, "input zero point", aType).getLong(0) : 0;
        if (aType == DType.I8) {
            aZero += 128; // the activation is read sign-flipped: x + 128
        }
        Tensor bScale = r.constantInput(bScaleAt);
        if (bScale == null || bScale.dtype() != DType.F32 || (bScale.size() != 1 && bScale.size() != n)) {
            throw new UnsupportedKernelException("weight scale must be a constant f32 scalar or one per output channel");
        }
        Tensor bZero = r.node().hasInput(bZeroAt) ? r.constantInput(bZeroAt) : null;
        if (r.node().hasInput(bZeroAt) && (bZero == null || bZero.dtype() != DType.I8)) {
            throw new UnsupportedKernelException("weight zero point must be a constant int8");
        }
        for (long i = 0; bZero != null && i < bZero.size(); i++) {
            if (bZero.getLong(i) != 0) {
                throw new UnsupportedKernelException("cpu-native takes symmetric int8 weights only");
            }
        }
        float yScale = scalarF32(r, yScaleAt, "output scale");
        DType yType = DType.U8;
        int yZero = 0;
        if (r.node().hasInput(yZeroAt)) {
            Tensor z = r.constantInput(yZeroAt);
            if (z == null || z.size() != 1 || (z.dtype() != DType.U8 && z.dtype() != DType.I8)) {
                throw new UnsupportedKernelException("output zero point must be a constant 8-bit scalar");
            }
            yType = z.dtype();
            yZero = (int) z.getLong(0);
        }
        float[] multipliers = new float[n];
        for (int c = 0; c < n; c++) {
            multipliers[c] = aScale * bScale.getFloat(bScale.size() == 1 ? 0 : c) / yScale; // float32, as the reference
        }
        int[] bias = new int[n];
        if (biasAt >= 0 && r.node().hasInput(biasAt)) {
            Tensor bt = constant(r, biasAt, "bias", DType.I32);
            if (bt.size() != n) {
                throw new UnsupportedKernelException("bias must have one value per output channel");
            }
            for (int c = 0; c < n; c++) {
                bias[c] = (int) bt.getLong(c);
            }
        }
        int[] bounds = r.outputBounds(yType);
        return new QuantParams(aZero, multipliers, bias, yZero, yType, bounds[0], bounds[1]);
    }

    MemorySegment multiplierSegment(Arena arena) {
        MemorySegment m = arena.allocate(4L * multipliers.length, 64);
        MemorySegment.copy(multipliers, 0, m, ValueLayout.JAVA_FLOAT, 0, multipliers.length);
        return m;
    }

    /**
     * The bias with the activation zero point's correction folded in, −a_zero · Σw per channel: the native kernels
     * then multiply raw 8-bit values and need no extra pass (int32 arithmetic wraps the same either way).
     */
    MemorySegment foldedBias(Arena arena, MemorySegment weightSums) {
        MemorySegment b = arena.allocate(4L * bias.length, 64);
        for (int c = 0; c < bias.length; c++) {
            b.setAtIndex(ValueLayout.JAVA_INT, c, bias[c] - aZero * weightSums.getAtIndex(ValueLayout.JAVA_INT, c));
        }
        return b;
    }

    boolean signedOutput() {
        return yType == DType.I8;
    }

    private static float scalarF32(KernelRequest r, int at, String what) {
        return constant(r, at, what, DType.F32).getFloat(0);
    }

    private static Tensor constant(KernelRequest r, int at, String what, DType type) {
        Tensor t = r.constantInput(at);
        boolean vector = what.equals("bias");
        if (t == null || t.dtype() != type || (t.size() != 1 && !vector)) {
            throw new UnsupportedKernelException(what + " must be a constant " + type + (vector ? "" : " scalar"));
        }
        return t;
    }
}
