package dev.sparq.backend.tuning;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
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

    /**
     * Whether the figures come from running the candidates on this machine, so their code must be warmed up by
     * the JIT first ({@link TuningRequest#warmup()}); false for injected figures.
     */
    default boolean runsCandidates() {
        return false;
    }

    /** Interleaved rounds on {@link System#nanoTime()}, watching the JIT's total compilation time. */
    static CandidateTimer wallClock() {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        boolean known = jit != null && jit.isCompilationTimeMonitoringSupported();
        return new InterleavedTimer(System::nanoTime, known ? jit::getTotalCompilationTime : () -> 0);
    }
}
