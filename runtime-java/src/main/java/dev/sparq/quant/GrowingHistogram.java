package dev.sparq.quant;

import dev.sparq.backend.cpu.simd.VectorScan;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The |x| histogram of one calibration pass, filled before the final abs-max is known. It keeps fine bins of width
 * w, at most 1/4 of the final bin width: w starts at (first non-zero abs-max) / (4 · bins) and, when the range
 * outgrows 8 · bins fine bins, neighbouring bins are merged in pairs (exact: counts are summed, edges stay
 * aligned) and w doubles. {@link #resample} then gives the fixed histogram over [0, abs-max] that the range
 * methods read, each fine bin counted in the final bin holding its centre (an edge error of at most half a fine
 * bin, 1/8 of a final bin). This is what lets calibration read the data once instead of twice (TensorRT's
 * reference first finds abs-max, then fills the histogram in a second pass).
 */
final class GrowingHistogram {
    private static final ThreadLocal<int[]> BINS = ThreadLocal.withInitial(() -> new int[4096]);

    private final int bins;
    private final long[] fine;
    /** Fine bin width; 0 until a non-zero value arrives. */
    private double width;
    /** Fine bins in use: [0, used · width) covers every value seen (1 until the width is known). */
    private int used = 1;
    /** Zeros seen while the width was still unknown; they belong in fine bin 0. */
    private long zeros;

    GrowingHistogram(int bins) {
        if (bins < 1) {
            throw new IllegalArgumentException("a histogram needs at least one bin, not " + bins);
        }
        this.bins = bins;
        this.fine = newCounts(bins);
    }

    /** Widens the covered range to at least [0, absMax] (call before {@link #add} with values up to absMax). */
    void cover(double absMax) {
        if (!(absMax > 0)) {
            return;
        }
        if (width == 0) {
            width = absMax / (4.0 * bins);
            fine[0] += zeros;
            zeros = 0;
        }
        // floor(absMax / width) + 1 bins: abs-max itself gets a bin rather than being clamped into the one below.
        while (Math.floor(absMax / width) + 1 > fine.length) {
            mergePairs();
        }
        used = Math.max(used, (int) Math.floor(absMax / width) + 1);
    }

    private void mergePairs() {
        int half = (used + 1) / 2;
        for (int i = 0; i < half; i++) {
            fine[i] = fine[2 * i] + (2 * i + 1 < used ? fine[2 * i + 1] : 0);
        }
        java.util.Arrays.fill(fine, half, used, 0);
        used = half;
        width *= 2;
    }

    /** A private count array for {@link #add} on histograms of {@code bins} bins: reused, drained by {@link #drain}. */
    static long[] newCounts(int bins) {
        return new long[8 * bins];
    }

    /**
     * Counts |x| of elements [from, to) of an f32 segment into {@code counts}, non-finite values skipped
     * ({@code allFinite}: the caller's scan found none, so the vector path may run). Every value must lie within
     * the last {@link #cover}.
     */
    void add(MemorySegment f32, long from, long to, boolean allFinite, long[] counts) {
        if (width == 0) {
            for (long i = from; i < to; i++) { // no non-zero value seen: every finite value here is 0
                if (Float.isFinite(f32.getAtIndex(ValueLayout.JAVA_FLOAT, i))) {
                    counts[0]++;
                }
            }
            return;
        }
        float inverse = (float) (1 / width);
        int last = used - 1;
        if (!allFinite) {
            for (long i = from; i < to; i++) {
                float a = Math.abs(f32.getAtIndex(ValueLayout.JAVA_FLOAT, i));
                if (a < Float.POSITIVE_INFINITY) { // NaN compares false too
                    counts[Math.min((int) (a * inverse), last)]++;
                }
            }
            return;
        }
        int[] bins = BINS.get();
        for (long i = from; i < to; i += bins.length) {
            int n = (int) Math.min(bins.length, to - i);
            VectorScan.absBins(f32, i, n, inverse, last, bins);
            for (int j = 0; j < n; j++) {
                counts[bins[j]]++;
            }
        }
    }

    /** Moves a private count array filled since the last {@link #cover} (same width) into this one, zeroing it. */
    void drain(long[] counts) {
        if (width == 0) {
            zeros += counts[0];
            counts[0] = 0;
            return;
        }
        for (int i = 0; i < used; i++) {
            fine[i] += counts[i];
            counts[i] = 0;
        }
    }

    /** The histogram of {@code bins} bins over [0, absMax] (absMax: the largest |x| seen). */
    AbsHistogram resample(double absMax) {
        long[] out = new long[bins];
        if (width == 0 || absMax == 0) {
            out[0] = zeros + java.util.Arrays.stream(fine, 0, used).sum();
            return AbsHistogram.of(absMax, out);
        }
        for (int i = 0; i < used; i++) {
            if (fine[i] != 0) {
                double centre = (i + 0.5) * width;
                out[(int) Math.min(bins - 1, centre / absMax * bins)] += fine[i];
            }
        }
        return AbsHistogram.of(absMax, out);
    }
}
