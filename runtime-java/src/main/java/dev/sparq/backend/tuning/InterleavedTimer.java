package dev.sparq.backend.tuning;

import java.util.Arrays;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * Times candidates in interleaved rounds (A, B, C, A, B, C, ...) until the budget is spent, keeping each one's
 * fastest sample: interleaving gives every candidate the same chance of JIT compilation and of the machine's quiet
 * moments, and the minimum is the figure least disturbed by noise. The first round only warms up (first touch of
 * memory, interpreter); it counts only if the budget allowed no other. A sample repeats a fast candidate enough
 * times to last about {@link #SAMPLE_NANOS}, so clock granularity does not matter.
 *
 * <p>Timing goes on past the budget, up to {@link #MAX_EXTENSION} times it, while the figures are not settled: a
 * candidate still gets markedly faster from round to round, or the JIT finished a compilation less than
 * {@link #JIT_QUIET_NANOS} ago. The real shape takes branches the warm-up's tiny layers never took; the compiled
 * code then traps back to the interpreter and is compiled again, and a candidate timed before that ends looks
 * 3-60× slower than it is (measured: a sparse 1×1 convolution at 150-280 µs in a 50 ms budget, 57 µs in 1 s;
 * the dense one at 13.7 ms instead of 0.2).
 */
final class InterleavedTimer implements CandidateTimer {
    static final long SAMPLE_NANOS = 20_000;
    private static final int MAX_REPEATS = 4096;
    static final int MAX_EXTENSION = 16;
    /** No compilation finished for this long: the code being timed is what will run. */
    static final long JIT_QUIET_NANOS = 100_000_000;
    /** A round whose best sample beats the previous best by more than this factor means "not settled yet". */
    private static final double SETTLED = 0.9;
    private final LongSupplier clock;
    private final LongSupplier jitWork;

    /**
     * @param jitWork a figure that changes whenever the JIT finishes a compilation (total compilation time);
     *                constant where that is not known
     */
    InterleavedTimer(LongSupplier clock, LongSupplier jitWork) {
        this.clock = clock;
        this.jitWork = jitWork;
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
        long jit = jitWork.getAsLong();
        long lastCompile = start - JIT_QUIET_NANOS; // quiet unless a compilation ends from here on
        for (int i = 0; i < n; i++) {
            first[i] = sample(runs.get(i), 1);
            repeats[i] = repeatsFor(first[i]);
        }
        boolean measured = false;
        boolean improving = false;
        while (true) {
            long now = clock.getAsLong();
            long j = jitWork.getAsLong();
            if (j != jit) {
                jit = j;
                lastCompile = now;
            }
            long elapsed = now - start;
            boolean settled = !improving && now - lastCompile >= JIT_QUIET_NANOS;
            if (elapsed >= MAX_EXTENSION * budgetNanos || elapsed >= budgetNanos && settled) {
                break;
            }
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
