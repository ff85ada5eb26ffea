package dev.sparq.backend.cpu.ref;

import static dev.sparq.backend.cpu.ref.RefAssert.assertTensor;
import static dev.sparq.backend.cpu.ref.RefAssert.f;
import static dev.sparq.backend.cpu.ref.RefAssert.i8;
import static dev.sparq.backend.cpu.ref.RefAssert.in;
import static dev.sparq.backend.cpu.ref.RefAssert.run;
import static dev.sparq.backend.cpu.ref.RefAssert.run1;
import static dev.sparq.backend.cpu.ref.RefAssert.s;
import static dev.sparq.backend.cpu.ref.RefAssert.u8;
import static dev.sparq.testing.KernelHarness.i;

import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import org.junit.jupiter.api.Test;

class QuantizeOpsTest {
    private static final float[] TIES = {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, 300f, -300f};

    @Test
    void quantizeRoundsHalfToEvenAndSaturates() {
        Tensor x = f(s(7), TIES);
        assertTensor(DType.U8, s(7), new long[] {0, 2, 2, 0, 0, 255, 0}, run1("QuantizeLinear", 10,
            in(x, f(s(), 1))));
        assertTensor(DType.I8, s(7), new long[] {0, 2, 2, 0, -2, 127, -128}, run1("QuantizeLinear", 10,
            in(x, f(s(), 1), i8(s(), 0))));
    }

    @Test
    void zeroPointIsAddedAfterRounding() {
        // 5 / 2 = 2.5 rounds to 2, plus 1 = 3 (not round(3.5) = 4).
        assertTensor(DType.U8, s(1), new long[] {3}, run1("QuantizeLinear", 13, in(f(s(1), 5), f(s(), 2),
            u8(s(), 1))));
    }

    @Test
    void quantizePerAxisUsesOneScaleAndZeroPointPerChannel() {
        Tensor x = f(s(2, 3), 1, 2, 3, 1, 2, 3);
        Tensor y = run1("QuantizeLinear", 13, in(x, f(s(3), 1, 0.5f, 0.25f), u8(s(3), 0, 10, 100)), i("axis", 1));
        assertTensor(DType.U8, s(2, 3), new long[] {1, 14, 112, 1, 14, 112}, y);
        Tensor y0 = run1("QuantizeLinear", 13, in(x, f(s(2), 1, 0.5f), i8(s(2), 0, -10)), i("axis", 0));
        assertTensor(DType.I8, s(2, 3), new long[] {1, 2, 3, -8, -6, -4}, y0);
    }

    @Test
    void quantizeBlockedScalesInOpset21() {
        // Blocks of 2 along axis 1: columns 0-1 use the first scale of their row, column 2 the second.
        Tensor x = f(s(2, 3), 2, 4, 6, 2, 4, 6);
        Tensor y = run1("QuantizeLinear", 21, in(x, f(s(2, 2), 1, 2, 2, 1)), i("axis", 1), i("block_size", 2));
        assertTensor(DType.U8, s(2, 3), new long[] {2, 4, 3, 1, 2, 6}, y);
    }

    @Test
    void dequantizeBlockedScalesInOpset21() {
        // Blocks of 2 along axis 0 of a [3, 1] tensor: rows 0-1 share scale 2 and zero point 1, row 2 has 10 and 0.
        Tensor y = run1("DequantizeLinear", 21, in(u8(s(3, 1), 3, 5, 7), f(s(2, 1), 2, 10), u8(s(2, 1), 1, 0)),
            i("axis", 0), i("block_size", 2));
        assertTensor(s(3, 1), new float[] {4, 8, 70}, y, 0);
    }

    @Test
    void quantizeToOutputDtypeWithoutZeroPoint() {
        Tensor y = run1("QuantizeLinear", 21, in(f(s(2), -3, 3), f(s(), 1)), i("output_dtype", 3));
        assertTensor(DType.I8, s(2), new long[] {-3, 3}, y);
    }

    @Test
    void dequantizeScalarPerAxisAndInt32() {
        assertTensor(s(3), new float[] {-256, 0, 254}, run1("DequantizeLinear", 10, in(u8(s(3), 0, 128, 255),
            f(s(), 2), u8(s(), 128))), 0);
        Tensor x = i8(s(2, 2), -10, 10, -10, 10);
        assertTensor(s(2, 2), new float[] {-10, 10, -4, 6}, run1("DequantizeLinear", 13, in(x, f(s(2), 1, 0.5f),
            i8(s(2), 0, -2)), i("axis", 0)), 0);
        Tensor acc = Tensor.fromInts(new int[] {-1000, 70000}, 2);
        assertTensor(s(2), new float[] {-10, 700}, run1("DequantizeLinear", 10, in(acc, f(s(), 0.01f))), 1e-4f);
    }

    @Test
    void dynamicQuantizeMatchesOnnxExample() {
        Tensor x = f(s(6), 0, 2, -3, -2.5f, 1.34f, 0.5f);
        Tensor[] out = run("DynamicQuantizeLinear", 11, 3, in(x));
        assertTensor(DType.U8, s(6), new long[] {153, 255, 0, 26, 221, 179}, out[0]);
        assertTensor(s(), new float[] {5f / 255}, out[1], 1e-9f);
        assertTensor(DType.U8, s(), new long[] {153}, out[2]);
    }

    @Test
    void dynamicQuantizeOfPositiveDataKeepsZeroInRange() {
        Tensor[] out = run("DynamicQuantizeLinear", 11, 3, in(f(s(3), 1, 2, 4)));
        // min is clamped to 0: scale float32(4/255), zero point 0; 2 / scale in float32 is just below 127.5.
        assertTensor(DType.U8, s(3), new long[] {64, 127, 255}, out[0]);
        assertTensor(DType.U8, s(), new long[] {0}, out[2]);
    }
}
