package dev.sparq.backend.cpu.ref;

import static dev.sparq.backend.cpu.ref.RefOps.*;
import static dev.sparq.testing.KernelHarness.i;

import dev.sparq.tensor.Tensor;
import org.junit.jupiter.api.Test;

class SoftmaxOpsTest {
    private static final float E = (float) Math.E;

    @Test
    void opset13NormalizesAlongOneAxis() {
        Tensor x = f32(shape(2, 2), 0, 1, 0, 1);
        float a = 1 / (1 + E);
        // axis 0: each column [0,0] and [1,1] is uniform
        assertFloats(run("Softmax", 13, attrs(i("axis", 0)), x), shape(2, 2), 0.5f, 0.5f, 0.5f, 0.5f);
        assertFloats(run("Softmax", 13, NONE, x), shape(2, 2), a, 1 - a, a, 1 - a);
    }

    @Test
    void beforeOpset13TheInputIsCoercedTo2D() {
        // [1,2,2] with axis 1: opset 11 normalizes over all 4 trailing elements, opset 13 over the 2 of axis 1.
        Tensor x = f32(shape(1, 2, 2), 0, 0, 1, 1);
        float d = 2 + 2 * E;
        assertFloats(run("Softmax", 11, NONE, x), shape(1, 2, 2), 1 / d, 1 / d, E / d, E / d);
        float a = 1 / (1 + E);
        assertFloats(run("Softmax", 13, attrs(i("axis", 1)), x), shape(1, 2, 2), a, a, 1 - a, 1 - a);
    }

    @Test
    void logSoftmaxIsStableForLargeInputs() {
        assertFloats(run("LogSoftmax", 13, NONE, f32(shape(2), 1000, 1000)), shape(2),
            (float) -Math.log(2), (float) -Math.log(2));
        assertFloats(run("Softmax", 13, NONE, f32(shape(2), 1000, 0)), shape(2), 1, 0);
    }

    @Test
    void hardmaxPicksFirstMaximum() {
        assertFloats(run("Hardmax", 13, NONE, f32(shape(2, 3), 1, 3, 3, 5, 0, 5)), shape(2, 3), 0, 1, 0, 1, 0, 0);
        // opset 11 default axis 1 on [1,2,2]: one winner among all four
        assertFloats(run("Hardmax", 11, NONE, f32(shape(1, 2, 2), 1, 2, 4, 3)), shape(1, 2, 2), 0, 0, 1, 0);
    }
}
