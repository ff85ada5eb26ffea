package dev.sparq.backend.cpu.ref;

import static dev.sparq.backend.cpu.ref.RefAssert.assertTensor;
import static dev.sparq.backend.cpu.ref.RefAssert.f;
import static dev.sparq.backend.cpu.ref.RefAssert.in;
import static dev.sparq.backend.cpu.ref.RefAssert.run1;
import static dev.sparq.backend.cpu.ref.RefAssert.s;
import static dev.sparq.testing.KernelHarness.f;
import static dev.sparq.testing.KernelHarness.i;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import org.junit.jupiter.api.Test;

class MatMulOpsTest {
    // A = [[1,2,3],[4,5,6]] (2x3), B = [[1,0],[0,1],[1,1]] (3x2): A*B = [[4,5],[10,11]].
    private static final float[] A = {1, 2, 3, 4, 5, 6};
    private static final float[] B = {1, 0, 0, 1, 1, 1};

    @Test
    void gemmWithTransposesAlphaBetaAndRowBias() {
        Tensor at = f(s(3, 2), 1, 4, 2, 5, 3, 6);
        Tensor bt = f(s(2, 3), 1, 0, 1, 0, 1, 1);
        Tensor c = f(s(2), 100, 200);
        Tensor y = run1("Gemm", 13, in(at, bt, c), i("transA", 1), i("transB", 1), f("alpha", 2), f("beta", 0.5f));
        assertTensor(s(2, 2), new float[] {58, 110, 70, 122}, y, 0);
    }

    @Test
    void gemmBroadcastsColumnAndScalarBias() {
        Tensor column = f(s(2, 1), 10, 20);
        assertTensor(s(2, 2), new float[] {14, 15, 30, 31}, run1("Gemm", 13, in(f(s(2, 3), A), f(s(3, 2), B),
            column)), 0);
        assertTensor(s(2, 2), new float[] {5, 6, 11, 12}, run1("Gemm", 13, in(f(s(2, 3), A), f(s(3, 2), B),
            f(s(), 1))), 0);
        assertThrows(IllegalArgumentException.class, () -> run1("Gemm", 13, in(f(s(2, 3), A), f(s(3, 2), B),
            f(s(3), 1, 2, 3))));
    }

    @Test
    void gemmBiasIsOptionalFromOpset11Only() {
        assertTensor(s(2, 2), new float[] {4, 5, 10, 11}, run1("Gemm", 11, in(f(s(2, 3), A), f(s(3, 2), B))), 0);
        assertThrows(IllegalArgumentException.class, () -> run1("Gemm", 9, in(f(s(2, 3), A), f(s(3, 2), B))));
    }

    @Test
    void matMulBroadcastsBatchDims() {
        Tensor a = f(s(2, 1, 2), 1, 2, 3, 4);
        Tensor b = f(s(2, 3), 1, 0, 2, 0, 1, 3);
        assertTensor(s(2, 1, 3), new float[] {1, 2, 8, 3, 4, 18}, run1("MatMul", 13, in(a, b)), 0);
        // [2,1,1,2] x [3,2,1] broadcasts to batch [2,3].
        Tensor a4 = f(s(2, 1, 1, 2), 1, 2, 3, 4);
        Tensor b3 = f(s(3, 2, 1), 1, 0, 0, 1, 1, 1);
        assertTensor(s(2, 3, 1, 1), new float[] {1, 2, 3, 3, 4, 7}, run1("MatMul", 13, in(a4, b3)), 0);
    }

    @Test
    void matMulPromotesOneDimensionalOperands() {
        Tensor b = f(s(2, 2, 3), 1, 0, 2, 0, 1, 3, 1, 1, 1, 2, 2, 2);
        assertTensor(s(2, 3), new float[] {1, 2, 8, 5, 5, 5}, run1("MatMul", 13, in(f(s(2), 1, 2), b)), 0);
        assertTensor(s(2), new float[] {14, 32}, run1("MatMul", 13, in(f(s(2, 3), A), f(s(3), 1, 2, 3))), 0);
        assertTensor(s(), new float[] {14}, run1("MatMul", 13, in(f(s(3), 1, 2, 3), f(s(3), 1, 2, 3))), 0);
        assertThrows(IllegalArgumentException.class, () -> run1("MatMul", 13, in(f(s(2, 3), A), f(s(2), 1, 2))));
    }

    @Test
    void integerMatMulWrapsLikeInt32() {
        Tensor a = Tensor.fromInts(new int[] {Integer.MAX_VALUE, 1}, 1, 2);
        Tensor b = Tensor.fromInts(new int[] {1, 1}, 2, 1);
        assertTensor(DType.I32, s(1, 1), new long[] {Integer.MIN_VALUE}, run1("MatMul", 13, in(a, b)));
        Tensor la = Tensor.fromLongs(new long[] {3, -4}, 1, 2);
        Tensor lb = Tensor.fromLongs(new long[] {5, 6}, 2, 1);
        assertTensor(DType.I64, s(1, 1), new long[] {-9}, run1("MatMul", 13, in(la, lb)));
    }
}
