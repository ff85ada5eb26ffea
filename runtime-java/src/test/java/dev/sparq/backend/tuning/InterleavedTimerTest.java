package dev.sparq.backend.tuning;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The timer on a fake clock that each candidate's run advances by its own cost. */
class InterleavedTimerTest {
    private long now;

    private Runnable costing(long nanos, List<String> log, String name) {
        return () -> {
            now += nanos;
            log.add(name);
        };
    }

    @Test
    void measuresEachCandidateAndStopsAtTheBudget() {
        List<String> log = new ArrayList<>();
        InterleavedTimer timer = new InterleavedTimer(() -> now, () -> 0);
        double[] t = timer.time(List.of("a", "b", "c"), List.of(costing(1000, log, "a"), costing(50_000, log, "b"),
            costing(300, log, "c")), 2_000_000);
        assertArrayEquals(new double[] {1000, 50_000, 300}, t, 1e-9);
        assertTrue(now >= 2_000_000 && now < 2_000_000 + 3 * InterleavedTimer.SAMPLE_NANOS + 50_000,
            "spent " + now + " ns of a 2 ms budget");
        assertEquals(List.of("a", "b", "c"), log.subList(0, 3), "a warm-up round first, in order");
        // fast candidates repeat within a sample; every round still visits all three
        assertTrue(log.stream().filter("b"::equals).count() >= 2);
        assertTrue(log.stream().filter("c"::equals).count() > 60 * log.stream().filter("b"::equals).count() / 2);
    }

    @Test
    void aZeroBudgetReportsTheWarmUpRound() {
        List<String> log = new ArrayList<>();
        double[] t = new InterleavedTimer(() -> now, () -> 0).time(List.of("a", "b"),
            List.of(costing(7, log, "a"), costing(9, log, "b")), 0);
        assertArrayEquals(new double[] {7, 9}, t, 1e-9);
        assertEquals(List.of("a", "b"), log);
    }

    @Test
    void aCandidateStillGettingFasterExtendsTheTiming() {
        // like code the JIT is still compiling: each run 20% faster than the one before, down to 30 us
        double[] cost = {400_000};
        Runnable warming = () -> {
            now += (long) cost[0];
            cost[0] = Math.max(30_000, cost[0] * 0.8);
        };
        long budget = 1_000_000;
        double[] t = new InterleavedTimer(() -> now, () -> 0).time(List.of("x"), List.of(warming), budget);
        assertEquals(30_000, t[0], 1e-9, "timed until it settled");
        assertTrue(now > budget && now < InterleavedTimer.MAX_EXTENSION * budget + 400_000, "spent " + now);
    }

    @Test
    void theFastestSampleWins() {
        // runs longer than a sample, so each sample is one run: the warm-up (50 us) does not count, the best does
        long[] costs = {50_000, 30_000, 40_000, 35_000};
        int[] call = {0};
        Runnable noisy = () -> now += costs[Math.min(call[0]++, costs.length - 1)];
        double[] t = new InterleavedTimer(() -> now, () -> 0).time(List.of("x"), List.of(noisy), 200_000);
        assertEquals(30_000, t[0], 1e-9);
        assertEquals(6, call[0], "runs until the budget is spent");
    }

    @Test
    void timingWaitsUntilTheJitHasBeenQuietForAWhile() {
        // the JIT recompiles the candidate for the real shape: it finishes compilations until 300 ms, and the
        // candidate runs 1 ms until then, 0.2 ms after (no round-to-round speed-up to see before that)
        long compiledUntil = 300_000_000;
        Runnable recompiled = () -> now += now < compiledUntil ? 1_000_000 : 200_000;
        long budget = 50_000_000;
        double[] t = new InterleavedTimer(() -> now, () -> Math.min(now, compiledUntil) / 1_000_000)
            .time(List.of("x"), List.of(recompiled), budget);
        assertEquals(200_000, t[0], 1e-9, "timed after the recompilation");
        assertTrue(now >= compiledUntil + InterleavedTimer.JIT_QUIET_NANOS
            && now < compiledUntil + InterleavedTimer.JIT_QUIET_NANOS + 2_000_000, "spent " + now);
    }

    @Test
    void aJitThatNeverSettlesStopsAtTheExtensionCap() {
        List<String> log = new ArrayList<>();
        long budget = 1_000_000;
        double[] t = new InterleavedTimer(() -> now, () -> now).time(List.of("a"),
            List.of(costing(50_000, log, "a")), budget);
        assertEquals(50_000, t[0], 1e-9);
        assertTrue(now >= InterleavedTimer.MAX_EXTENSION * budget
            && now < InterleavedTimer.MAX_EXTENSION * budget + 100_000, "spent " + now);
    }

    @Test
    void aQuietJitDoesNotExtendTheBudget() {
        List<String> log = new ArrayList<>();
        new InterleavedTimer(() -> now, () -> 42).time(List.of("a"), List.of(costing(50_000, log, "a")), 1_000_000);
        assertTrue(now >= 1_000_000 && now < 1_100_000, "spent " + now);
    }
}
