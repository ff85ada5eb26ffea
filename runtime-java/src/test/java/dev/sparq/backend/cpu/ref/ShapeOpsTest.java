package dev.sparq.backend.cpu.ref;

import static dev.sparq.backend.cpu.ref.RefOps.*;
import static dev.sparq.testing.KernelHarness.i;
import static dev.sparq.testing.KernelHarness.ints;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sparq.graph.Attribute;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import org.junit.jupiter.api.Test;

class ShapeOpsTest {
    private static Tensor x234() {
        float[] v = new float[24];
        for (int k = 0; k < v.length; k++) {
            v[k] = k;
        }
        return f32(shape(2, 3, 4), v);
    }

    @Test
    void reshapeResolvesZeroAndMinusOne() {
        assertArrayEquals(shape(2, 12), run("Reshape", 14, NONE, x234(), i64s(0, -1)).shape());
        assertArrayEquals(shape(4, 3, 2), run("Reshape", 14, NONE, x234(), i64s(-1, 3, 2)).shape());
        assertArrayEquals(shape(2, 3, 4), run("Reshape", 4, attrs(ints("shape", 2, 0, -1)), x234()).shape());
        // allowzero: a 0 is a real zero-size dim
        Tensor empty = f32(shape(0, 3));
        assertArrayEquals(shape(3, 0), run("Reshape", 14, attrs(i("allowzero", 1)), empty, i64s(3, 0)).shape());
        assertThrows(IllegalArgumentException.class, () -> run("Reshape", 14, NONE, x234(), i64s(5, -1)));
        Tensor y = run("Reshape", 14, NONE, x234(), i64s(24));
        assertFloats(run("Slice", 13, NONE, y, i64s(21), i64s(24)), shape(3), 21, 22, 23);
    }

    @Test
    void flattenAtAxis() {
        assertArrayEquals(shape(1, 24), run("Flatten", 13, attrs(i("axis", 0)), x234()).shape());
        assertArrayEquals(shape(6, 4), run("Flatten", 13, attrs(i("axis", -1)), x234()).shape());
        assertArrayEquals(shape(24, 1), run("Flatten", 13, attrs(i("axis", 3)), x234()).shape());
        assertArrayEquals(shape(2, 12), run("Flatten", 13, NONE, x234()).shape());
    }

    @Test
    void squeezeAxesMovedToInputInOpset13() {
        Tensor x = f32(shape(1, 3, 1), 1, 2, 3);
        assertArrayEquals(shape(3, 1), run("Squeeze", 11, attrs(ints("axes", 0)), x).shape());
        assertArrayEquals(shape(1, 3), run("Squeeze", 13, NONE, x, i64s(-1)).shape());
        assertArrayEquals(shape(3), run("Squeeze", 13, NONE, x).shape());
        assertThrows(IllegalArgumentException.class, () -> run("Squeeze", 13, NONE, x, i64s(1)));
    }

    @Test
    void unsqueezeAxesIndexTheOutput() {
        Tensor x = Tensor.allocate(DType.F32, 3, 4);
        assertArrayEquals(shape(1, 3, 4, 1), run("Unsqueeze", 11, attrs(ints("axes", 0, 3)), x).shape());
        assertArrayEquals(shape(3, 1, 4, 1), run("Unsqueeze", 13, NONE, x, i64s(-1, 1)).shape());
        assertArrayEquals(shape(1, 1, 3, 4), run("Unsqueeze", 13, NONE, x, i64s(1, 0)).shape());
    }

    @Test
    void shapeWithStartAndEnd() {
        assertLongs(run("Shape", 13, NONE, x234()), DType.I64, shape(3), 2, 3, 4);
        Attribute[] slice = attrs(i("start", -2), i("end", 10));
        assertLongs(run("Shape", 15, slice, x234()), DType.I64, shape(2), 3, 4);
        assertLongs(run("Shape", 13, slice, x234()), DType.I64, shape(3), 2, 3, 4); // ignored before opset 15
        assertLongs(run("Shape", 15, attrs(i("start", 2), i("end", 1)), x234()), DType.I64, shape(0));
        assertLongs(run("Size", 13, NONE, x234()), DType.I64, shape(), 24);
    }

    @Test
    void expandBroadcastsBothWays() {
        // [3,1] expanded with shape [2,1,4] -> [2,3,4]; the shape's 1 keeps the input's 3
        Tensor y = run("Expand", 13, NONE, f32(shape(3, 1), 1, 2, 3), i64s(2, 1, 4));
        assertArrayEquals(shape(2, 3, 4), y.shape());
        assertFloats(y.reshape(24), shape(24), 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3);
        assertFloats(run("Expand", 13, NONE, f32(shape(2), 5, 6), i64s(2, 1)), shape(2, 2), 5, 6, 5, 6);
    }

    @Test
    void constantOfShapeAndConstant() {
        assertFloats(run("ConstantOfShape", 9, NONE, i64s(2, 2)), shape(2, 2), 0, 0, 0, 0);
        Attribute value = new Attribute("value", Attribute.Type.TENSOR, of(DType.I32, shape(1), 7));
        assertLongs(run("ConstantOfShape", 9, attrs(value), i64s(3)), DType.I32, shape(3), 7, 7, 7);
        assertLongs(run("ConstantOfShape", 9, attrs(value), i64s()), DType.I32, shape(), 7);
        assertLongs(run("Constant", 13, attrs(ints("value_ints", 4, 5))), DType.I64, shape(2), 4, 5);
        assertFloats(run("Constant", 13, attrs(dev.sparq.testing.KernelHarness.f("value_float", 2.5f))), shape(),
            2.5f);
        Attribute tensor = new Attribute("value", Attribute.Type.TENSOR, f32(shape(2), 1, 2));
        assertFloats(run("Constant", 13, attrs(tensor)), shape(2), 1, 2);
    }

    @Test
    void rangeCountsCeilOfSpanOverDelta() {
        assertFloats(run("Range", 11, NONE, scalarF32(1), scalarF32(2), scalarF32(0.3f)), shape(4),
            1, 1.3f, 1.6f, 1.9f);
        assertLongs(run("Range", 11, NONE, scalarI64(10), scalarI64(4), scalarI64(-3)), DType.I64, shape(2), 10, 7);
        assertLongs(run("Range", 11, NONE, scalarI64(0), scalarI64(-1), scalarI64(1)), DType.I64, shape(0));
    }
}
