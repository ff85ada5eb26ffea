package dev.sparq.backend.tuning;

import java.util.List;

/**
 * Measures candidates against each other. The real one runs them on the machine ({@link #wallClock()}); tests
 * inject fixed figures so choices are deterministic.
 */
@FunctionalInterface
public interface CandidateTimer {
    /**
     * Nanoseconds per run of each candidate (same order as {@code runs}), spending about {@code budgetNanos} in
     * all. A run that throws propagates.
     */
    double[] time(List<String> names, List<Runnable> runs, long budgetNanos);

    /** Interleaved rounds on {@link System#nanoTime()}. */
    static CandidateTimer wallClock() {
        return new InterleavedTimer(System::nanoTime);
    }
}
