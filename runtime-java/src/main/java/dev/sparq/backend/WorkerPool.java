package dev.sparq.backend;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

/**
 * A fixed set of worker threads for intra-op parallelism with microsecond hand-off: a layer of a small network
 * lasts tens of microseconds, so an ExecutorService's queueing would cost more than it saves. The calling thread
 * takes part; workers spin briefly for the next job, then park. One job at a time (calls are serialized).
 *
 * <p>Every {@value #PROBE_EVERY}th job, if no worker is parked, also times how long a worker takes to see it
 * (published to first task taken: a cache line's round trip between the cores, plus the job's own lines).
 * {@link #farApart()} says whether the last {@value #PROBE_WINDOW} such probes all took {@value #FAR_NANOS} ns or
 * more. Cores that far apart (two CCDs or sockets, or a VM placing its vCPUs so) make every cache line the threads
 * hand each other costly, and kernels may then split their work so that less crosses. On this project's 2-vCPU VM
 * the probe reads 100-230 ns (p50 ~190) with the vCPUs near and 360-1960 (p50 ~650) with them far apart, where a
 * plain round trip is 45-60 against 320-450 ns (RESULTS, stop 30).
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

    /** Jobs between two round-trip probes. */
    static final int PROBE_EVERY = 16;
    /** Probes that must all be slow for {@link #farApart()}: one fast one says the cores are near. */
    static final int PROBE_WINDOW = 8;
    /** A round trip from which cores count as far apart. */
    static final long FAR_NANOS = 300;
    /** How long a probe waits for a spinning worker before it gives up (the worker was descheduled). */
    private static final long PROBE_TIMEOUT_NANOS = 20_000;

    private final Thread[] workers;
    /** Per worker: whether it is parked now (else it is working or spinning for the next job). */
    private final AtomicIntegerArray parked;
    private final Duration spin;
    private final long spinNanos;
    private volatile Job current;
    private volatile boolean closed;
    private long jobs;
    private final long[] probes = new long[PROBE_WINDOW];
    private int nextProbe;
    private int probesTaken;
    private volatile long lastRoundTrip;
    private volatile boolean far;

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
        parked = new AtomicIntegerArray(workers.length);
        for (int i = 0; i < workers.length; i++) {
            int index = i;
            workers[i] = Thread.ofPlatform().daemon().name("sparq-worker-" + i).unstarted(() -> workLoop(index));
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

    /**
     * Whether the pool's threads run on cores far apart, by the last {@value #PROBE_WINDOW} round-trip probes (all
     * at least {@value #FAR_NANOS} ns); false until that many were taken, and always with one thread.
     */
    public boolean farApart() {
        return far;
    }

    /** The last probe's round trip in nanoseconds (0 before the first): for reports and tests. */
    public long lastRoundTripNanos() {
        return lastRoundTrip;
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
        boolean probe = ++jobs % PROBE_EVERY == 0 && noneParked();
        long published = probe ? System.nanoTime() : 0;
        current = job;
        if (probe) {
            // the caller takes no task until a worker has taken one: that wait is the round trip
            while (job.next.get() == 0 && System.nanoTime() - published < PROBE_TIMEOUT_NANOS) {
                Thread.onSpinWait();
            }
            long roundTrip = System.nanoTime() - published;
            if (job.next.get() > 0 && roundTrip < PROBE_TIMEOUT_NANOS) {
                record(roundTrip);
            }
        }
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

    private boolean noneParked() {
        for (int i = 0; i < parked.length(); i++) {
            if (parked.get(i) != 0) {
                return false;
            }
        }
        return true;
    }

    /** Takes one probe's round trip; package-private for tests. */
    void record(long roundTrip) {
        lastRoundTrip = roundTrip;
        probes[nextProbe] = roundTrip;
        nextProbe = (nextProbe + 1) % PROBE_WINDOW;
        probesTaken = Math.min(probesTaken + 1, PROBE_WINDOW);
        boolean allFar = probesTaken == PROBE_WINDOW;
        for (int i = 0; allFar && i < PROBE_WINDOW; i++) {
            allFar = probes[i] >= FAR_NANOS;
        }
        far = allFar;
    }

    private void workLoop(int index) {
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
                    parked.set(index, 1);
                    LockSupport.parkNanos(this, 1_000_000);
                    parked.set(index, 0);
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
