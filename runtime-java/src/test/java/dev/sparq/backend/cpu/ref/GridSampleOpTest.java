package dev.sparq.backend.cpu.ref;

import static dev.sparq.backend.cpu.ref.RefOps.*;
import static dev.sparq.testing.KernelHarness.i;
import static dev.sparq.testing.KernelHarness.s;

import dev.sparq.tensor.Tensor;
import org.junit.jupiter.api.Test;

class GridSampleOpTest {
    private static Tensor row() {
        return f32(shape(1, 1, 1, 2), 10, 20);
    }

    /** Four sample points (x, y) with y = 0; with align_corners x = −1, 0, 1, 1.5 map to pixels 0, 0.5, 1, 1.25. */
    private static Tensor grid() {
        return f32(shape(1, 1, 4, 2), -1, 0, 0, 0, 1, 0, 1.5f, 0);
    }

    @Test
    void bilinearWithEachPaddingMode() {
        assertFloats(run("GridSample", 16, attrs(i("align_corners", 1)), row(), grid()), shape(1, 1, 1, 4),
            10, 15, 20, 15); // pixel 1.25: 0.75 · 20 + 0.25 · (zero outside)
        assertFloats(run("GridSample", 16, attrs(i("align_corners", 1), s("padding_mode", "border")), row(), grid()),
            shape(1, 1, 1, 4), 10, 15, 20, 20);
        assertFloats(run("GridSample", 16, attrs(i("align_corners", 1), s("padding_mode", "reflection")), row(),
            grid()), shape(1, 1, 1, 4), 10, 15, 20, 17.5f); // 1.25 reflects to 0.75
    }

    @Test
    void nearestRoundsHalfToEvenIn2D() {
        // pixels 0.5 (rounds to 0), 1.25 (to 1) and 1.5 (to 2, outside: zero)
        Tensor points = f32(shape(1, 1, 3, 2), 0, 0, 1.5f, 0, 2, 0);
        assertFloats(run("GridSample", 16, attrs(i("align_corners", 1), s("mode", "nearest")), row(), points),
            shape(1, 1, 1, 3), 10, 20, 0);
    }

    @Test
    void withoutAlignCornersTheEdgesArePixelBorders() {
        // x = ((g + 1) · 2 − 1) / 2: g = −1 -> −0.5 (half of pixel 0 and half zero), g = 0 -> 0.5
        assertFloats(run("GridSample", 16, NONE, row(), f32(shape(1, 1, 2, 2), -1, 0, 0, 0)), shape(1, 1, 1, 2),
            5, 15);
    }
}
