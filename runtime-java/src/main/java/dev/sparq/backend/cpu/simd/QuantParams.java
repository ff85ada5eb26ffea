package dev.sparq.backend.cpu.simd;

import dev.sparq.backend.KernelRequest;
import dev.sparq.backend.UnsupportedKernelException;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;

/**
 * Reads the quantization inputs of the QOperator ops (scales, zero points, bias) at kernel creation. cpu-simd takes
 * them as constants only; anything else is an {@link UnsupportedKernelException} and the node falls back to cpu-ref.
 */
final class QuantParams {
    private QuantParams() {
    }

    static boolean isEightBit(DType t) {
        return t == DType.U8 || t == DType.I8;
    }

    /** A constant f32 scalar at input {@code at}. */
    static float scale(KernelRequest r, int at, String what) {
        Tensor t = r.constantInput(at);
        if (t == null || t.dtype() != DType.F32 || t.size() != 1) {
            throw new UnsupportedKernelException(what + " must be a constant f32 scalar");
        }
        return t.getFloat(0);
    }

    /**
     * A constant f32 scale at input {@code at}: one value or {@code n} along its last axis (one per output channel
     * or column).
     */
    static Tensor scales(KernelRequest r, int at, int n, String what) {
        Tensor t = r.constantInput(at);
        if (t == null || t.dtype() != DType.F32 || (t.size() != 1 && (t.size() != n || t.dim(t.rank() - 1) != n))) {
            throw new UnsupportedKernelException(what + " must be a constant f32, one value or " + n);
        }
        return t;
    }

    /** The constant 8-bit scalar zero point at input {@code at}, or null when the input is absent. */
    static Tensor zeroPoint(KernelRequest r, int at, String what) {
        if (!r.node().hasInput(at)) {
            return null;
        }
        Tensor t = r.constantInput(at);
        if (t == null || !isEightBit(t.dtype()) || t.size() != 1) {
            throw new UnsupportedKernelException(what + " must be a constant 8-bit scalar");
        }
        return t;
    }

    /**
     * The 8-bit type of input {@code at} as far as known at load (declared, else its zero point's type), or null;
     * throws when it is known and not 8-bit or disagrees with the zero point.
     */
    static DType inputType(KernelRequest r, int at, Tensor zero, String what) {
        DType declared = r.inputType(at).dtype();
        if (declared != null && !isEightBit(declared)) {
            throw new UnsupportedKernelException(what + " must be uint8 or int8, not " + declared);
        }
        if (declared != null && zero != null && zero.dtype() != declared) {
            throw new UnsupportedKernelException(what + " zero point is " + zero.dtype() + " but " + what + " is "
                + declared);
        }
        return declared != null ? declared : zero == null ? null : zero.dtype();
    }

    /**
     * Per-channel zero points of a constant 8-bit weight: input {@code at} absent (all 0), one value, or {@code n}
     * values (rank 1), of the weight's type.
     */
    static int[] weightZeros(KernelRequest r, int at, Tensor w, int n, String what) {
        int[] z = new int[n];
        if (!r.node().hasInput(at)) {
            return z;
        }
        Tensor t = r.constantInput(at);
        if (t == null || t.dtype() != w.dtype() || (t.size() != 1 && (t.rank() != 1 || t.size() != n))) {
            throw new UnsupportedKernelException(what + " zero point must be a constant " + w.dtype()
                + ", one value or " + n);
        }
        for (int i = 0; i < n; i++) {
            z[i] = (int) t.getLong(t.size() == 1 ? 0 : i);
        }
        return z;
    }

    /** The constant int32 bias at input {@code at} ({@code n} values), or null when absent. */
    static int[] bias(KernelRequest r, int at, int n) {
        if (!r.node().hasInput(at)) {
            return null;
        }
        Tensor t = r.constantInput(at);
        if (t == null || t.dtype() != DType.I32 || t.size() != n) {
            throw new UnsupportedKernelException("bias must be a constant int32 with " + n + " values");
        }
        int[] b = new int[n];
        for (int i = 0; i < n; i++) {
            b[i] = (int) t.getLong(i);
        }
        return b;
    }

    /** The output type: the output zero point's, else the input's (which must then be known). */
    static DType outputType(Tensor yZero, DType inputType) {
        DType t = yZero != null ? yZero.dtype() : inputType;
        if (t == null) {
            throw new UnsupportedKernelException("output type unknown: no y_zero_point and the input type is not known");
        }
        return t;
    }
}
