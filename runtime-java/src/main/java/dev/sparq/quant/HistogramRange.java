package dev.sparq.quant;

/** A range method that works on the |x| histogram calibration collects. */
abstract class HistogramRange implements RangeSelector {
    @Override
    public final boolean needsHistogram() {
        return true;
    }

    @Override
    public final double threshold(TensorStats stats) {
        return threshold(stats.histogram());
    }

    /** The clipping threshold T (scale = T / 127) this method picks for the histogram. */
    public abstract double threshold(AbsHistogram h);
}
