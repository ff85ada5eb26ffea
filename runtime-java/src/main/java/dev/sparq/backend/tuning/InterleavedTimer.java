package dev.sparq.backend.tuning;

import java.util.Arrays;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * Times candidates in interleaved rounds (A, B, C, A, B, C, ...) until the budget is spent, keeping each one's
 * fastest sample: interleaving gives every candidate the same chance of JIT compilation and of the machine's quiet
 * moments, and the minimum is the figure least disturbed by noise. The first round only warms up (first touch of
 * memory, interpreter); it counts only if the budget allowed no other. A sample repeats a fast candidate enough
 * times to last about {@link #SAMPLE_NANOS}, so clock granularity does not matter. While a candidate still gets
 * markedly faster from round to round (its code still being compiled), timing goes on, up to
 * {@link #MAX_EXTENSION} times the budget.
 */
final class InterleavedTimer implements CandidateTimer {
    static final long SAMPLE_NANOS = 20_000;
    private static final int MAX_REPEATS = 4096;
    static final int MAX_EXTENSION = 4;
    /** A round whose best sample beats the previous best by more than this factor means "not settled yet". */
    private static final double SETTLED = 0.9;
    private final LongSupplier clock;

    InterleavedTimer(LongSupplier clock) {
        this.clock = clock;
    }

    @Override
    public boolean runsCandidates() {
        return true;
    }

    @Override
    public double[] time(List<String> names, List<Runnable> runs, long budgetNanos) {
        int n = runs.size();
        double[] first = new double[n];
        double[] best = new double[n];
        int[] repeats = new int[n];
        Arrays.fill(best, Double.POSITIVE_INFINITY);
        long start = clock.getAsLong();
        for (int i = 0; i < n; i++) {
            first[i] = sample(runs.get(i), 1);
            repeats[i] = repeatsFor(first[i]);
        }
        boolean measured = false;
        boolean improving = false;
        long elapsed;
        while ((elapsed = clock.getAsLong() - start) < budgetNanos
            || (improving && elapsed < MAX_EXTENSION * budgetNanos)) {
            improving = false;
            for (int i = 0; i < n; i++) {
                double t = sample(runs.get(i), repeats[i]);
                improving |= measured && t < SETTLED * best[i];
                best[i] = Math.min(best[i], t);
                repeats[i] = repeatsFor(best[i]);
            }
            measured = true;
        }
        return measured ? best : first;
    }

    private double sample(Runnable run, int repeats) {
        long t0 = clock.getAsLong();
        for (int r = 0; r < repeats; r++) {
            run.run();
        }
        return Math.max(1, clock.getAsLong() - t0) / (double) repeats;
    }

    private static int repeatsFor(double nanos) {
        return (int) Math.max(1, Math.min(MAX_REPEATS, SAMPLE_NANOS / Math.max(nanos, 1)));
    }
}
