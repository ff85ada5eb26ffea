package dev.sparq.bench;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The round trip of one cache line between two threads (each waits for the other's write, then writes): how far
 * apart the cores running them are. On the 2-vCPU VM this project is measured on it is ~90 ns most of the time and
 * ~400 ns in stretches when the hypervisor has placed the vCPUs apart; there every write to a line the other core
 * has read runs at 6-7 GB/s instead of ~36, and sparq's 2-thread runs slow down far more than ONNX Runtime's
 * (benchmarks/RESULTS.md, stop 27). A 2-thread figure means little without it.
 */
final class CoreToCore {
    private static final int ROUND_TRIPS = 50_000;

    private CoreToCore() {
    }

    /**
     * The shortest of 7 measurements of the round trip between this thread and a new one, in nanoseconds: the
     * threads are not pinned, and a measurement where the scheduler moved one of them or ran something else beside
     * them only reads longer (measured against a C ping-pong pinned to the two vCPUs).
     */
    static double roundTripNanos() throws InterruptedException {
        double best = Double.MAX_VALUE;
        for (int m = 0; m < 7; m++) {
            best = Math.min(best, measure());
        }
        return best;
    }

    private static double measure() throws InterruptedException {
        AtomicLong line = new AtomicLong();
        Thread other = Thread.ofPlatform().daemon().start(() -> {
            for (long i = 0; i < ROUND_TRIPS; i++) {
                while (line.get() != 2 * i + 1) {
                    Thread.onSpinWait();
                }
                line.set(2 * i + 2);
            }
        });
        long start = System.nanoTime();
        for (long i = 0; i < ROUND_TRIPS; i++) {
            line.set(2 * i + 1);
            while (line.get() != 2 * i + 2) {
                Thread.onSpinWait();
            }
        }
        long elapsed = System.nanoTime() - start;
        other.join();
        return (double) elapsed / ROUND_TRIPS;
    }

    public static void main(String[] args) throws InterruptedException {
        for (int i = 0; i < (args.length > 0 ? Integer.parseInt(args[0]) : 1); i++) {
            System.out.printf(java.util.Locale.ROOT, "core-to-core round trip %.0f ns%n", roundTripNanos());
        }
    }
}
