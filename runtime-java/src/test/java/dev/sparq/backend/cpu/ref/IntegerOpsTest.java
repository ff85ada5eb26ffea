package dev.sparq.backend.cpu.ref;

import static dev.sparq.backend.cpu.ref.RefAssert.assertTensor;
import static dev.sparq.backend.cpu.ref.RefAssert.f;
import static dev.sparq.backend.cpu.ref.RefAssert.i8;
import static dev.sparq.backend.cpu.ref.RefAssert.in;
import static dev.sparq.backend.cpu.ref.RefAssert.run1;
import static dev.sparq.backend.cpu.ref.RefAssert.s;
import static dev.sparq.backend.cpu.ref.RefAssert.u8;
import static dev.sparq.testing.KernelHarness.ints;

import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import org.junit.jupiter.api.Test;

class IntegerOpsTest {
    private static Tensor a4x3() {
        return u8(s(4, 3), 11, 7, 3, 10, 6, 2, 9, 5, 1, 8, 4, 0);
    }

    private static Tensor b3x2() {
        return u8(s(3, 2), 1, 4, 2, 5, 3, 6);
    }

    @Test
    void matMulIntegerWithScalarZeroPoint() {
        assertTensor(DType.I32, s(4, 2), new long[] {-38, -83, -44, -98, -50, -113, -56, -128},
            run1("MatMulInteger", 10, in(a4x3(), b3x2(), u8(s(), 12), u8(s(), 0))));
    }

    @Test
    void matMulIntegerPerRowAndPerColumnZeroPoints() {
        // Each row minus its own zero point is [0, -4, -8].
        assertTensor(DType.I32, s(4, 2), new long[] {-32, -68, -32, -68, -32, -68, -32, -68},
            run1("MatMulInteger", 10, in(a4x3(), b3x2(), u8(s(4), 11, 10, 9, 8))));
        // B minus [1, 4] per column is [[0,0],[1,1],[2,2]]; A minus 12 has rows [-1,-5,-9], [-2,-6,-10], ...
        assertTensor(DType.I32, s(4, 2), new long[] {-23, -23, -26, -26, -29, -29, -32, -32},
            run1("MatMulInteger", 10, in(a4x3(), b3x2(), u8(s(), 12), u8(s(2), 1, 4))));
    }

    @Test
    void matMulIntegerMixesSignedAndUnsigned() {
        Tensor a = u8(s(1, 2), 200, 100);
        Tensor b = i8(s(2, 1), -128, 127);
        assertTensor(DType.I32, s(1, 1), new long[] {200 * -128 + 100 * 127}, run1("MatMulInteger", 10, in(a, b)));
    }

    @Test
    void qlinearMatMulMatchesOnnxExample() {
        Tensor a = u8(s(2, 4), 208, 236, 0, 238, 3, 214, 255, 29);
        Tensor b = u8(s(4, 3), 152, 51, 244, 60, 26, 255, 0, 127, 246, 127, 254, 247);
        Tensor y = run1("QLinearMatMul", 10, in(a, f(s(), 0.0066f), u8(s(), 113), b, f(s(), 0.00705f),
            u8(s(), 114), f(s(), 0.0107f), u8(s(), 118)));
        assertTensor(DType.U8, s(2, 3), new long[] {168, 115, 255, 1, 66, 151}, y);
    }

    @Test
    void qlinearMatMulAddsZeroPointBeforeRoundingAndSaturates() {
        // Multiplier 0.5 * 3 / 1 = 1.5: acc 3 gives 4.5, + zero point 1 = 5.5, rounds to even 6 (rounding before
        // adding the zero point would give 5); acc 100 gives 151, saturated to 127.
        Tensor a = i8(s(2, 1), 3, 100);
        Tensor b = i8(s(1, 1), 1);
        Tensor y = run1("QLinearMatMul", 10, in(a, f(s(), 0.5f), i8(s(), 0), b, f(s(), 3f), i8(s(), 0),
            f(s(), 1), i8(s(), 1)));
        assertTensor(DType.I8, s(2, 1), new long[] {6, 127}, y);
        // Multiplier 0.5: 1.5 + 1 = 2.5 rounds to 2.
        Tensor y2 = run1("QLinearMatMul", 10, in(i8(s(1, 1), 3), f(s(), 0.5f), i8(s(), 0), b, f(s(), 1f),
            i8(s(), 0), f(s(), 1), i8(s(), 1)));
        assertTensor(DType.I8, s(1, 1), new long[] {2}, y2);
    }

    @Test
    void qlinearMatMulPerColumnScales() {
        Tensor a = u8(s(1, 1), 4);
        Tensor b = u8(s(1, 2), 1, 1);
        Tensor y = run1("QLinearMatMul", 10, in(a, f(s(), 1), u8(s(), 0), b, f(s(2), 1, 2), u8(s(2), 0, 0),
            f(s(), 1), u8(s(), 0)));
        assertTensor(DType.U8, s(1, 2), new long[] {4, 8}, y);
    }

    @Test
    void convIntegerWithZeroPointsAndPadding() {
        Tensor x = u8(s(1, 1, 3, 3), 2, 3, 4, 5, 6, 7, 8, 9, 10);
        Tensor w = u8(s(1, 1, 2, 2), 1, 1, 1, 1);
        assertTensor(DType.I32, s(1, 1, 2, 2), new long[] {12, 16, 24, 28},
            run1("ConvInteger", 10, in(x, w, u8(s(), 1))));
        assertTensor(DType.I32, s(1, 1, 4, 4), new long[] {1, 3, 5, 3, 5, 12, 16, 9, 11, 24, 28, 15, 7, 15, 17, 9},
            run1("ConvInteger", 10, in(x, w, u8(s(), 1)), ints("pads", 1, 1, 1, 1)));
    }

    @Test
    void convIntegerPerChannelWeightZeroPoint() {
        Tensor x = u8(s(1, 1, 1, 2), 3, 5);
        Tensor w = u8(s(2, 1, 1, 1), 2, 2);
        // Channel 0 weight 2 - 0, channel 1 weight 2 - 2 = 0.
        assertTensor(DType.I32, s(1, 2, 1, 2), new long[] {6, 10, 0, 0},
            run1("ConvInteger", 10, in(x, w, null, u8(s(2), 0, 2))));
    }

    @Test
    void qlinearConvRequantizesPerOutputChannel() {
        Tensor x = u8(s(1, 1, 2, 2), 10, 20, 30, 255);
        Tensor w = i8(s(2, 1, 1, 1), 3, -2);
        Tensor bias = Tensor.fromInts(new int[] {4, 0}, 2);
        Tensor y = run1("QLinearConv", 10, in(x, f(s(), 0.5f), u8(s(), 10), w, f(s(2), 0.25f, 0.5f), i8(s(2), 0, 0),
            f(s(), 0.0625f), u8(s(), 5), bias));
        // Channel 0: acc (x-10)*3+4 = 4, 34, 64, 739, times 2, plus 5. Channel 1: (x-10)*-2 times 4, plus 5.
        assertTensor(DType.U8, s(1, 2, 2, 2), new long[] {13, 73, 133, 255, 5, 0, 0, 0}, y);
    }
}
