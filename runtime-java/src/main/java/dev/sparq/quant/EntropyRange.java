package dev.sparq.quant;

/**
 * TensorRT's entropy calibration ("EntropyCalibration2"), as NVIDIA's pytorch-quantization implements the
 * reference algorithm: for each candidate threshold bin i from 128 to the histogram's end, P = the first i bins
 * with every count beyond folded into bin i-1, Q = those i bins merged into 128 levels and spread back evenly over
 * each level's non-empty bins; the threshold is the edge of bin i with the smallest KL(P || Q) (the last one on
 * ties). Bin 0 is counted as bin 1 first, as NVIDIA does, so a spike of exact zeros (after ReLU) does not dominate.
 */
public final class EntropyRange implements RangeSelector {
    static final int LEVELS = 128;
    static final int START_BIN = 128;

    @Override
    public String method() {
        return "entropy";
    }

    @Override
    public boolean needsHistogram() {
        return true;
    }

    @Override
    public double threshold(TensorStats stats) {
        return threshold(stats.histogram());
    }

    public double threshold(AbsHistogram h) {
        long[] bins = h.counts();
        if (bins.length <= START_BIN) {
            return h.range(); // too few bins to clip into 128 levels
        }
        bins[0] = bins[1];
        if (h.total() == 0) {
            return 0;
        }
        double best = Double.POSITIVE_INFINITY;
        int bestBin = bins.length;
        // suffix[i] = count beyond candidate i; "<=" keeps the last minimum, as NVIDIA does.
        long[] suffix = new long[bins.length + 1];
        for (int i = bins.length - 1; i >= 0; i--) {
            suffix[i] = suffix[i + 1] + bins[i];
        }
        for (int i = START_BIN; i <= bins.length; i++) {
            double kl = divergence(bins, i, suffix[i]);
            if (kl <= best) {
                best = kl;
                bestBin = i;
            }
        }
        return bestBin * h.binWidth();
    }

    /** KL(P || Q) for candidate {@code i}; infinite when Q is 0 where P is not. */
    static double divergence(long[] bins, int i, long beyond) {
        double[] p = new double[i];
        for (int j = 0; j < i; j++) {
            p[j] = bins[j];
        }
        p[i - 1] += beyond;
        double[] q = new double[i];
        for (int level = 0; level < LEVELS; level++) {
            // Bins whose index falls in [level * i/128, (level+1) * i/128), like np.digitize over linspace(0, i).
            int from = levelStart(level, i);
            int to = levelStart(level + 1, i);
            double sum = 0;
            int nonEmpty = 0;
            for (int j = from; j < to; j++) {
                if (bins[j] != 0) {
                    sum += bins[j];
                    nonEmpty++;
                }
            }
            if (nonEmpty > 0) {
                double avg = sum / nonEmpty;
                for (int j = from; j < to; j++) {
                    if (bins[j] != 0) {
                        q[j] = avg;
                    }
                }
            }
        }
        double pSum = 0;
        double qSum = 0;
        for (int j = 0; j < i; j++) {
            pSum += p[j];
            qSum += q[j];
        }
        double kl = 0;
        for (int j = 0; j < i; j++) {
            if (p[j] == 0) {
                continue;
            }
            if (q[j] == 0) {
                return Double.POSITIVE_INFINITY;
            }
            double pj = p[j] / pSum;
            kl += pj * Math.log(pj / (q[j] / qSum));
        }
        return kl;
    }

    /** First bin index of {@code level}: the smallest j with j >= level * i / 128 (exact rational arithmetic). */
    private static int levelStart(int level, int i) {
        return (int) (((long) level * i + LEVELS - 1) / LEVELS);
    }
}
