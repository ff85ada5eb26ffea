package dev.sparq.backend.cpu.ref;

import static dev.sparq.backend.cpu.ref.RefOps.*;
import static dev.sparq.testing.KernelHarness.i;
import static dev.sparq.testing.KernelHarness.s;

import dev.sparq.tensor.Tensor;
import org.junit.jupiter.api.Test;

class RoiAlignAndDetTest {
    private static Tensor image() {
        return f32(shape(1, 1, 2, 2), 1, 2, 3, 4);
    }

    @Test
    void roiAlignHalfPixelSamplesPixelCentres() {
        // roi [0,0]-[2,2] shifted by -0.5: a 2x2 grid lands exactly on the four pixels
        Tensor rois = f32(shape(1, 4), 0, 0, 2, 2);
        assertFloats(run("RoiAlign", 16, attrs(i("sampling_ratio", 2)), image(), rois, i64s(0)), shape(1, 1, 1, 1),
            2.5f);
        assertFloats(run("RoiAlign", 16, attrs(i("sampling_ratio", 2), s("mode", "max")), image(), rois, i64s(0)),
            shape(1, 1, 1, 1), 4);
    }

    @Test
    void roiAlignOpset10IsOutputHalfPixel() {
        // samples at 0.5 and 1.5; coordinates past the last pixel clamp to it: (2.5 + 3 + 3.5 + 4) / 4
        Tensor rois = f32(shape(1, 4), 0, 0, 2, 2);
        assertFloats(run("RoiAlign", 10, attrs(i("sampling_ratio", 2)), image(), rois, i64s(0)), shape(1, 1, 1, 1),
            3.25f);
    }

    @Test
    void determinants() {
        assertFloats(run("Det", 11, NONE, f32(shape(2, 2, 2), 1, 2, 3, 4, 0, 1, 1, 0)), shape(2), -2, -1);
        assertFloats(run("Det", 11, NONE, f32(shape(3, 3), 2, 0, 0, 0, 3, 0, 0, 0, 4)), shape(), 24);
        assertFloats(run("Det", 11, NONE, f32(shape(2, 2), 1, 2, 2, 4)), shape(), 0);
    }
}
