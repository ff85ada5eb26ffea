package dev.sparq.backend;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

/**
 * A fixed set of worker threads for intra-op parallelism with microsecond hand-off: a layer of a small network
 * lasts tens of microseconds, so an ExecutorService's queueing would cost more than it saves. The calling thread
 * takes part; workers spin briefly for the next job, then park. One job at a time (calls are serialized).
 */
public final class WorkerPool implements AutoCloseable {
    /** How long workers spin for the next job by default: longer than a layer, so they stay hot through a run. */
    public static final Duration DEFAULT_SPIN = Duration.ofMillis(2);

    /** One parallelFor call. Its counters are its own, so a late worker can never take a task of the next job. */
    private static final class Job {
        final IntConsumer body;
        final int count;
        final AtomicInteger next = new AtomicInteger();
        final AtomicInteger done = new AtomicInteger();
        volatile Throwable failure;

        Job(IntConsumer body, int count) {
            this.body = body;
            this.count = count;
        }

        void work() {
            int i;
            while ((i = next.getAndIncrement()) < count) {
                try {
                    body.accept(i);
                } catch (Throwable t) {
                    failure = t;
                } finally {
                    done.incrementAndGet();
                }
            }
        }
    }

    private final Thread[] workers;
    private final Duration spin;
    private final long spinNanos;
    private volatile Job current;
    private volatile boolean closed;

    /** A pool where {@code threads} threads in all (the caller included) work on each job; workers spin 2 ms. */
    public WorkerPool(int threads) {
        this(threads, DEFAULT_SPIN);
    }

    /** The same with workers that spin for {@code spin} after each job before they park. */
    public WorkerPool(int threads, Duration spin) {
        this.spin = spin;
        // saturated: a spin longer than ~292 years is forever
        spinNanos = spin.compareTo(Duration.ofNanos(Long.MAX_VALUE)) >= 0 ? Long.MAX_VALUE : spin.toNanos();
        workers = new Thread[Math.max(0, threads - 1)];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = Thread.ofPlatform().daemon().name("sparq-worker-" + i).unstarted(this::workLoop);
            workers[i].start();
        }
    }

    public int threads() {
        return workers.length + 1;
    }

    /** How long workers spin for the next job before they park. */
    public Duration spin() {
        return spin;
    }

    /** Whether every worker may read {@code segment} (false for memory of a confined arena of another thread). */
    public boolean readableByWorkers(java.lang.foreign.MemorySegment segment) {
        for (Thread w : workers) {
            if (!segment.isAccessibleBy(w)) {
                return false;
            }
        }
        return true;
    }

    public synchronized void parallelFor(int count, IntConsumer body) {
        if (closed) {
            throw new IllegalStateException("worker pool is closed");
        }
        if (count <= 1 || workers.length == 0) {
            for (int i = 0; i < count; i++) {
                body.accept(i);
            }
            return;
        }
        Job job = new Job(body, count);
        current = job;
        for (Thread w : workers) {
            LockSupport.unpark(w);
        }
        job.work();
        while (job.done.get() < count) {
            Thread.onSpinWait();
        }
        current = null;
        Throwable f = job.failure;
        if (f instanceof RuntimeException re) {
            throw re;
        } else if (f instanceof Error e) {
            throw e;
        } else if (f != null) {
            throw new IllegalStateException(f);
        }
    }

    private void workLoop() {
        Job last = null;
        while (!closed) {
            long spinFrom = System.nanoTime();
            Job job;
            while ((job = current) == null || job == last) {
                if (closed) {
                    return;
                }
                if (System.nanoTime() - spinFrom < spinNanos) { // no overflow, whatever the spin
                    Thread.onSpinWait();
                } else {
                    LockSupport.parkNanos(this, 1_000_000);
                }
            }
            last = job;
            job.work();
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Thread w : workers) {
            LockSupport.unpark(w);
        }
    }
}
