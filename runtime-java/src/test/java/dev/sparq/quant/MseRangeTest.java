package dev.sparq.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class MseRangeTest {
    @Test
    void flatHistogramClipsOnlyTheLastFraction() {
        // Uniform on [0, 1]: clipping costs (1-T)^3/3, rounding T * (T/127)^2/12; the optimum is T = 0.9968.
        long[] counts = new long[2048];
        Arrays.fill(counts, 10);
        AbsHistogram h = AbsHistogram.of(1.0, counts);
        assertEquals(0.9968, new MseRange().threshold(h), 0.002);
    }

    @Test
    void outliersPullTheThresholdBetweenThePercentileAndTheMax() {
        // 1e6 values in [-1, 1] and 10 at ±100: the error budget s^2/12 per value against (100 - T)^2 per outlier
        // puts the optimum near T = 66 (analytically; bins shift it slightly).
        float[] v = Histograms.uniform(1_000_010, 4);
        for (int i = 0; i < 10; i++) {
            v[i] = i % 2 == 0 ? 100f : -100f;
        }
        AbsHistogram h = Histograms.of(v);
        double mse = new MseRange().threshold(h);
        double percentile = new PercentileRange(PercentileRange.DEFAULT).threshold(h);
        assertTrue(percentile < mse && mse < h.range(), "percentile " + percentile + " mse " + mse);
        assertEquals(66, mse, 10);
    }

    @Test
    void squaredErrorIsZeroOnTheGrid() {
        // One bin whose center (0.5 * width) is exactly a quantization step at T = 127 * center.
        AbsHistogram h = AbsHistogram.of(2048, 0, 5); // width 1024, center of bin 1 = 1536
        assertEquals(0, MseRange.squaredError(h, 1536.0 * 127 / 3), 1e-6); // scale 512: 1536 = 3 steps
        assertTrue(MseRange.squaredError(h, 1000) > 0); // clipped to 1000
    }
}
