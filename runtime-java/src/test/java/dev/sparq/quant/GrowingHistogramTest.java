package dev.sparq.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparq.tensor.Tensor;
import java.util.Random;
import org.junit.jupiter.api.Test;

class GrowingHistogramTest {
    /** Feeds chunks one by one as the collector does: scan, merge (which widens), count, drain. */
    private static TensorStats collect(int bins, float[]... chunks) {
        TensorStats s = new TensorStats(bins);
        long[] counts = GrowingHistogram.newCounts(bins);
        for (float[] c : chunks) {
            try (Tensor t = Tensor.fromFloats(c, c.length)) {
                double[] range = TensorStats.scan(t.segment(), 0, c.length);
                s.merge(range);
                s.growing().add(t.segment(), 0, c.length, range[3] == 1, counts);
                s.growing().drain(counts);
            }
        }
        s.finish();
        return s;
    }

    /** The two-pass histogram TensorRT's reference builds: abs-max first, then every |x| in its bin. */
    private static AbsHistogram twoPass(int bins, float[]... chunks) {
        double absMax = 0;
        for (float[] c : chunks) {
            for (float v : c) {
                absMax = Math.max(absMax, Math.abs(v));
            }
        }
        AbsHistogram h = new AbsHistogram(bins, absMax);
        for (float[] c : chunks) {
            for (float v : c) {
                h.add(v);
            }
        }
        return h;
    }

    private static float[] gaussian(Random r, int n, double sigma) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (r.nextGaussian() * sigma);
        }
        return v;
    }

    @Test
    void growingRangeKeepsEveryValueAndStaysWithinHalfAFineBinOfTheTwoPassHistogram() {
        Random r = new Random(7);
        // The range grows 1000-fold after the first chunk: many pair merges.
        float[][] chunks = {gaussian(r, 5000, 0.01), gaussian(r, 5000, 1), gaussian(r, 5000, 10)};
        TensorStats s = collect(2048, chunks);
        AbsHistogram one = s.histogram();
        AbsHistogram two = twoPass(2048, chunks);
        assertEquals(two.range(), one.range());
        assertEquals(15000, one.total());
        // Cumulative counts differ only by values within 1/8 of a bin of an edge: compare at a bin's resolution.
        long c1 = 0;
        long c2 = 0;
        long worst = 0;
        for (int b = 0; b < 2048; b++) {
            c1 += one.count(b);
            c2 += two.count(b);
            worst = Math.max(worst, Math.abs(c1 - c2));
        }
        assertTrue(worst <= 60, "cumulative counts drift by " + worst); // ~ the values within 1/8 bin of an edge
        for (var method : new HistogramRange[] {new EntropyRange(), new PercentileRange(99.9), new MseRange()}) {
            double a = method.threshold(one);
            double b = method.threshold(two);
            assertEquals(b, a, 0.02 * b, method.method()); // same clipping threshold within 2%
        }
    }

    @Test
    void zerosBeforeTheFirstNonZeroValueLandInTheFirstBin() {
        TensorStats s = collect(16, new float[] {0, 0, 0}, new float[] {0, 4, Float.NaN}, new float[] {-8});
        AbsHistogram h = s.histogram();
        assertEquals(8.0, h.range());
        assertEquals(6, h.total()); // the NaN is not counted
        assertEquals(4, h.count(0));
        assertEquals(1, h.count(8)); // |4| is half the range
        assertEquals(1, h.count(15));
        assertEquals(6, s.count());
        assertEquals(-8.0, s.min());
        assertEquals(4.0, s.max());
    }

    @Test
    void onlyZerosGiveAnEmptyRangeWithEverythingInBinZero() {
        TensorStats s = collect(8, new float[] {0, -0f, 0});
        assertEquals(0.0, s.histogram().range());
        assertEquals(3, s.histogram().count(0));
        assertEquals(3, s.histogram().total());
    }

    @Test
    void scanIgnoresNonFiniteValuesButCountsTheRest() {
        try (Tensor t = Tensor.fromFloats(new float[] {1, Float.POSITIVE_INFINITY, -3, Float.NaN, 2}, 5)) {
            double[] range = TensorStats.scan(t.segment(), 0, 5);
            assertEquals(-3.0, range[0]);
            assertEquals(2.0, range[1]);
            assertEquals(3.0, range[2]);
            assertEquals(0.0, range[3]); // not all finite
            double[] finite = TensorStats.scan(t.segment(), 0, 1);
            assertEquals(1.0, finite[2]);
            assertEquals(1.0, finite[3]);
        }
    }
}
