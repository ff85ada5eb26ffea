package dev.sparq.quant;

/**
 * The threshold below which {@code percentile}% of the |x| values lie: the upper edge of the first histogram bin
 * where the cumulative count reaches that share.
 */
public final class PercentileRange extends HistogramRange {
    public static final double DEFAULT = 99.99;

    private final double percentile;

    public PercentileRange(double percentile) {
        if (!(percentile > 0 && percentile <= 100)) {
            throw new IllegalArgumentException("percentile must be in (0, 100], not " + percentile);
        }
        this.percentile = percentile;
    }

    public double percentile() {
        return percentile;
    }

    @Override
    public String method() {
        return "percentile";
    }

    @Override
    public double threshold(AbsHistogram h) {
        long total = h.total();
        if (total == 0) {
            return 0;
        }
        double wanted = total * percentile / 100;
        long cumulative = 0;
        for (int i = 0; i < h.bins(); i++) {
            cumulative += h.count(i);
            if (cumulative >= wanted) {
                return (i + 1) * h.binWidth();
            }
        }
        return h.range();
    }
}
