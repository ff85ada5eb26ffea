package dev.sparq.backend.cpu.simd;

import static dev.sparq.testing.KernelHarness.ints;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.sparq.backend.ExecutionContext;
import dev.sparq.backend.WeightPrefetch;
import dev.sparq.backend.WorkerPool;
import dev.sparq.backend.geometry.ConvAttributes;
import dev.sparq.graph.Node;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import dev.sparq.testing.KernelHarness;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Pixel rows asking for their next weight panel while they compute: which bytes they ask for, and the same results. */
class WeightReadAheadTest {
    private final Random rnd = new Random(5);

    /** Records every range asked for, and checks it lies in the segment as the native one does. */
    private static final class Recording implements WeightPrefetch {
        /** {offset, end} in bytes. */
        final List<long[]> ranges = Collections.synchronizedList(new ArrayList<>());
        MemorySegment seen;

        @Override
        public boolean available() {
            return true;
        }

        @Override
        public void prefetch(MemorySegment weights, long offset, long bytes) {
            if (offset < 0 || bytes <= 0 || offset + bytes > weights.byteSize()) {
                throw new AssertionError("asked for " + bytes + " bytes at " + offset + " of " + weights.byteSize());
            }
            seen = weights;
            ranges.add(new long[] {offset, offset + bytes});
        }
    }

    private Tensor random(long... shape) {
        Tensor t = Tensor.allocate(DType.F32, shape);
        for (long i = 0; i < t.size(); i++) {
            t.setFloat(i, rnd.nextFloat() - 0.5f);
        }
        return t;
    }

    /**
     * Channels of five and a part panel (so the threads' shares differ), 7×7 and 14×14 outputs, stride 1 and 2, at 1
     * and 2 threads: the same bits as reading each panel whole before it, and every panel after a thread's first
     * asked for exactly once, in order, in pieces that follow each other.
     */
    @Test
    void pixelRowsAskForEachNextPanelOnceAndGiveTheSameBits() {
        // {cin, side, cout, stride}
        // (the last: threads split the output rows, so each asks for every panel after the first)
        int[][] cases = {{24, 7, 5 * 32 + 9, 1}, {40, 14, 3 * 32, 2}, {16, 7, 32, 1}, {64, 28, 2 * 32, 1}};
        WorkerPool pool = new WorkerPool(2);
        try {
            for (int[] c : cases) {
                int side = c[3] == 1 ? c[1] : 2 * c[1];
                Node conv = KernelHarness.node("Conv", 3, 1, ints("pads", 1, 1, 1, 1), ints("strides", c[3], c[3]));
                try (Tensor x = random(1, c[0], side, side); Tensor w = random(c[2], c[0], 3, 3);
                     Tensor b = random(c[2])) {
                    ConvAttributes attrs = ConvAttributes.of(conv, w);
                    PixelRowConv whole = new PixelRowConv(attrs, w.toFloatArray(), b.toFloatArray(), Activation.NONE,
                        c[0], null);
                    for (int threads = 1; threads <= 2; threads++) {
                        Recording rec = new Recording();
                        PixelRowConv ahead = new PixelRowConv(attrs, w.toFloatArray(), b.toFloatArray(),
                            Activation.NONE, c[0], rec);
                        ExecutionContext ctx = threads == 1 ? ExecutionContext.standalone()
                            : ExecutionContext.standalone(2, pool);
                        try (Tensor want = whole.run(new Tensor[] {x}, ctx)[0];
                             Tensor got = ahead.run(new Tensor[] {x}, ctx)[0]) {
                            String what = java.util.Arrays.toString(c) + " at " + threads + " thread(s)";
                            assertArrayEquals(want.toFloatArray(), got.toFloatArray(), what);
                            // as PixelRowConv decides: threads split the rows where the weights are the smaller
                            boolean byRows = ahead.weights.packed().length < c[0] * side * side;
                            checkPanels(ahead, rec, byRows ? 1 : threads, byRows ? threads : 1, what);
                        }
                    }
                }
            }
        } finally {
            pool.close();
        }
    }

    /**
     * Each share's panels after its first asked for whole, exactly once per thread that computes them, and nothing
     * else: {@code shares} threads split the panels; with {@code copies} threads splitting the rows instead, each asks
     * for every panel after the first. Counted float by float (the pool may run both shares on one thread).
     */
    private static void checkPanels(PixelRowConv k, Recording rec, int shares, int copies, String what) {
        ChannelPanels panels = k.weights;
        int n = panels.panels();
        int[] want = new int[panels.packed().length];
        for (int t = 0; t < shares; t++) {
            for (int p = n * t / shares + 1; p < n * (t + 1) / shares; p++) {
                java.util.Arrays.fill(want, panels.offset(p), panels.offset(p + 1), copies);
            }
        }
        int[] got = new int[want.length];
        for (long[] r : rec.ranges) {
            assertEquals(0, r[0] % Float.BYTES, what);
            assertEquals(0, r[1] % Float.BYTES, what);
            for (long i = r[0] / Float.BYTES; i < r[1] / Float.BYTES; i++) {
                got[(int) i]++;
            }
        }
        assertArrayEquals(want, got, what + ": floats asked for");
        if (!rec.ranges.isEmpty()) {
            assertSame(panels.packed(), rec.seen.heapBase().orElseThrow(), what + ": the packed weights themselves");
        }
    }

    @Test
    void offTurnsItOffAndAnUnknownSettingMeansAuto() {
        assertNull(WeightReadAhead.decide("off"));
        assertSame(WeightPrefetch.find() == null ? null : WeightPrefetch.find().getClass(),
            WeightReadAhead.decide("auto") == null ? null : WeightReadAhead.decide("auto").getClass());
        assertSame(WeightReadAhead.decide("auto") == null ? null : WeightReadAhead.decide("auto").getClass(),
            WeightReadAhead.decide("sometimes") == null ? null : WeightReadAhead.decide("sometimes").getClass());
    }
}
