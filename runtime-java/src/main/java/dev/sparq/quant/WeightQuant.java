package dev.sparq.quant;

/**
 * Per-output-channel symmetric int8 scales of one weight initializer (zero points all 0): {@code scales[c]} applies
 * to the slice at index {@code c} of {@code axis}.
 */
public record WeightQuant(String name, int axis, float[] scales) {
    public WeightQuant {
        scales = scales.clone();
    }

    @Override
    public float[] scales() {
        return scales.clone();
    }
}
