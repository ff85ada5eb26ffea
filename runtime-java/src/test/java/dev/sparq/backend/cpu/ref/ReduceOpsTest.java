package dev.sparq.backend.cpu.ref;

import static dev.sparq.backend.cpu.ref.RefOps.*;
import static dev.sparq.testing.KernelHarness.i;
import static dev.sparq.testing.KernelHarness.ints;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import org.junit.jupiter.api.Test;

class ReduceOpsTest {
    // [[1, 2, 3], [4, 5, 6]]
    private static Tensor x23() {
        return f32(shape(2, 3), 1, 2, 3, 4, 5, 6);
    }

    @Test
    void axesAttributeBeforeOpset13ForReduceSum() {
        assertFloats(run("ReduceSum", 11, attrs(ints("axes", 1)), x23()), shape(2, 1), 6, 15);
        assertFloats(run("ReduceSum", 11, attrs(ints("axes", -2), i("keepdims", 0)), x23()), shape(3), 5, 7, 9);
        assertFloats(run("ReduceSum", 11, NONE, x23()), shape(1, 1), 21);
    }

    @Test
    void axesInputFromOpset13ForReduceSum() {
        assertFloats(run("ReduceSum", 13, attrs(i("keepdims", 0)), x23(), i64s(-1)), shape(2), 6, 15);
        // no axes: all axes; empty axes with noop_with_empty_axes: identity
        assertFloats(run("ReduceSum", 13, NONE, x23(), null), shape(1, 1), 21);
        assertFloats(run("ReduceSum", 13, attrs(i("noop_with_empty_axes", 1)), x23(), i64s()), shape(2, 3),
            1, 2, 3, 4, 5, 6);
        assertFloats(run("ReduceSum", 13, NONE, x23(), i64s()), shape(1, 1), 21);
    }

    @Test
    void otherReductionsTakeAxesAsInputOnlyFromOpset18() {
        assertFloats(run("ReduceMax", 13, attrs(ints("axes", 0)), x23()), shape(1, 3), 4, 5, 6);
        assertFloats(run("ReduceMax", 18, NONE, x23(), i64s(0)), shape(1, 3), 4, 5, 6);
        assertFloats(run("ReduceMin", 18, attrs(i("keepdims", 0)), x23(), i64s(1)), shape(2), 1, 4);
    }

    @Test
    void eachReduction() {
        Tensor x = f32(shape(2, 2), -1, 2, 3, -4);
        Attribute1 a = new Attribute1();
        assertFloats(run("ReduceMean", 13, a.axis1, x), shape(2, 1), 0.5f, -0.5f);
        assertFloats(run("ReduceProd", 13, a.axis1, x), shape(2, 1), -2, -12);
        assertFloats(run("ReduceL1", 13, a.axis1, x), shape(2, 1), 3, 7);
        assertFloats(run("ReduceL2", 13, a.axis1, x), shape(2, 1), (float) Math.sqrt(5), 5);
        assertFloats(run("ReduceSumSquare", 13, a.axis1, x), shape(2, 1), 5, 25);
        assertFloats(run("ReduceLogSum", 13, a.axis1, f32(shape(2, 2), 1, 2, 3, 4)), shape(2, 1),
            (float) Math.log(3), (float) Math.log(7));
        assertFloats(run("ReduceLogSumExp", 13, a.axis1, x), shape(2, 1),
            (float) Math.log(Math.exp(-1) + Math.exp(2)), (float) Math.log(Math.exp(3) + Math.exp(-4)));
    }

    private static final class Attribute1 {
        final dev.sparq.graph.Attribute[] axis1 = attrs(ints("axes", 1));
    }

    @Test
    void logSumExpDoesNotOverflow() {
        assertFloats(run("ReduceLogSumExp", 13, NONE, f32(shape(2), 1000, 1000)), shape(1),
            (float) (1000 + Math.log(2)));
    }

    @Test
    void integerReductionsTruncateAndWrap() {
        assertLongs(run("ReduceMean", 13, attrs(i("keepdims", 0)), of(DType.I32, shape(3), -1, -2, -4)),
            DType.I32, shape(), -2); // -7/3 = -2.33 -> -2
        assertLongs(run("ReduceSum", 13, NONE, of(DType.I8, shape(2), 100, 100), null), DType.I8, shape(1), -56);
        assertLongs(run("ReduceMax", 13, NONE, i64s((1L << 62) + 1, 1L << 62)), DType.I64, shape(1),
            (1L << 62) + 1);
    }

    @Test
    void emptyReductionGivesIdentity() {
        Tensor empty = f32(shape(0, 2));
        assertFloats(run("ReduceSum", 13, attrs(i("keepdims", 0)), empty, i64s(0)), shape(2), 0, 0);
        assertFloats(run("ReduceProd", 13, attrs(ints("axes", 0)), empty), shape(1, 2), 1, 1);
        assertFloats(run("ReduceMax", 18, attrs(i("keepdims", 0)), empty, i64s(0)), shape(2),
            Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY);
        assertLongs(run("ReduceMax", 18, attrs(i("keepdims", 0)), of(DType.I32, shape(0, 1)), i64s(0)), DType.I32,
            shape(1), Integer.MIN_VALUE);
        assertLongs(run("ReduceMin", 18, attrs(i("keepdims", 0)), of(DType.U8, shape(0, 1)), i64s(0)), DType.U8,
            shape(1), 255);
    }

    @Test
    void duplicateOrOutOfRangeAxesAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> run("ReduceSum", 13, NONE, x23(), i64s(1, -1)));
        assertThrows(IllegalArgumentException.class, () -> run("ReduceSum", 13, NONE, x23(), i64s(2)));
    }

    @Test
    void argMaxAndArgMin() {
        Tensor x = f32(shape(2, 3), 1, 5, 5, 7, 0, 0);
        assertLongs(run("ArgMax", 13, attrs(i("axis", 1)), x), DType.I64, shape(2, 1), 1, 0);
        assertLongs(run("ArgMax", 13, attrs(i("axis", 1), i("select_last_index", 1)), x), DType.I64, shape(2, 1),
            2, 0);
        assertLongs(run("ArgMin", 13, attrs(i("axis", -1), i("keepdims", 0)), x), DType.I64, shape(2), 0, 1);
        assertLongs(run("ArgMin", 13, attrs(i("axis", -1), i("keepdims", 0), i("select_last_index", 1)), x),
            DType.I64, shape(2), 0, 2);
        assertLongs(run("ArgMax", 13, NONE, x), DType.I64, shape(1, 3), 1, 0, 0);
    }

    @Test
    void argMaxAndArgMinPickTheFirstNaNLikeNumpy() {
        Tensor x = f32(shape(4), 1, Float.NaN, 5, Float.NaN);
        assertLongs(run("ArgMax", 13, attrs(i("keepdims", 0)), x), DType.I64, shape(), 1);
        assertLongs(run("ArgMin", 13, attrs(i("keepdims", 0)), x), DType.I64, shape(), 1);
        assertLongs(run("ArgMax", 13, attrs(i("keepdims", 0), i("select_last_index", 1)), x), DType.I64, shape(), 3);
    }

    @Test
    void axesAttributeOnANewerNodeIsStillHonoured() {
        // Invalid at opset 18 (axes moved to an input) but written by some exporters: used when no input is given.
        assertFloats(run("ReduceMean", 18, attrs(ints("axes", 1)), x23()), shape(2, 1), 2, 5);
        assertFloats(run("ReduceMean", 18, attrs(ints("axes", 1)), x23(), i64s(0)), shape(1, 3), 2.5f, 3.5f, 4.5f);
    }
}
