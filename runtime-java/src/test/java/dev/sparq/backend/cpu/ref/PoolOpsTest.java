package dev.sparq.backend.cpu.ref;

import static dev.sparq.backend.cpu.ref.RefAssert.assertTensor;
import static dev.sparq.backend.cpu.ref.RefAssert.f;
import static dev.sparq.backend.cpu.ref.RefAssert.in;
import static dev.sparq.backend.cpu.ref.RefAssert.run;
import static dev.sparq.backend.cpu.ref.RefAssert.run1;
import static dev.sparq.backend.cpu.ref.RefAssert.s;
import static dev.sparq.backend.cpu.ref.RefAssert.u8;
import static dev.sparq.testing.KernelHarness.f;
import static dev.sparq.testing.KernelHarness.i;
import static dev.sparq.testing.KernelHarness.ints;
import static dev.sparq.testing.KernelHarness.s;

import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import org.junit.jupiter.api.Test;

class PoolOpsTest {
    private static Tensor grid4x4() {
        float[] v = new float[16];
        for (int i = 0; i < 16; i++) {
            v[i] = i + 1;
        }
        return f(s(1, 1, 4, 4), v);
    }

    @Test
    void maxPoolIndicesInRowAndColumnMajorOrder() {
        Tensor[] rowMajor = run("MaxPool", 12, 2, in(grid4x4()), ints("kernel_shape", 2, 2), ints("strides", 2, 2));
        assertTensor(s(1, 1, 2, 2), new float[] {6, 8, 14, 16}, rowMajor[0], 0);
        assertTensor(DType.I64, s(1, 1, 2, 2), new long[] {5, 7, 13, 15}, rowMajor[1]);
        Tensor[] colMajor = run("MaxPool", 12, 2, in(grid4x4()), ints("kernel_shape", 2, 2), ints("strides", 2, 2),
            i("storage_order", 1));
        assertTensor(DType.I64, s(1, 1, 2, 2), new long[] {5, 13, 7, 15}, colMajor[1]);
    }

    @Test
    void maxPoolIndicesCountEarlierBatchesAndChannels() {
        Tensor x = f(s(2, 1, 2), 3, 1, 0, 9);
        Tensor[] y = run("MaxPool", 12, 2, in(x), ints("kernel_shape", 2));
        assertTensor(DType.I64, s(2, 1, 1), new long[] {0, 3}, y[1]);
    }

    @Test
    void ceilModeKeepsPartialWindowsButNotOnesStartingInThePadding() {
        assertTensor(s(1, 1, 2, 2), new float[] {11, 12, 15, 16}, run1("MaxPool", 12, in(grid4x4()),
            ints("kernel_shape", 3, 3), ints("strides", 2, 2), i("ceil_mode", 1)), 0);
        assertTensor(s(1, 1, 2, 2), new float[] {6, 7.5f, 12, 13.5f}, run1("AveragePool", 12, in(grid4x4()),
            ints("kernel_shape", 3, 3), ints("strides", 2, 2), i("ceil_mode", 1)), 1e-6f);
        // Length 4, kernel 2, stride 2, end pad 1: ceil gives 3 windows, but the third would start in the padding.
        Tensor x = f(s(1, 1, 4), 1, 2, 3, 4);
        assertTensor(s(1, 1, 2), new float[] {2, 4}, run1("MaxPool", 12, in(x), ints("kernel_shape", 2),
            ints("strides", 2), ints("pads", 0, 1), i("ceil_mode", 1)), 0);
        // Length 5: the third window starts at 4, inside the input, so it stays.
        Tensor x5 = f(s(1, 1, 5), 1, 2, 3, 4, 5);
        assertTensor(s(1, 1, 3), new float[] {2, 4, 5}, run1("MaxPool", 12, in(x5), ints("kernel_shape", 2),
            ints("strides", 2), i("ceil_mode", 1)), 0);
        // VALID's size formula has no ceil: floor((5 - 2) / 2) + 1 = 2 windows.
        assertTensor(s(1, 1, 2), new float[] {2, 4}, run1("MaxPool", 12, in(x5), ints("kernel_shape", 2),
            ints("strides", 2), i("ceil_mode", 1), s("auto_pad", "VALID")), 0);
    }

