package dev.sparq.quant;

import java.util.Random;

/** Synthetic data for range-method tests. */
final class Histograms {
    private Histograms() {
    }

    /** |x| histogram of {@code values} over [0, max |x|] in 2048 bins. */
    static AbsHistogram of(float[] values) {
        double absMax = 0;
        for (float v : values) {
            absMax = Math.max(absMax, Math.abs(v));
        }
        AbsHistogram h = new AbsHistogram(AbsHistogram.DEFAULT_BINS, absMax);
        for (float v : values) {
            h.add(v);
        }
        return h;
    }

    /** n values uniform in [-1, 1) (seeded). */
    static float[] uniform(int n, long seed) {
        Random r = new Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = r.nextFloat() * 2 - 1;
        }
        return v;
    }

    /** n standard normal values (seeded) whose last {@code outliers} entries are replaced by ±{@code at}. */
    static float[] gaussianWithOutliers(int n, int outliers, float at, long seed) {
        Random r = new Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) r.nextGaussian();
        }
        for (int i = 0; i < outliers; i++) {
            v[n - 1 - i] = i % 2 == 0 ? at : -at;
        }
        return v;
    }
}
