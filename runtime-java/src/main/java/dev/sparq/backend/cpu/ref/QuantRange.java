package dev.sparq.backend.cpu.ref;

import dev.sparq.tensor.DType;

/** The saturation range of a quantized integer type, and ONNX's rounding into it. */
record QuantRange(DType dtype, long min, long max) {
    static QuantRange of(DType t) {
        return switch (t) {
            case U8 -> new QuantRange(t, 0, 255);
            case I8 -> new QuantRange(t, -128, 127);
            case U16 -> new QuantRange(t, 0, 65535);
            case I16 -> new QuantRange(t, -32768, 32767);
            case I32 -> new QuantRange(t, Integer.MIN_VALUE, Integer.MAX_VALUE);
            default -> throw new IllegalArgumentException("quantized type " + t + " is not supported");
        };
    }

    /** saturate(round_half_even(v)): Math.rint rounds ties to even, as numpy's rint. */
    long saturateRound(double v) {
        if (Double.isNaN(v)) {
            return 0;
        }
        double r = Math.rint(v);
        return r <= min ? min : r >= max ? max : (long) r;
    }

    /**
     * ONNX's reference requantization of an integer accumulator: the float32 multiplier is applied in double,
     * the zero point added before rounding half to even, then the result saturated.
     */
    long requantize(long acc, float multiplier, long zeroPoint) {
        return saturateRound(acc * (double) multiplier + zeroPoint);
    }
}
