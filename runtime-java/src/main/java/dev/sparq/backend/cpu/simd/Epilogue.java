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
