package dev.sparq.plan;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Places buffers with known lifetimes in one slab so that buffers alive at the same time never overlap: greedy,
 * largest first, each at the lowest offset that fits (the usual best-fit heuristic of inference memory planners;
 * typically within a few percent of the lower bound, the most bytes alive at any one step).
 */
public final class IntervalPacker {
    /** A buffer of {@code bytes} alive from step {@code first} through step {@code last}, inclusive. */
    public record Buffer(long bytes, int first, int last) {
    }

    /** Offsets, in the order buffers were given, and the slab size. */
    public record Layout(long[] offsets, long slabBytes, long lowerBound) {
    }

    private static final long ALIGN = 64;

    private IntervalPacker() {
    }

    public static Layout pack(List<Buffer> buffers) {
        int n = buffers.size();
        long[] offsets = new long[n];
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            order.add(i);
        }
        order.sort(Comparator.<Integer>comparingLong(i -> -aligned(buffers.get(i).bytes())).thenComparingInt(i -> i));
        List<Integer> placed = new ArrayList<>();
        long slab = 0;
        for (int i : order) {
            Buffer b = buffers.get(i);
            long size = aligned(b.bytes());
            List<long[]> busy = new ArrayList<>();
            for (int j : placed) {
                Buffer o = buffers.get(j);
                if (o.first() <= b.last() && b.first() <= o.last()) {
                    busy.add(new long[] {offsets[j], offsets[j] + aligned(o.bytes())});
                }
            }
            busy.sort(Comparator.comparingLong(r -> r[0]));
            long at = 0;
            for (long[] r : busy) {
                if (at + size <= r[0]) {
                    break;
                }
                at = Math.max(at, r[1]);
            }
            offsets[i] = at;
            placed.add(i);
            slab = Math.max(slab, at + size);
        }
        return new Layout(offsets, slab, lowerBound(buffers));
    }

    /** The most bytes alive at any one step: no placement can use less. */
    public static long lowerBound(List<Buffer> buffers) {
        int steps = buffers.stream().mapToInt(Buffer::last).max().orElse(-1) + 1;
        long[] live = new long[Math.max(steps, 0) + 1];
        for (Buffer b : buffers) {
            for (int s = b.first(); s <= b.last(); s++) {
                live[s] += aligned(b.bytes());
            }
        }
        long max = 0;
        for (long l : live) {
            max = Math.max(max, l);
        }
        return max;
    }

    static long aligned(long bytes) {
        return (Math.max(bytes, 1) + ALIGN - 1) / ALIGN * ALIGN;
    }
}
