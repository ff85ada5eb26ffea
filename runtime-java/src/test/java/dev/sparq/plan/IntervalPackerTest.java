package dev.sparq.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The activation slab layout: never two live buffers in the same bytes, and as small as the heuristics get it. */
class IntervalPackerTest {
    @Test
    void aCaseLargestFirstAloneLeavesAboveTheLowerBoundPacksTight() {
        // largest first puts the two 256-byte buffers low and leaves the 192-byte one above them: 640 bytes; packed
        // by first use, the 576 of the busiest steps suffice
        List<IntervalPacker.Buffer> b = List.of(new IntervalPacker.Buffer(192, 2, 3), new IntervalPacker.Buffer(256, 1, 1),
            new IntervalPacker.Buffer(256, 1, 2), new IntervalPacker.Buffer(128, 2, 4), new IntervalPacker.Buffer(64, 3, 5));
        IntervalPacker.Layout l = IntervalPacker.pack(b);
        assertEquals(576, l.lowerBound());
        assertEquals(576, l.slabBytes());
        assertNoOverlap(b, l);
    }

    @Test
    void randomLifetimesNeverShareBytesAndStayAboveTheBound() {
        Random r = new Random(20);
        for (int trial = 0; trial < 300; trial++) {
            List<IntervalPacker.Buffer> b = new ArrayList<>();
            for (int i = 0, n = 1 + r.nextInt(40); i < n; i++) {
                int first = r.nextInt(30);
                b.add(new IntervalPacker.Buffer(1 + r.nextInt(5000), first, first + r.nextInt(6)));
            }
            IntervalPacker.Layout l = IntervalPacker.pack(b);
            assertNoOverlap(b, l);
            assertTrue(l.slabBytes() >= l.lowerBound());
            assertEquals(IntervalPacker.lowerBound(b), l.lowerBound());
        }
    }

    private static void assertNoOverlap(List<IntervalPacker.Buffer> b, IntervalPacker.Layout l) {
        for (int i = 0; i < b.size(); i++) {
            long ei = l.offsets()[i] + IntervalPacker.aligned(b.get(i).bytes());
            assertTrue(ei <= l.slabBytes());
            for (int j = i + 1; j < b.size(); j++) {
                boolean together = b.get(i).first() <= b.get(j).last() && b.get(j).first() <= b.get(i).last();
                long ej = l.offsets()[j] + IntervalPacker.aligned(b.get(j).bytes());
                boolean apart = ei <= l.offsets()[j] || ej <= l.offsets()[i];
                assertTrue(!together || apart, "buffers " + i + " and " + j + " overlap");
            }
        }
    }
}
