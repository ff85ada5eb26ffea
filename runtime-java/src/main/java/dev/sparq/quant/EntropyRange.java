package dev.sparq.quant;

/**
 * TensorRT's entropy calibration ("EntropyCalibration2", Migacz, GTC 2017), in the form of MXNet's and ONNX
 * Runtime's published implementations of that reference algorithm. For each candidate bin i from 128 to the
 * histogram's end: P = the first i bins with every count beyond folded into bin i-1; Q = those i bins (without the
 * fold) merged into 128 levels of i/128 bins (the remainder joins the last level) and each level's sum spread
 * evenly over the bins where P is non-zero. Zeros in P and Q are smoothed (eps 1e-4) so KL(P || Q) stays finite.
 * The threshold is the edge of the bin i with the smallest divergence (the first on ties).
 */
public final class EntropyRange extends HistogramRange {
    static final int LEVELS = 128;
    private static final double EPS = 1e-4;

    @Override
    public String method() {
        return "entropy";
    }

    @Override
    public double threshold(AbsHistogram h) {
        long[] bins = h.counts();
        if (bins.length <= LEVELS) {
            return h.range(); // too few bins to clip into 128 levels
        }
        if (h.total() == 0) {
            return 0;
        }
        long[] beyond = new long[bins.length + 1]; // beyond[i] = count in bins i and up
        for (int i = bins.length - 1; i >= 0; i--) {
            beyond[i] = beyond[i + 1] + bins[i];
        }
        double best = Double.POSITIVE_INFINITY;
        int bestBin = bins.length;
        for (int i = LEVELS; i <= bins.length; i++) {
            double kl = divergence(bins, i, beyond[i]);
            if (kl < best) {
                best = kl;
                bestBin = i;
            }
        }
        return bestBin * h.binWidth();
    }

    /** KL(P || Q) of candidate {@code i} whose clipped tail holds {@code outliers} values. */
    static double divergence(long[] bins, int i, long outliers) {
        double[] p = new double[i];
        for (int j = 0; j < i; j++) {
            p[j] = bins[j];
        }
        p[i - 1] += outliers;
        double[] q = new double[i];
        int merged = i / LEVELS;
        for (int level = 0; level < LEVELS; level++) {
            int from = level * merged;
            int to = level == LEVELS - 1 ? i : from + merged;
            double sum = 0;
            int nonZero = 0;
            for (int j = from; j < to; j++) {
                sum += bins[j];
                nonZero += p[j] != 0 ? 1 : 0;
            }
            for (int j = from; j < to; j++) {
                q[j] = p[j] != 0 ? sum / nonZero : 0;
            }
        }
        if (!smooth(p) || !smooth(q)) {
            return Double.POSITIVE_INFINITY;
        }
        return klDivergence(p, q);
    }

    /**
     * MXNet's smoothing: eps added to zeros, taken evenly from the non-zeros (never below eps, which MXNet does not
     * guard: a tiny spread-out Q bin could turn negative); false if all are zero.
     */
    private static boolean smooth(double[] counts) {
        int zeros = 0;
        for (double c : counts) {
            zeros += c == 0 ? 1 : 0;
        }
        int nonZeros = counts.length - zeros;
        if (nonZeros == 0) {
            return false;
        }
        double take = EPS * zeros / nonZeros;
        for (int j = 0; j < counts.length; j++) {
            counts[j] = counts[j] == 0 ? EPS : Math.max(counts[j] - take, EPS);
        }
        return true;
    }

    /** KL divergence of the normalized distributions, as scipy.stats.entropy(p, q). */
    static double klDivergence(double[] p, double[] q) {
        double pSum = 0;
        double qSum = 0;
        for (int j = 0; j < p.length; j++) {
            pSum += p[j];
            qSum += q[j];
        }
        double kl = 0;
        for (int j = 0; j < p.length; j++) {
            if (p[j] > 0) {
                double pj = p[j] / pSum;
                kl += pj * Math.log(pj / (q[j] / qSum));
            }
        }
        return kl;
    }
}
