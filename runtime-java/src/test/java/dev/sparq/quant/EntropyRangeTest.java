package dev.sparq.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class EntropyRangeTest {
    @Test
    void flatHistogramKeepsTheWholeRange() {
        // Any clipping folds the tail into one spike that 128 levels cannot represent; no clipping is exact.
        long[] counts = new long[2048];
        Arrays.fill(counts, 1000);
        assertEquals(5.0, new EntropyRange().threshold(AbsHistogram.of(5.0, counts)), 1e-12);
    }

    @Test
    void divergenceIsZeroWhenQuantizingLosesNothing() {
        long[] counts = new long[256];
        Arrays.fill(counts, 7);
        assertEquals(0, EntropyRange.divergence(counts, 256, 0), 1e-12);
        assertTrue(EntropyRange.divergence(counts, 128, 7 * 128) > 0.1);
    }

    @Test
    void clipsAFewHugeOutliersWellBelowTheMax() {
        AbsHistogram h = Histograms.of(Histograms.gaussianWithOutliers(1_000_000, 20, 100f, 1));
        double t = new EntropyRange().threshold(h);
        // 128 bins (the smallest candidate) is 6.25: the bulk (|x| < 5) fits, the outliers at 100 are clipped.
        assertTrue(t >= 128 * h.binWidth() - 1e-9, "threshold " + t);
        assertTrue(t < 20, "threshold " + t + " should clip far below the max 100");
    }

    @Test
    void gaussianWithoutOutliersClipsItsSparseTail() {
        // Entropy calibration keeps a Gaussian's bulk: the threshold lies between 2.5 and 4.5 sigma (its max ~5).
        AbsHistogram h = Histograms.of(Histograms.gaussianWithOutliers(1_000_000, 0, 0f, 2));
        double t = new EntropyRange().threshold(h);
        assertTrue(t > 2.5 && t < h.range(), "threshold " + t + " of max " + h.range());
    }

    @Test
    void emptyHistogramGivesZero() {
        assertEquals(0, new EntropyRange().threshold(new AbsHistogram(2048, 1)));
    }
}
