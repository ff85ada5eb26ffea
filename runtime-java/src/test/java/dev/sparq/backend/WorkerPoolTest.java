package dev.sparq.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparq.SessionOptions;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.junit.jupiter.api.Test;

/**
 * The pool's hand-off: every task runs once, failures reach the caller, workers spin as long as asked, and the
 * round-trip probes say far apart only after a full window of slow ones.
 */
class WorkerPoolTest {
    @Test
    void everyTaskRunsOnceAndAFailureReachesTheCaller() {
        try (WorkerPool pool = new WorkerPool(3)) {
            int[] hits = new int[1000];
            pool.parallelFor(hits.length, i -> hits[i]++);
            int[] once = new int[hits.length];
            java.util.Arrays.fill(once, 1);
            assertArrayEquals(once, hits);
            IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> pool.parallelFor(4, i -> {
                    if (i == 2) {
                        throw new IllegalStateException("task 2");
                    }
                }));
            assertEquals("task 2", e.getMessage());
        }
    }

    @Test
    void spinningWorkersAreProbedAndFarApartTakesAFullWindowOfSlowProbes() {
        try (WorkerPool pool = new WorkerPool(2)) {
            // back-to-back jobs keep the worker spinning, so probes are taken (a round trip is never 0 ns); a probe
            // whose worker is off its core (the JIT compiling on both cores) times out, so allow some seconds
            long until = System.nanoTime() + 10_000_000_000L;
            while (pool.lastRoundTripNanos() == 0 && System.nanoTime() < until) {
                pool.parallelFor(2, t -> Thread.onSpinWait());
            }
            assertTrue(pool.lastRoundTripNanos() > 0, "no probe taken in 10 s of back-to-back jobs");
            // the decision alone, from a window of fast probes (the real ones above may have been either)
            for (int i = 0; i < WorkerPool.PROBE_WINDOW; i++) {
                pool.record(WorkerPool.FAR_NANOS - 1);
            }
            assertFalse(pool.farApart());
            for (int i = 0; i < WorkerPool.PROBE_WINDOW - 1; i++) {
                pool.record(WorkerPool.FAR_NANOS);
                assertFalse(pool.farApart(), "far after " + (i + 1) + " slow probes");
            }
            pool.record(WorkerPool.FAR_NANOS + 1);
            assertTrue(pool.farApart());
            pool.record(WorkerPool.FAR_NANOS - 1); // one fast probe: near again
            assertFalse(pool.farApart());
        }
        try (WorkerPool alone = new WorkerPool(1)) {
            alone.parallelFor(4 * WorkerPool.PROBE_EVERY, t -> { });
            assertEquals(0, alone.lastRoundTripNanos());
            assertFalse(alone.farApart());
        }
    }

    @Test
    void workersSpinAsLongAsAskedThenPark() throws InterruptedException {
        // a worker that spins stays RUNNABLE between jobs; one told not to spin parks (TIMED_WAITING), waking each
        // millisecond to look again, so it is seen parked at least once in 20 looks
        java.util.List<Thread.State> spinning = workerStatesAfterAPause(Duration.ofSeconds(30));
        assertTrue(spinning.stream().allMatch(st -> st == Thread.State.RUNNABLE), spinning.toString());
        // longer than nanoseconds can count: forever, not an overflow into parking at once
        java.util.List<Thread.State> forever = workerStatesAfterAPause(ChronoUnit.FOREVER.getDuration());
        assertTrue(forever.stream().allMatch(st -> st == Thread.State.RUNNABLE), forever.toString());
        java.util.List<Thread.State> parking = workerStatesAfterAPause(Duration.ZERO);
        assertTrue(parking.contains(Thread.State.TIMED_WAITING), parking.toString());
    }

    /** The states of the pool's worker in 20 looks 5 ms apart, from 100 ms after its last job. */
    private static java.util.List<Thread.State> workerStatesAfterAPause(Duration spin) throws InterruptedException {
        try (WorkerPool pool = new WorkerPool(2, spin)) {
            assertEquals(spin, pool.spin());
            Thread caller = Thread.currentThread();
            AtomicReference<Thread> worker = new AtomicReference<>();
            // until the worker takes one of the tasks (the caller may take both when the worker is slow to start)
            for (int attempt = 0; attempt < 1000 && worker.get() == null; attempt++) {
                AtomicReferenceArray<Thread> ran = new AtomicReferenceArray<>(2);
                pool.parallelFor(2, i -> {
                    ran.set(i, Thread.currentThread());
                    if (i == 0) {
                        long until = System.nanoTime() + 1_000_000;
                        while (System.nanoTime() < until) {
                            Thread.onSpinWait(); // leaves the worker time to take task 1
                        }
                    }
                });
                for (int i = 0; i < 2; i++) {
                    if (ran.get(i) != caller) {
                        worker.set(ran.get(i));
                    }
                }
            }
            assertTrue(worker.get() != null, "the worker never took a task");
            Thread.sleep(100);
            java.util.List<Thread.State> states = new java.util.ArrayList<>();
            for (int i = 0; i < 20; i++) {
                states.add(worker.get().getState());
                Thread.sleep(5);
            }
            return states;
        }
    }

    @Test
    void sessionOptionsCarryTheSpinAndRefuseANegativeOne() {
        assertEquals(WorkerPool.DEFAULT_SPIN, SessionOptions.defaults().workerSpin());
        assertEquals(Duration.ofMillis(50),
            SessionOptions.builder().workerSpin(Duration.ofMillis(50)).build().workerSpin());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> SessionOptions.builder().workerSpin(Duration.ofMillis(-1)));
        assertTrue(e.getMessage().contains("worker spin"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> SessionOptions.builder().workerSpin(null));
    }
}