    @Test
    void averagePoolCountIncludePad() {
        float[] v = {1, 2, 3, 4, 5, 6, 7, 8, 9};
        Tensor x = f(s(1, 1, 3, 3), v);
        Tensor excl = run1("AveragePool", 11, in(x), ints("kernel_shape", 3, 3), ints("pads", 1, 1, 1, 1));
        Tensor incl = run1("AveragePool", 11, in(x), ints("kernel_shape", 3, 3), ints("pads", 1, 1, 1, 1),
            i("count_include_pad", 1));
        assertTensor(s(1, 1, 3, 3), new float[] {3, 3.5f, 4, 4.5f, 5, 5.5f, 6, 6.5f, 7}, excl, 1e-6f);
        assertTensor(s(1, 1, 3, 3), new float[] {12 / 9f, 21 / 9f, 16 / 9f, 27 / 9f, 5, 33 / 9f, 24 / 9f, 39 / 9f,
            28 / 9f}, incl, 1e-6f);
    }

    @Test
    void sameUpperAndLowerPadOppositeEnds() {
        Tensor x = f(s(1, 1, 4), 1, 2, 3, 4);
        assertTensor(s(1, 1, 4), new float[] {1.5f, 2.5f, 3.5f, 4}, run1("AveragePool", 11, in(x),
            ints("kernel_shape", 2), s("auto_pad", "SAME_UPPER")), 1e-6f);
        assertTensor(s(1, 1, 4), new float[] {1, 1.5f, 2.5f, 3.5f}, run1("AveragePool", 11, in(x),
            ints("kernel_shape", 2), s("auto_pad", "SAME_LOWER")), 1e-6f);
        // SAME with stride 2: ceil(4/2) = 2 outputs, total pad (2-1)*2 + 3 - 4 = 1 at the end.
        assertTensor(s(1, 1, 2), new float[] {3, 4}, run1("MaxPool", 11, in(x), ints("kernel_shape", 3),
            ints("strides", 2), s("auto_pad", "SAME_UPPER")), 0);
    }

    @Test
    void dilatedWindowsSkipElements() {
        Tensor x = f(s(1, 1, 5), 1, 5, 2, 8, 3);
        assertTensor(s(1, 1, 3), new float[] {2, 8, 3}, run1("MaxPool", 12, in(x), ints("kernel_shape", 2),
            ints("dilations", 2)), 0);
        assertTensor(s(1, 1, 3), new float[] {1.5f, 6.5f, 2.5f}, run1("AveragePool", 19, in(x),
            ints("kernel_shape", 2), ints("dilations", 2)), 1e-6f);
    }

    @Test
    void maxPoolOnUint8KeepsTheType() {
        Tensor x = u8(s(1, 1, 4), 10, 250, 3, 7);
        assertTensor(DType.U8, s(1, 1, 2), new long[] {250, 7}, run1("MaxPool", 12, in(x), ints("kernel_shape", 2),
            ints("strides", 2)));
    }

    @Test
    void maxPool3d() {
        float[] v = new float[8];
        for (int k = 0; k < 8; k++) {
            v[k] = (k * 5) % 8;
        }
        // values 0,5,2,7,4,1,6,3: max 7 at flat index 3.
        Tensor[] y = run("MaxPool", 12, 2, in(f(s(1, 1, 2, 2, 2), v)), ints("kernel_shape", 2, 2, 2));
        assertTensor(s(1, 1, 1, 1, 1), new float[] {7}, y[0], 0);
        assertTensor(DType.I64, s(1, 1, 1, 1, 1), new long[] {3}, y[1]);
    }

    @Test
    void lpPoolAndGlobalPools() {
        Tensor x = f(s(1, 2, 2), 3, 4, -1, 5);
        assertTensor(s(1, 2, 1), new float[] {5, (float) Math.sqrt(26)}, run1("LpPool", 11, in(x),
            ints("kernel_shape", 2), i("p", 2)), 1e-6f);
        assertTensor(s(1, 2, 1), new float[] {3.5f, 2}, run1("GlobalAveragePool", 11, in(x)), 1e-6f);
        assertTensor(s(1, 2, 1), new float[] {4, 5}, run1("GlobalMaxPool", 11, in(x)), 0);
        assertTensor(s(1, 2, 1), new float[] {7, 6}, run1("GlobalLpPool", 11, in(x), i("p", 1)), 1e-6f);
        // Opset 1 wrote p as a float.
        assertTensor(s(1, 2, 1), new float[] {7, 6}, run1("GlobalLpPool", 1, in(x), f("p", 1)), 1e-6f);
    }
}
