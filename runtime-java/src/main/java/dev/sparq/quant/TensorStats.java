package dev.sparq.quant;

/**
 * What calibration saw of one float tensor: min, max and abs-max from the first pass over the samples, and the
 * histogram of |x| over [0, abs-max] from the second (absent when the range method does not need one).
 */
public final class TensorStats {
    private double min = Double.POSITIVE_INFINITY;
    private double max = Double.NEGATIVE_INFINITY;
    private long count;
    private AbsHistogram histogram;

    /** Filled by the statistics collector (and tests in this package). */
    TensorStats() {
    }

    /** First pass: widens the range by {@code v}; non-finite values are ignored. */
    void observe(float v) {
        if (Float.isFinite(v)) {
            min = Math.min(min, v);
            max = Math.max(max, v);
            count++;
        }
    }

    /** First pass over a whole f32 tensor's memory. */
    void observe(java.lang.foreign.MemorySegment f32) {
        long n = f32.byteSize() / Float.BYTES;
        for (long i = 0; i < n; i++) {
            observe(f32.getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, i));
        }
    }

    /** Starts the second pass: an empty histogram over [0, abs-max]. */
    void startHistogram(int bins) {
        histogram = new AbsHistogram(bins, absMax());
    }

    /** Smallest value seen (0 if none were). */
    public double min() {
        return count == 0 ? 0 : min;
    }

    public double max() {
        return count == 0 ? 0 : max;
    }

    public double absMax() {
        return Math.max(Math.abs(min()), Math.abs(max()));
    }

    /** Number of finite values seen in the first pass. */
    public long count() {
        return count;
    }

    public boolean hasHistogram() {
        return histogram != null;
    }

    public AbsHistogram histogram() {
        if (histogram == null) {
            throw new IllegalStateException("no histogram was collected (the range method did not ask for one)");
        }
        return histogram;
    }
}
