package dev.sparq.backend.cpu.simd;

/**
 * What a GEMM does to each finished output element, fused into its last store: add a bias (per output row, as in
 * convolution, or per column, as in a fully connected layer), then clamp to [min, max] (Relu is [0, +inf),
 * Relu6/Clip any range, no activation is (-inf, +inf)).
 */
public record Epilogue(float[] rowBias, float[] colBias, float min, float max) {
    public static final Epilogue NONE = new Epilogue(null, null, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY);

    public boolean clamps() {
        return min != Float.NEGATIVE_INFINITY || max != Float.POSITIVE_INFINITY;
    }

    public Epilogue withClamp(float lo, float hi) {
        return new Epilogue(rowBias, colBias, Math.max(min, lo), Math.min(max, hi));
    }

    /**
     * Whether {@code x <= min ? min : x} equals {@code Math.max(x, min)} for every x, NaN included (a compare and a
     * blend, where Java's max semantics cost several vector instructions): yes unless min is NaN or -0.0 (then
     * x = +0.0 would give -0.0).
     */
    public static boolean blendsMin(float min) {
        return !Float.isNaN(min) && Float.floatToRawIntBits(min) != Float.floatToRawIntBits(-0.0f);
    }

    /** Like {@link #blendsMin}: {@code x >= max ? max : x} is {@code Math.min(x, max)} unless max is NaN or +0.0. */
    public static boolean blendsMax(float max) {
        return !Float.isNaN(max) && Float.floatToRawIntBits(max) != 0;
    }

    public float apply(float v, int row, int col) {
        if (rowBias != null) {
            v += rowBias[row];
        }
        if (colBias != null) {
            v += colBias[col];
        }
        // max/min in this order so NaN propagates like ONNX's Relu/Clip (Math.max(NaN, x) is NaN)
        return clamps() ? Math.min(Math.max(v, min), max) : v;
    }
}
