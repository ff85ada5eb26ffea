package dev.sparq.backend.cpu.ref;

import static dev.sparq.backend.cpu.ref.RefAssert.assertTensor;
import static dev.sparq.backend.cpu.ref.RefAssert.f;
import static dev.sparq.backend.cpu.ref.RefAssert.i8;
import static dev.sparq.backend.cpu.ref.RefAssert.s;
import static dev.sparq.backend.cpu.ref.RefAssert.u8;
import static dev.sparq.testing.KernelHarness.i;

import dev.sparq.graph.Attribute;
import dev.sparq.graph.Node;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import dev.sparq.testing.KernelHarness;
import org.junit.jupiter.api.Test;

class MicrosoftQuantOpsTest {
    private static Tensor runMs(String op, Tensor[] inputs, Attribute... attrs) {
        Node plain = KernelHarness.node(op, inputs.length, 1, attrs);
        Node ms = new Node(plain.name(), op, "com.microsoft", plain.inputs(), plain.outputs(), plain.attributes());
        return KernelHarness.run(RefAssert.REF, ms, 1, inputs)[0];
    }

    @Test
    void qlinearAddBroadcastsAndRequantizes() {
        // A = (a - 10) * 0.5 = [0, 5], B = (b - 0) * 1 = 2 (broadcast); sum / 0.25 + 3.
        Tensor y = runMs("QLinearAdd", new Tensor[] {u8(s(2), 10, 20), f(s(), 0.5f), u8(s(), 10), u8(s(1), 2),
            f(s(), 1), u8(s(), 0), f(s(), 0.25f), u8(s(), 3)});
        assertTensor(DType.U8, s(2), new long[] {11, 31}, y);
    }

    @Test
    void qlinearMulSaturatesAndRoundsHalfToEven() {
        // With C scale 10: 5 * 5 / 10 = 2.5 rounds to 2, -12 * 12 / 10 = -14.4 to -14; with C scale 1, -144
        // saturates at -128.
        Tensor y = runMs("QLinearMul", new Tensor[] {i8(s(2), 5, -12), f(s(), 1), i8(s(), 0), i8(s(2), 5, 12),
            f(s(), 1), i8(s(), 0), f(s(), 10), i8(s(), 0)});
        assertTensor(DType.I8, s(2), new long[] {2, -14}, y);
        Tensor sat = runMs("QLinearMul", new Tensor[] {i8(s(1), -12), f(s(), 1), i8(s(), 0), i8(s(1), 12),
            f(s(), 1), i8(s(), 0), f(s(), 1), i8(s(), 0)});
        assertTensor(DType.I8, s(1), new long[] {-128}, sat);
    }

    @Test
    void qlinearGlobalAveragePoolInBothLayouts() {
        // Channel 0 values 1,3 (mean 2 after zero point 0), channel 1 values 5,9 (mean 7); scale 1 -> y / 0.5.
        Tensor nchw = u8(s(1, 2, 1, 2), 1, 3, 5, 9);
        assertTensor(DType.U8, s(1, 2, 1, 1), new long[] {4, 14}, runMs("QLinearGlobalAveragePool",
            new Tensor[] {nchw, f(s(), 1), u8(s(), 0), f(s(), 0.5f), u8(s(), 0)}));
        Tensor nhwc = u8(s(1, 1, 2, 2), 1, 5, 3, 9);
        assertTensor(DType.U8, s(1, 1, 1, 2), new long[] {4, 14}, runMs("QLinearGlobalAveragePool",
            new Tensor[] {nhwc, f(s(), 1), u8(s(), 0), f(s(), 0.5f), u8(s(), 0)}, i("channels_last", 1)));
    }
}
