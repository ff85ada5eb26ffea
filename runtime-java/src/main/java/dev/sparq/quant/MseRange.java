package dev.sparq.quant;

/**
 * The threshold that minimizes the mean squared error of int8 fake quantization over the histogram, each bin
 * represented by its center (NVIDIA pytorch-quantization's "mse" method): candidates are the bin centers from bin
 * 128 on, the error of a center c under threshold T is (c - clamp(round_half_even(c / s), -127, 127) * s)^2 with
 * s = T / 127, weighted by the bin's count. The first minimum wins.
 */
public final class MseRange extends HistogramRange {
    static final int START_BIN = 128;

    @Override
    public String method() {
        return "mse";
    }

    @Override
    public double threshold(AbsHistogram h) {
        if (h.total() == 0) {
            return 0;
        }
        double width = h.binWidth();
        double best = Double.POSITIVE_INFINITY;
        double bestThreshold = h.range();
        for (int i = Math.min(START_BIN, h.bins() - 1); i < h.bins(); i++) {
            double t = (i + 0.5) * width;
            double err = squaredError(h, t);
            if (err < best) {
                best = err;
                bestThreshold = t;
            }
        }
        return bestThreshold;
    }

    /** Count-weighted squared error of quantizing every bin center with threshold {@code t}. */
    static double squaredError(AbsHistogram h, double t) {
        double scale = t / 127;
        double width = h.binWidth();
        double err = 0;
        for (int j = 0; j < h.bins(); j++) {
            long n = h.count(j);
            if (n == 0) {
                continue;
            }
            double c = (j + 0.5) * width;
            double q = Math.min(127, Math.rint(c / scale)) * scale;
            err += n * (c - q) * (c - q);
        }
        return err;
    }
}
