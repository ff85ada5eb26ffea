package dev.sparq.quant;

/**
 * Chooses the clipping threshold T of a tensor from its statistics: values beyond ±T saturate. int8 symmetric
 * quantization uses scale T/127; uint8 asymmetric clips [min, max] to [-T, T].
 */
public interface RangeSelector {
    /** The method's name as results and caches report it, e.g. "entropy". */
    String method();

    /** Whether {@link #threshold} reads {@link TensorStats#histogram()} (a little more work per value seen). */
    boolean needsHistogram();

    /** The threshold, in [0, abs-max]. */
    double threshold(TensorStats stats);
}
