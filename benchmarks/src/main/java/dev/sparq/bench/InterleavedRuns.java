package dev.sparq.bench;

import dev.sparq.Session;
import dev.sparq.tensor.Tensor;
import java.util.Arrays;
import java.util.Map;

/** Two sessions run on one input in alternating blocks of 20, so machine noise hits both alike. */
final class InterleavedRuns {
    private static final int BLOCK = 20;

    private InterleavedRuns() {
    }

    /** {@code runs / 4} warm-up runs each, then {@code runs} timed runs each: the two medians, in ns. */
    static long[] medians(Session a, Session b, Map<String, Tensor> feed, int runs) {
        for (int i = 0; i < runs / 4; i++) {
            a.run(feed).close();
            b.run(feed).close();
        }
        long[] ta = new long[runs];
        long[] tb = new long[runs];
        for (int k = 0; k < runs; k += BLOCK) {
            time(a, feed, ta, k, Math.min(runs, k + BLOCK));
            time(b, feed, tb, k, Math.min(runs, k + BLOCK));
        }
        Arrays.sort(ta);
        Arrays.sort(tb);
        return new long[] {ta[runs / 2], tb[runs / 2]};
    }

    private static void time(Session s, Map<String, Tensor> feed, long[] into, int from, int to) {
        for (int i = from; i < to; i++) {
            long t0 = System.nanoTime();
            s.run(feed).close();
            into[i] = System.nanoTime() - t0;
        }
    }
}
