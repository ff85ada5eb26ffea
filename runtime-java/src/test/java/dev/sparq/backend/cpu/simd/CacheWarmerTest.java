package dev.sparq.backend.cpu.simd;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** Warming reads stay inside the packed weights, whatever their shape and wherever they start in the array. */
class CacheWarmerTest {

    @Test
    void warmingReadsOnlyThePackedMatrix() {
        int[] rowCounts = {1, 31, 33, 100};
        int[] depths = {1, 15, Gemm.KC, Gemm.KC + 1, 2 * Gemm.KC + 17};
        for (int width : new int[] {1, 16, 32}) {
            for (int rows : rowCounts) {
                for (int depth : depths) {
                    int size = PackedMatrix.size(rows, depth, width);
                    // the view starts 5 floats in and ends at the array's end: a read past it would throw
                    PackedMatrix view = new PackedMatrix(new float[size + 5], 5, rows, depth, width);
                    assertDoesNotThrow(view::warm, rows + "×" + depth + " by " + width);
                    for (int p = 0; p < (rows + width - 1) / width; p++) {
                        int panel = p;
                        assertDoesNotThrow(() -> view.warmPanel(panel), rows + "×" + depth + " panel " + p);
                    }
                }
            }
        }
    }

    @Test
    void aRangePastTheArrayIsRefused() {
        assertThrows(ArrayIndexOutOfBoundsException.class, () -> CacheWarmer.lines(new float[100], 0, 117));
    }
}
