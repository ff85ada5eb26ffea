package dev.sparq.quant;

import dev.sparq.tensor.DType;

/** Turns a chosen range into scale and zero point, following ONNX's QuantizeLinear semantics. */
final class QuantParams {
    /** Scale used when a range is empty (all values 0): any positive scale represents 0 exactly. */
    static final float EMPTY_RANGE_SCALE = 1f;

    private QuantParams() {
    }

    /** int8 symmetric: scale = T / 127, zero point 0. */
    static TensorQuant symmetric(String name, double threshold) {
        return new TensorQuant(name, scale(threshold / 127), 0, DType.I8);
    }

    /** uint8 asymmetric over [lo, hi], widened so that 0 is inside (0 must be exactly representable). */
    static TensorQuant asymmetric(String name, double lo, double hi) {
        lo = Math.min(lo, 0);
        hi = Math.max(hi, 0);
        float scale = scale((hi - lo) / 255);
        int zeroPoint = (int) Math.max(0, Math.min(255, Math.rint(-lo / scale)));
        return new TensorQuant(name, scale, zeroPoint, DType.U8);
    }

    /** Activation parameters for {@code stats} given a symmetric clipping threshold (asymmetric clips at ±T). */
    static TensorQuant activation(String name, QuantScheme scheme, TensorStats stats, double threshold) {
        return switch (scheme) {
            case INT8_SYMMETRIC -> symmetric(name, threshold);
            case UINT8_ASYMMETRIC -> asymmetric(name, Math.max(stats.min(), -threshold),
                Math.min(stats.max(), threshold));
        };
    }

    private static float scale(double s) {
        float f = (float) s;
        return f > 0 && Float.isFinite(f) ? f : EMPTY_RANGE_SCALE;
    }
}
