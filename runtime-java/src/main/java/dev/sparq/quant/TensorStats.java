package dev.sparq.quant;

import dev.sparq.backend.cpu.simd.VectorScan;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * What calibration saw of one float tensor: min, max and abs-max, and (when the range method needs one) the
 * histogram of |x| over [0, abs-max], all from one pass over the samples.
 */
public final class TensorStats {
    private double min = Double.POSITIVE_INFINITY;
    private double max = Double.NEGATIVE_INFINITY;
    private long count;
    private final GrowingHistogram growing;
    private AbsHistogram histogram;

    /** Range only. */
    TensorStats() {
        this(0);
    }

    /** Range and, if {@code bins > 0}, a histogram of that many bins. */
    TensorStats(int bins) {
        this.growing = bins > 0 ? new GrowingHistogram(bins) : null;
    }

    /** Widens the range by {@code v}; non-finite values are ignored. Range only (tests). */
    void observe(float v) {
        if (Float.isFinite(v)) {
            min = Math.min(min, v);
            max = Math.max(max, v);
            count++;
        }
    }

    /**
     * The range of elements [from, to) of an f32 segment: {min, max, finite count, 1 if every element is finite}.
     * Thread-safe (reads only).
     */
    static double[] scan(MemorySegment f32, long from, long to) {
        float[] range = VectorScan.minMax(f32, from, to); // a NaN or ±inf shows in the fold
        if (Float.isFinite(range[0]) && Float.isFinite(range[1]) || from == to) {
            return new double[] {range[0], range[1], to - from, 1};
        }
        float lo = Float.POSITIVE_INFINITY;
        float hi = Float.NEGATIVE_INFINITY;
        long finite = 0;
        for (long i = from; i < to; i++) {
            float v = f32.getAtIndex(ValueLayout.JAVA_FLOAT, i);
            if (Float.isFinite(v)) {
                lo = Math.min(lo, v);
                hi = Math.max(hi, v);
                finite++;
            }
        }
        return new double[] {lo, hi, finite, 0};
    }

    /** Adds a scanned chunk's range; then the histogram (if any) is widened to cover it. */
    void merge(double[] range) {
        if (range[2] > 0) {
            min = Math.min(min, range[0]);
            max = Math.max(max, range[1]);
            count += (long) range[2];
        }
        if (growing != null) {
            growing.cover(absMax());
        }
    }

    /** The growing histogram to fill after {@link #merge} (null when no histogram is collected). */
    GrowingHistogram growing() {
        return growing;
    }

    /** Ends the pass: the histogram over [0, abs-max] is fixed from the fine one. */
    void finish() {
        if (growing != null) {
            histogram = growing.resample(absMax());
        }
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

    /** Number of finite values seen. */
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
