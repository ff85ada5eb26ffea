package dev.sparq.backend.cpu.simd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RowPanelsTest {

    private static List<Integer> sizes(RowPanels split) {
        List<Integer> sizes = new ArrayList<>();
        for (int p = 0; p < split.count(); p++) {
            sizes.add(split.size(p));
        }
        return sizes;
    }

    @Test
    void widePanelsTileTheRowsWithoutGapsOrTail() {
        for (int rows = 0; rows <= 800; rows++) {
            RowPanels split = RowPanels.wide(rows);
            boolean possible = false;
            for (int count = 1; count * 12 <= rows; count++) {
                possible |= rows <= count * 14;
            }
            if (!possible) {
                assertNull(split, "rows " + rows);
                continue;
            }
            assertNotNull(split, "rows " + rows);
            int next = 0;
            for (int p = 0; p < split.count(); p++) {
                assertEquals(next, split.start(p), "rows " + rows + " panel " + p);
                assertTrue(split.size(p) >= 12 && split.size(p) <= 14, "rows " + rows + " panel " + p);
                next += split.size(p);
            }
            assertEquals(rows, next, "rows " + rows);
            assertEquals(rows, split.rows());
        }
    }

    @Test
    void mobileNetImagesSplitEvenly() {
        assertEquals(List.of(14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14, 14), sizes(RowPanels.wide(196)));
        assertEquals(List.of(13, 12, 12, 12), sizes(RowPanels.wide(49)));
        assertEquals(List.of(12), sizes(RowPanels.wide(12)));
        assertEquals(List.of(16, 16, 16), sizes(RowPanels.uniform(3, 16)));
        assertEquals(32, RowPanels.uniform(3, 16).start(2));
    }
}
