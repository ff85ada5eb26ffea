package dev.sparq.quant;

/** No clipping: the threshold is the abs-max seen (and uint8 uses the full [min, max]). */
public final class MinMaxRange implements RangeSelector {
    @Override
    public String method() {
        return "minmax";
    }

    @Override
    public boolean needsHistogram() {
        return false;
    }

    @Override
    public double threshold(TensorStats stats) {
        return stats.absMax();
    }
}
