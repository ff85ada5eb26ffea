package dev.sparq.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparq.SessionOptions;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.junit.jupiter.api.Test;

/** The pool's hand-off: every task runs once, failures reach the caller, and workers spin as long as asked. */
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
    void workersSpinAsLongAsAskedThenPark() throws InterruptedException {
        // a worker that spins stays RUNNABLE between jobs; one told not to spin parks (TIMED_WAITING) at once
        assertEquals(Thread.State.RUNNABLE, workerStateAfterAPause(Duration.ofSeconds(30)));
        assertEquals(Thread.State.TIMED_WAITING, workerStateAfterAPause(Duration.ZERO));
    }

    /** The state of the pool's worker 200 ms after its only job. */
    private static Thread.State workerStateAfterAPause(Duration spin) throws InterruptedException {
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
            Thread.sleep(200);
            return worker.get().getState();
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
