package dev.sparq.backend.cpu.ref;

import static dev.sparq.backend.cpu.ref.RefOps.*;
import static dev.sparq.testing.KernelHarness.f;
import static dev.sparq.testing.KernelHarness.floats;
import static dev.sparq.testing.KernelHarness.i;
import static dev.sparq.testing.KernelHarness.ints;
import static dev.sparq.testing.KernelHarness.s;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import org.junit.jupiter.api.Test;

class ResizeOpsTest {
    private static Tensor x22() {
        return f32(shape(1, 1, 2, 2), 1, 2, 3, 4);
    }

    /** data[h][w] = 1 + 4h + w: linear in both coordinates, so interpolations are easy to compute by hand. */
    private static Tensor x44() {
        float[] v = new float[16];
        for (int k = 0; k < 16; k++) {
            v[k] = k + 1;
        }
        return f32(shape(1, 1, 4, 4), v);
    }

    private static Tensor scales(float... s) {
        return f32(shape(s.length), s);
    }

    @Test
    void linearHalfPixelUpsample() {
        assertFloats(run("Resize", 13, attrs(s("mode", "linear")), x22(), null, scales(1, 1, 2, 2)),
            shape(1, 1, 4, 4),
            1, 1.25f, 1.75f, 2, 1.5f, 1.75f, 2.25f, 2.5f, 2.5f, 2.75f, 3.25f, 3.5f, 3, 3.25f, 3.75f, 4);
    }

    @Test
    void linearAlignCorners() {
        float t = 1f / 3;
        assertFloats(run("Resize", 13, attrs(s("mode", "linear"), s("coordinate_transformation_mode",
                "align_corners")), x22(), null, scales(1, 1, 1, 2)),
            shape(1, 1, 2, 4), 1, 1 + t, 1 + 2 * t, 2, 3, 3 + t, 3 + 2 * t, 4);
    }

    @Test
    void nearestDownsampleHalfPixel() {
        Tensor x = f32(shape(1, 1, 2, 4), 1, 2, 3, 4, 5, 6, 7, 8);
        assertFloats(run("Resize", 13, NONE, x, null, scales(1, 1, 0.6f, 0.6f)), shape(1, 1, 1, 2), 1, 3);
    }

    @Test
    void nearestModesDifferAtHalves() {
        // sizes 3 from 2: x_ori = (x + 0.5) / 1.5 - 0.5 = -1/6, 1/2, 7/6
        Tensor sizes = i64s(1, 1, 3, 3);
        assertFloats(run("Resize", 13, NONE, x22(), null, null, sizes), shape(1, 1, 3, 3),
            1, 1, 2, 1, 1, 2, 3, 3, 4);
        assertFloats(run("Resize", 13, attrs(s("nearest_mode", "round_prefer_ceil")), x22(), null, null, sizes),
            shape(1, 1, 3, 3), 1, 2, 2, 3, 4, 4, 3, 4, 4);
        assertFloats(run("Resize", 13, attrs(s("nearest_mode", "ceil")), x22(), null, null, sizes),
            shape(1, 1, 3, 3), 1, 2, 2, 3, 4, 4, 3, 4, 4);
        assertFloats(run("Resize", 13, attrs(s("nearest_mode", "floor")), x22(), null, null, sizes),
            shape(1, 1, 3, 3), 1, 1, 2, 1, 1, 2, 3, 3, 4);
    }

    @Test
    void opset10IsAsymmetricNearest() {
        assertFloats(run("Resize", 10, NONE, x22(), scales(1, 1, 2, 3)), shape(1, 1, 4, 6),
            1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4);
        Tensor x = f32(shape(1, 1, 2, 4), 1, 2, 3, 4, 5, 6, 7, 8);
        assertFloats(run("Resize", 10, NONE, x, scales(1, 1, 0.6f, 0.6f)), shape(1, 1, 1, 2), 1, 3);
        assertThrows(AssertionError.class, () -> run("Resize", 10, attrs(s("mode", "cubic")), x22(),
            scales(1, 1, 2, 2)));
    }

    @Test
    void cubicHalfPixel() {
        // Rows: out 0 reads rows (0,0,0,1) with weights summing to E[h] = -0.10546875 (A = -0.75, ratio 0.75).
        Tensor y = run("Resize", 13, attrs(s("mode", "cubic")), x44(), null, scales(1, 1, 2, 2));
        assertEquals(8, y.dim(3));
        assertEquals(0.47265625f, y.getFloat(0), 1e-6);
        assertEquals(0.76953125f, y.getFloat(1), 1e-6);
        assertEquals(1.24609375f, y.getFloat(2), 1e-6);
    }

    @Test
    void cubicExcludeOutsideRenormalizes() {
        // out 0: x_ori = -0.25, taps at rows -2,-1,0,1 with ratio 0.75; exclude_outside keeps rows 0 and 1 only
        // (weights c2, c3) and rescales them to sum 1. Same along columns.
        Tensor y = run("Resize", 13, attrs(s("mode", "cubic"), i("exclude_outside", 1)),
            x44(), null, scales(1, 1, 2, 2));
        double c2 = 0.87890625;
        double c3 = -0.10546875;
        double e = (c2 * 0 + c3 * 1) / (c2 + c3); // expected coordinate along each axis
        assertEquals((float) (1 + 4 * e + e), y.getFloat(0), 1e-6);
    }

