package dev.sparq.backend.cpu.ref;

import static dev.sparq.backend.cpu.ref.RefOps.*;
import static dev.sparq.testing.KernelHarness.i;
import static dev.sparq.testing.KernelHarness.s;

import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import org.junit.jupiter.api.Test;

class ScatterOpsTest {
    @Test
    void scatterElementsAlongAxisWithNegativeIndex() {
        Tensor data = f32(shape(2, 3), 0, 0, 0, 0, 0, 0);
        assertFloats(run("ScatterElements", 13, attrs(i("axis", 1)), data, i64(shape(2, 1), -1, 0),
            f32(shape(2, 1), 7, 8)), shape(2, 3), 0, 0, 7, 8, 0, 0);
        // Scatter (opset 9) is the same op under its old name, axis 0 by default
        assertFloats(run("Scatter", 9, NONE, data, i64(shape(1, 3), 1, 0, 1), f32(shape(1, 3), 1, 2, 3)),
            shape(2, 3), 0, 2, 0, 1, 0, 3);
    }

    @Test
    void scatterElementsReductions() {
        Tensor data = of(DType.I32, shape(3), 1, 2, 3);
        Tensor idx = i64(shape(3), 0, 0, 2);
        Tensor upd = of(DType.I32, shape(3), 10, 20, 2);
        assertLongs(run("ScatterElements", 16, attrs(s("reduction", "add")), data, idx, upd), DType.I32, shape(3),
            31, 2, 5);
        assertLongs(run("ScatterElements", 16, attrs(s("reduction", "mul")), data, idx, upd), DType.I32, shape(3),
            200, 2, 6);
        assertLongs(run("ScatterElements", 18, attrs(s("reduction", "max")), data, idx, upd), DType.I32, shape(3),
            20, 2, 3);
    }

    @Test
    void scatterNdWritesSlices() {
        Tensor data = f32(shape(2, 2), 1, 2, 3, 4);
        assertFloats(run("ScatterND", 13, NONE, data, i64(shape(1, 1), 1), f32(shape(1, 2), 8, 9)), shape(2, 2),
            1, 2, 8, 9);
        assertFloats(run("ScatterND", 16, attrs(s("reduction", "add")), data, i64(shape(2, 2), 0, 1, 0, 1),
            f32(shape(2), 5, 5)), shape(2, 2), 1, 12, 3, 4);
    }
}
