package dev.sparq.backend.cpu.ref;

import static dev.sparq.backend.cpu.ref.RefOps.*;
import static dev.sparq.testing.KernelHarness.i;

import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import org.junit.jupiter.api.Test;

class IndexOpsTest {
    private static Tensor m33() {
        return f32(shape(3, 3), 1, 2, 3, 4, 5, 6, 7, 8, 9);
    }

    @Test
    void triluUpperAndLowerWithK() {
        assertFloats(run("Trilu", 14, NONE, m33()), shape(3, 3), 1, 2, 3, 0, 5, 6, 0, 0, 9);
        assertFloats(run("Trilu", 14, NONE, m33(), scalarI64(1)), shape(3, 3), 0, 2, 3, 0, 0, 6, 0, 0, 0);
        assertFloats(run("Trilu", 14, attrs(i("upper", 0)), m33(), scalarI64(-1)), shape(3, 3),
            0, 0, 0, 4, 0, 0, 7, 8, 0);
    }

    @Test
    void cumSumExclusiveAndReverse() {
        Tensor x = f32(shape(4), 1, 2, 3, 4);
        assertFloats(run("CumSum", 14, NONE, x, scalarI64(0)), shape(4), 1, 3, 6, 10);
        assertFloats(run("CumSum", 14, attrs(i("exclusive", 1)), x, scalarI64(0)), shape(4), 0, 1, 3, 6);
        assertFloats(run("CumSum", 14, attrs(i("reverse", 1)), x, scalarI64(-1)), shape(4), 10, 9, 7, 4);
        assertFloats(run("CumSum", 14, attrs(i("reverse", 1), i("exclusive", 1)), x, scalarI64(0)), shape(4),
            9, 7, 4, 0);
        assertLongs(run("CumSum", 14, NONE, of(DType.I32, shape(2, 2), 1, 2, 3, 4), of(DType.I32, shape(), 0)),
            DType.I32, shape(2, 2), 1, 2, 4, 6);
    }

    @Test
    void oneHotWithNegativeIndicesAndAxis() {
        Tensor values = f32(shape(2), 0, 5);
        assertFloats(run("OneHot", 11, NONE, i64s(0, -1, 7), scalarI64(3), values), shape(3, 3),
            5, 0, 0, 0, 0, 5, 0, 0, 0);
        assertFloats(run("OneHot", 11, attrs(i("axis", 0)), i64s(0, 2), scalarF32(3), values), shape(3, 2),
            5, 0, 0, 0, 0, 5);
    }

    @Test
    void nonZeroListsCoordinates() {
        assertLongs(run("NonZero", 13, NONE, f32(shape(2, 2), 1, 0, 0, 3)), DType.I64, shape(2, 2), 0, 1, 0, 1);
    }

    @Test
    void topKLargestAndSmallestWithTies() {
        Tensor x = f32(shape(2, 4), 1, 3, 3, 2, 4, 4, 0, 4);
        Tensor[] largest = runAll("TopK", 11, 2, NONE, x, i64s(2));
        assertFloats(largest[0], shape(2, 2), 3, 3, 4, 4);
        assertLongs(largest[1], DType.I64, shape(2, 2), 1, 2, 0, 1);
        Tensor[] smallest = runAll("TopK", 11, 2, attrs(i("largest", 0), i("axis", 0)), x, i64s(1));
        assertFloats(smallest[0], shape(1, 4), 1, 3, 0, 2);
        assertLongs(smallest[1], DType.I64, shape(1, 4), 0, 0, 1, 0);
        Tensor[] opset1 = runAll("TopK", 1, 2, attrs(i("k", 1)), x);
        assertLongs(opset1[1], DType.I64, shape(2, 1), 1, 0);
    }

    @Test
    void eyeLikeWithOffsetAndDtype() {
        assertLongs(run("EyeLike", 9, attrs(i("k", 1), i("dtype", 7)), f32(shape(2, 3), 0, 0, 0, 0, 0, 0)),
            DType.I64, shape(2, 3), 0, 1, 0, 0, 0, 1);
    }

    @Test
    void gatherNdWithAndWithoutBatchDims() {
        Tensor data = f32(shape(2, 2), 0, 1, 2, 3);
        assertFloats(run("GatherND", 13, NONE, data, i64(shape(2, 2), 0, 0, 1, -1)), shape(2), 0, 3);
        assertFloats(run("GatherND", 13, NONE, data, i64(shape(2, 1), 1, 0)), shape(2, 2), 2, 3, 0, 1);
        // batch_dims 1: row b picks its own column
        assertFloats(run("GatherND", 13, attrs(i("batch_dims", 1)), data, i64(shape(2, 1), 1, 0)), shape(2), 1, 2);
    }

    @Test
    void compressAlongAxisOrFlattened() {
        Tensor x = f32(shape(2, 3), 0, 1, 2, 3, 4, 5);
        assertFloats(run("Compress", 11, attrs(i("axis", 1)), x, bools(shape(2), false, true)), shape(2, 1), 1, 4);
        assertFloats(run("Compress", 11, NONE, x, bools(shape(6), true, false, false, false, false, true)),
            shape(2), 0, 5);
    }
}
