package dev.sparq.backend.cpu.ref;

import static dev.sparq.backend.cpu.ref.RefOps.*;
import static dev.sparq.testing.KernelHarness.i;
import static dev.sparq.testing.KernelHarness.s;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sparq.tensor.DType;
import org.junit.jupiter.api.Test;

class ElementwiseOpsTest {
    @Test
    void addBroadcastsBothWays() {
        // [2,1] + [1,3] -> [2,3]
        assertFloats(run("Add", 14, NONE, f32(shape(2, 1), 1, 2), f32(shape(1, 3), 10, 20, 30)),
            shape(2, 3), 11, 21, 31, 12, 22, 32);
        // trailing-dim broadcast of a vector
        assertFloats(run("Sub", 14, NONE, f32(shape(2, 3), 1, 2, 3, 4, 5, 6), f32(shape(3), 1, 1, 1)),
            shape(2, 3), 0, 1, 2, 3, 4, 5);
    }

    @Test
    void legacyBroadcastAlignsBAtAxis() {
        // Opset 6: B of shape [2] broadcast along axis 0 of A [2,3], which NumPy rules would reject.
        assertFloats(run("Mul", 6, attrs(i("broadcast", 1), i("axis", 0)),
                f32(shape(2, 3), 1, 1, 1, 1, 1, 1), f32(shape(2), 2, 3)),
            shape(2, 3), 2, 2, 2, 3, 3, 3);
        assertThrows(IllegalArgumentException.class, () -> run("Add", 6, NONE,
            f32(shape(2, 3), 1, 1, 1, 1, 1, 1), f32(shape(3), 1, 2, 3)));
    }

    @Test
    void integerArithmeticWrapsLikeNumpy() {
        assertLongs(run("Add", 14, NONE, of(DType.U8, shape(2), 250, 1), of(DType.U8, shape(2), 10, 2)),
            DType.U8, shape(2), 4, 3);
        assertLongs(run("Sub", 14, NONE, of(DType.U8, shape(1), 3), of(DType.U8, shape(1), 5)),
            DType.U8, shape(1), 254);
        assertLongs(run("Mul", 14, NONE, of(DType.I8, shape(1), 100), of(DType.I8, shape(1), 2)),
            DType.I8, shape(1), -56);
        assertLongs(run("Add", 14, NONE, of(DType.I32, shape(1), Integer.MAX_VALUE), of(DType.I32, shape(1), 1)),
            DType.I32, shape(1), Integer.MIN_VALUE);
    }

    @Test
    void integerDivTruncatesTowardZero() {
        assertLongs(run("Div", 14, NONE, of(DType.I32, shape(4), -7, 7, -7, 7), of(DType.I32, shape(4), 2, 2, -2, -2)),
            DType.I32, shape(4), -3, 3, 3, -3);
        assertThrows(IllegalArgumentException.class, () -> run("Div", 14, NONE,
            of(DType.I64, shape(1), 1), of(DType.I64, shape(1), 0)));
    }

    @Test
    void modFollowsDivisorSignUnlessFmod() {
        assertLongs(run("Mod", 13, NONE, of(DType.I32, shape(4), -7, 7, -7, 7), of(DType.I32, shape(4), 3, -3, -3, 3)),
            DType.I32, shape(4), 2, -2, -1, 1);
        assertLongs(run("Mod", 13, attrs(i("fmod", 1)), of(DType.I32, shape(2), -7, 7), of(DType.I32, shape(2), 3, -3)),
            DType.I32, shape(2), -1, 1);
        assertFloats(run("Mod", 13, attrs(i("fmod", 1)), f32(shape(2), 5.5f, -5.5f), f32(shape(2), 2, 2)),
            shape(2), 1.5f, -1.5f);
    }

    @Test
    void powKeepsBaseTypeWithMixedExponentTypes() {
        assertLongs(run("Pow", 15, NONE, of(DType.I64, shape(3), 2, -3, 7), of(DType.I64, shape(3), 10, 3, 0)),
            DType.I64, shape(3), 1024, -27, 1);
        // int base, float exponent: computed in floating point, then truncated to the base type
        assertLongs(run("Pow", 15, NONE, of(DType.I32, shape(1), 10), f32(shape(1), 0.5f)),
            DType.I32, shape(1), 3);
        assertFloats(run("Pow", 15, NONE, f32(shape(2), 4, 2), of(DType.I64, shape(2), 2, -1)),
            shape(2), 16, 0.5f);
    }

    @Test
    void comparisonsAreExactOnInt64AndFalseOnNaN() {
        long big = 1L << 53;
        assertBools(run("Equal", 13, NONE, i64s(big + 1, 5), i64s(big, 5)), shape(2), false, true);
        assertBools(run("Less", 13, NONE, f32(shape(3), Float.NaN, 1, 2), f32(shape(1), 2)),
            shape(3), false, true, false);
        assertBools(run("GreaterOrEqual", 16, NONE, f32(shape(3), 1, 2, 3), f32(shape(1), 2)),
            shape(3), false, true, true);
        assertBools(run("LessOrEqual", 16, NONE, of(DType.U8, shape(2), 200, 1), of(DType.U8, shape(1), 100)),
            shape(2), false, true);
    }

    @Test
    void logicalOps() {
        var a = bools(shape(4), true, true, false, false);
        var b = bools(shape(4), true, false, true, false);
        assertBools(run("And", 7, NONE, a, b), shape(4), true, false, false, false);
        assertBools(run("Or", 7, NONE, a, b), shape(4), true, true, true, false);
        assertBools(run("Xor", 7, NONE, a, b), shape(4), false, true, true, false);
        assertBools(run("Not", 1, NONE, a), shape(4), false, false, true, true);
    }

    @Test
    void whereBroadcastsConditionAndBranches() {
        assertLongs(run("Where", 16, NONE, bools(shape(2, 1), true, false), i64s(1, 2, 3), scalarI64(-1)),
            DType.I64, shape(2, 3), 1, 2, 3, -1, -1, -1);
    }

    @Test
    void variadicOpsBroadcastAndPropagateNaN() {
        assertFloats(run("Mean", 13, NONE, f32(shape(2), 1, 2), f32(shape(1), 4), f32(shape(2, 1), 1, 7)),
            shape(2, 2), 2, 7f / 3, 4, 13f / 3);
        assertFloats(run("Max", 13, NONE, f32(shape(2), Float.NaN, 1), f32(shape(2), 0, 3)),
            shape(2), Float.NaN, 3);
        assertFloats(run("Sum", 13, NONE, f32(shape(2), 1, 2)), shape(2), 1, 2);
        assertLongs(run("Min", 13, NONE, of(DType.I8, shape(2), -5, 5), of(DType.I8, shape(2), 3, 3)),
            DType.I8, shape(2), -5, 3);
    }

    @Test
    void bitShiftIsLogicalOnUnsigned() {
        assertLongs(run("BitShift", 11, attrs(s("direction", "RIGHT")), of(DType.U8, shape(2), 255, 16),
            of(DType.U8, shape(2), 1, 4)), DType.U8, shape(2), 127, 1);
        assertLongs(run("BitShift", 11, attrs(s("direction", "LEFT")), of(DType.U8, shape(2), 255, 1),
            of(DType.U8, shape(2), 1, 3)), DType.U8, shape(2), 254, 8);
    }

    @Test
    void mismatchedShapesAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> run("Add", 14, NONE,
            f32(shape(2), 1, 2), f32(shape(3), 1, 2, 3)));
    }
}