    @Test
    void tfCropAndResizeWithExtrapolation() {
        Tensor roi = f32(shape(8), 0, 0, 0.4f, 0.6f, 1, 1, 0.6f, 0.8f);
        assertFloats(run("Resize", 13, attrs(s("mode", "linear"), s("coordinate_transformation_mode",
                "tf_crop_and_resize")), x44(), roi, null, i64s(1, 1, 3, 3)), shape(1, 1, 3, 3),
            7.6f, 7.9f, 8.2f, 8.8f, 9.1f, 9.4f, 10, 10.3f, 10.6f);
        Tensor wide = f32(shape(8), 0, 0, 0.4f, 0.6f, 1, 1, 1.2f, 1.7f);
        assertFloats(run("Resize", 13, attrs(s("mode", "linear"), s("coordinate_transformation_mode",
                "tf_crop_and_resize"), f("extrapolation_value", 10)), x44(), wide, null, i64s(1, 1, 3, 3)),
            shape(1, 1, 3, 3), 7.6f, 10, 10, 12.4f, 10, 10, 10, 10, 10);
    }

    @Test
    void opset18AxesAndKeepAspectRatio() {
        // scale = min(3/2, 8/2) = 1.5 on both axes: a 3x3 output
        assertFloats(run("Resize", 18, attrs(ints("axes", 2, 3), s("keep_aspect_ratio_policy", "not_larger")),
                x22(), null, null, i64s(3, 8)), shape(1, 1, 3, 3), 1, 1, 2, 1, 1, 2, 3, 3, 4);
        assertFloats(run("Resize", 18, attrs(ints("axes", -1), s("mode", "linear")), x22(), null, scales(2)),
            shape(1, 1, 2, 4), 1, 1.25f, 1.75f, 2, 3, 3.25f, 3.75f, 4);
    }

    @Test
    void integerDataResizes() {
        Tensor x = of(DType.U8, shape(1, 1, 1, 2), 10, 200);
        assertLongs(run("Resize", 13, NONE, x, null, scales(1, 1, 1, 2)), DType.U8, shape(1, 1, 1, 4),
            10, 10, 200, 200);
    }

    @Test
    void upsampleOpset7And9() {
        Tensor x = f32(shape(1, 2), 1, 2);
        assertFloats(run("Upsample", 7, attrs(s("mode", "linear"), floats("scales", 1, 2)), x), shape(1, 4),
            1, 1.5f, 2, 2);
        assertFloats(run("Upsample", 9, NONE, x, scales(2, 2)), shape(2, 4), 1, 1, 2, 2, 1, 1, 2, 2);
    }

    @Test
    void antialiasWidensTheLinearKernelWhenDownsampling() {
        // scale 0.5: out 0 maps to 0.5; taps -1..2 at distances 1.5, 0.5, 0.5, 1.5 times 0.5 -> weights 1:3:3:1,
        // rows clamped to 0,0,1,2 (values 1,1,2,3): (1 + 3 + 6 + 3) / 8. Out 1 maps to 2.5: values 2,3,4,4.
        Tensor x = f32(shape(1, 4), 1, 2, 3, 4);
        assertFloats(run("Resize", 18, attrs(s("mode", "linear"), i("antialias", 1)), x, null, scales(1, 0.5f)),
            shape(1, 2), 13f / 8, 27f / 8);
        // without antialias: plain linear between the two nearest rows
        assertFloats(run("Resize", 18, attrs(s("mode", "linear")), x, null, scales(1, 0.5f)), shape(1, 2),
            1.5f, 3.5f);
        // upsampling is unaffected
        assertFloats(run("Resize", 18, attrs(s("mode", "linear"), i("antialias", 1)), f32(shape(1, 2), 1, 2), null,
            scales(1, 2)), shape(1, 4), 1, 1.25f, 1.75f, 2);
    }

    @Test
    void antialiasWithNearestIsReportedUnsupported() {
        var node = dev.sparq.testing.KernelHarness.node("Resize", 3, 1, i("antialias", 1));
        var req = new dev.sparq.backend.KernelRequest(node, 18, java.util.Map.of(), java.util.Map.of(), null);
        assertEquals("Resize antialias=1 with mode nearest", CpuRefBackend.whyUnsupported(req));
    }

    @Test
    void tfHalfPixelForNnOnlyInOpset11() {
        // x_ori = (x + 0.5) / 2: 0.25, 0.75, 1.25, 1.75 -> round_prefer_floor 0, 1, 1, 2 (clamped to 1)
        Tensor x = f32(shape(1, 2), 1, 2);
        assertFloats(run("Resize", 11, attrs(s("coordinate_transformation_mode", "tf_half_pixel_for_nn")), x,
            f32(shape(0)), scales(1, 2)), shape(1, 4), 1, 2, 2, 2);
        var node = dev.sparq.testing.KernelHarness.node("Resize", 3, 1,
            s("coordinate_transformation_mode", "tf_half_pixel_for_nn"));
        var req = new dev.sparq.backend.KernelRequest(node, 13, java.util.Map.of(), java.util.Map.of(), null);
        assertEquals("tf_half_pixel_for_nn after opset 12", CpuRefBackend.whyUnsupported(req));
    }
}
