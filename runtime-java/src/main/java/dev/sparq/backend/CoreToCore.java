package dev.sparq.backend;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The round trip of one cache line between two threads (each waits for the other's write, then writes): how far
 * apart the cores running them are, which decides what intra-op parallelism costs. On the 2-vCPU VM this project is
 * measured on it is ~50 ns most of the time and ~400 ns in stretches when the hypervisor has placed the vCPUs apart;
 * there every cache line the threads pass between them costs 2.5-6 times as much, and 2-thread runs slow down by
 * up to a third (benchmarks/RESULTS.md, stop 27). {@code sparq bench} and the model benchmark report it beside
 * multi-thread figures.
 */
public final class CoreToCore {
    /** How long each measurement runs at least: ~10^5 round trips where the threads run side by side. */
    private static final long MEASUREMENT_NANOS = 20_000_000;
    private static final int MEASUREMENTS = 7;
    private static final long STOP = -1;

    private CoreToCore() {
    }

    /**
     * The shortest of {@value #MEASUREMENTS} measurements of the round trip between the calling thread and a new
     * one, in nanoseconds; each measurement lasts ~20 ms. The threads are not pinned, and a measurement where the
     * scheduler moved one of them or ran something else beside them only reads longer (checked against a C
     * ping-pong pinned to the two vCPUs). On a single core the two threads can only take turns, a time slice each,
     * and it reads milliseconds.
     */
    public static double roundTripNanos() throws InterruptedException {
        double best = Double.MAX_VALUE;
        for (int m = 0; m < MEASUREMENTS; m++) {
            best = Math.min(best, measure());
        }
        return best;
    }

    private static double measure() throws InterruptedException {
        AtomicLong line = new AtomicLong();
        Thread other = Thread.ofPlatform().daemon().name("sparq-core-to-core").start(() -> {
            long expect = 1;
            for (long v; (v = line.get()) != STOP; ) {
                if (v == expect) {
                    line.set(expect + 1);
                    expect += 2;
                } else {
                    Thread.onSpinWait();
                }
            }
        });
        long start = System.nanoTime();
        long trips = 0;
        long elapsed;
        do {
            // the clock is read every 16 round trips, which adds ~1 ns to each
            for (int k = 0; k < 16; k++, trips++) {
                line.set(2 * trips + 1);
                while (line.get() != 2 * trips + 2) {
                    Thread.onSpinWait();
                }
            }
            elapsed = System.nanoTime() - start;
        } while (elapsed < MEASUREMENT_NANOS);
        line.set(STOP);
        other.join();
        return (double) elapsed / trips;
    }
}
