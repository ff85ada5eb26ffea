package dev.sparq.backend.cpu.ref;

import static dev.sparq.backend.cpu.ref.RefOps.*;
import static dev.sparq.testing.KernelHarness.f;
import static dev.sparq.testing.KernelHarness.ints;
import static dev.sparq.testing.KernelHarness.s;

import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import org.junit.jupiter.api.Test;

class PadOpsTest {
    private static Tensor row() {
        return f32(shape(1, 3), 1, 2, 3);
    }

    @Test
    void reflectDoesNotRepeatTheEdge() {
        assertFloats(run("Pad", 13, attrs(s("mode", "reflect")), row(), i64s(0, 2, 0, 3)), shape(1, 8),
            3, 2, 1, 2, 3, 2, 1, 2);
    }

    @Test
    void edgeAndWrap() {
        assertFloats(run("Pad", 13, attrs(s("mode", "edge")), row(), i64s(0, 2, 0, 1)), shape(1, 6),
            1, 1, 1, 2, 3, 3);
        assertFloats(run("Pad", 19, attrs(s("mode", "wrap")), row(), i64s(0, 2, 0, 4)), shape(1, 9),
            2, 3, 1, 2, 3, 1, 2, 3, 1);
    }

    @Test
    void constantFromAttributesBeforeOpset11() {
        assertFloats(run("Pad", 2, attrs(ints("pads", 1, 0, 0, 1), f("value", 9)), row()), shape(2, 4),
            9, 9, 9, 9, 1, 2, 3, 9);
        assertFloats(run("Pad", 1, attrs(ints("paddings", 0, 1, 0, 0)), row()), shape(1, 4), 0, 1, 2, 3);
    }

    @Test
    void constantValueInputAndNegativePads() {
        assertLongs(run("Pad", 13, NONE, of(DType.I32, shape(3), 1, 2, 3), i64s(1, -2), of(DType.I32, shape(), -7)),
            DType.I32, shape(2), -7, 1);
        assertFloats(run("Pad", 13, NONE, row(), i64s(0, 1, 0, 0)), shape(1, 4), 0, 1, 2, 3);
    }

    @Test
    void axesInputFromOpset18() {
        assertFloats(run("Pad", 18, NONE, row(), i64s(1, 0), scalarF32(5), i64s(-1)), shape(1, 4), 5, 1, 2, 3);
    }
}
