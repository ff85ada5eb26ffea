package dev.sparq.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class PercentileRangeTest {
    @Test
    void thresholdIsTheUpperEdgeOfTheBinReachingThePercentile() {
        long[] counts = new long[100];
        Arrays.fill(counts, 1);
        AbsHistogram h = AbsHistogram.of(100, counts);
        assertEquals(50, new PercentileRange(50).threshold(h), 1e-9);
        assertEquals(100, new PercentileRange(100).threshold(h), 1e-9);
        assertEquals(1, new PercentileRange(0.5).threshold(h), 1e-9);
    }

    @Test
    void clipsAFewHugeOutliers() {
        // 1e6 normals and 20 values at ±100: the 99.99th percentile of |N(0,1)| is 3.89.
        AbsHistogram h = Histograms.of(Histograms.gaussianWithOutliers(1_000_000, 20, 100f, 1));
        double t = new PercentileRange(PercentileRange.DEFAULT).threshold(h);
        assertEquals(3.89, t, 2 * h.binWidth() + 0.05);
    }

    @Test
    void uniformDataGivesThePercentileOfItsRange() {
        AbsHistogram h = Histograms.of(Histograms.uniform(1_000_000, 3));
        assertEquals(0.99, new PercentileRange(99).threshold(h), 0.005);
    }

    @Test
    void rejectsPercentilesOutsideTheOpenRange() {
        assertThrows(IllegalArgumentException.class, () -> new PercentileRange(0));
        assertThrows(IllegalArgumentException.class, () -> new PercentileRange(100.5));
    }

    @Test
    void emptyHistogramGivesZero() {
        assertTrue(new PercentileRange(99).threshold(new AbsHistogram(2048, 1)) == 0);
    }
}
