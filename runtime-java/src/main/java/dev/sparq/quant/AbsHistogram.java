package dev.sparq.quant;

import java.util.Arrays;

/**
 * Histogram of |x| over [0, range] in equal bins (TensorRT uses 2048). Values above the range fall in the last bin.
 * Range selectors read it; the statistics collector builds it from a {@link GrowingHistogram}.
 */
public final class AbsHistogram {
    public static final int DEFAULT_BINS = 2048;

    private final long[] counts;
    private final double range;

    /** An empty histogram of {@code bins} bins over [0, range]; range 0 puts every value in bin 0. */
    public AbsHistogram(int bins, double range) {
        if (bins < 1 || !(range >= 0) || Double.isInfinite(range)) {
            throw new IllegalArgumentException("bad histogram: " + bins + " bins over [0, " + range + "]");
        }
        this.counts = new long[bins];
        this.range = range;
    }

    /** A histogram with the given counts (for tests and for histograms built elsewhere). */
    public static AbsHistogram of(double range, long... counts) {
        AbsHistogram h = new AbsHistogram(counts.length, range);
        System.arraycopy(counts, 0, h.counts, 0, counts.length);
        return h;
    }

    /** Adds |v|; non-finite values are ignored (they have no meaningful range). */
    public void add(float v) {
        if (!Float.isFinite(v)) {
            return;
        }
        double a = Math.abs(v);
        int bin = range == 0 ? 0 : (int) (a / range * counts.length);
        counts[Math.min(bin, counts.length - 1)]++;
    }

    public int bins() {
        return counts.length;
    }

    public double range() {
        return range;
    }

    public double binWidth() {
        return range / counts.length;
    }

    public long count(int bin) {
        return counts[bin];
    }

    public long[] counts() {
        return counts.clone();
    }

    public long total() {
        return Arrays.stream(counts).sum();
    }
}
