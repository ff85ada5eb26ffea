package dev.sparq.backend.cpu.ref;

import static dev.sparq.backend.cpu.ref.RefAssert.assertTensor;
import static dev.sparq.backend.cpu.ref.RefAssert.f;
import static dev.sparq.backend.cpu.ref.RefAssert.in;
import static dev.sparq.backend.cpu.ref.RefAssert.run1;
import static dev.sparq.backend.cpu.ref.RefAssert.s;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import org.junit.jupiter.api.Test;

class EinsumOpTest {
    private static final Tensor A = f(s(2, 3), 1, 2, 3, 4, 5, 6);
    private static final Tensor B = f(s(3, 2), 1, 0, 0, 1, 1, 1);

    private static Tensor einsum(String eq, Tensor... inputs) {
        return run1("Einsum", 12, inputs, dev.sparq.testing.KernelHarness.s("equation", eq));
    }

    @Test
    void explicitMatMulTransposeAndSum() {
        assertTensor(s(2, 2), new float[] {4, 5, 10, 11}, einsum("ij,jk->ik", A, B), 0);
        assertTensor(s(3, 2), new float[] {1, 4, 2, 5, 3, 6}, einsum("ij->ji", A), 0);
        assertTensor(s(3), new float[] {5, 7, 9}, einsum("ij->j", A), 0);
        assertTensor(s(), new float[] {21}, einsum("ij->", A), 0);
    }

    @Test
    void implicitOutputIsTheSingleUseLettersInOrder() {
        Tensor y = einsum("ba,cb", f(s(2, 2), 1, 2, 3, 4), f(s(2, 2), 1, 0, 0, 1));
        // y[a][c] = sum_b x[b][a] * w[c][b]: x^T * w^T = [[1,3],[2,4]].
        assertTensor(s(2, 2), new float[] {1, 3, 2, 4}, y, 0);
        // Every letter used twice: a full contraction, the sum of squares.
        assertTensor(s(), new float[] {91}, einsum("ij,ij", A, A), 0);
    }

    @Test
    void repeatedLabelTakesTheDiagonal() {
        Tensor sq = f(s(3, 3), 1, 2, 3, 4, 5, 6, 7, 8, 9);
        assertTensor(s(), new float[] {15}, einsum("ii", sq), 0);
        assertTensor(s(3), new float[] {1, 5, 9}, einsum("ii->i", sq), 0);
    }

    @Test
    void ellipsisBroadcastsBatchDims() {
        Tensor batch = f(s(2, 1, 2), 1, 2, 3, 4);
        Tensor m = f(s(2, 2), 1, 1, 0, 1);
        assertTensor(s(2, 1, 2), new float[] {1, 3, 3, 7}, einsum("...ij,jk->...ik", batch, m), 0);
        // Batch dims [2] and [1] broadcast to [2].
        Tensor u = f(s(2, 2), 1, 2, 3, 4);
        Tensor v = f(s(1, 2), 10, 100);
        assertTensor(s(2), new float[] {210, 430}, einsum("...i,...i->...", u, v), 0);
    }

    @Test
    void integerEinsumAndErrors() {
        Tensor a = Tensor.fromLongs(new long[] {1, 2, 3}, 3);
        assertTensor(DType.I64, s(3, 3), new long[] {1, 2, 3, 2, 4, 6, 3, 6, 9}, einsum("i,j->ij", a, a));
        assertThrows(IllegalArgumentException.class, () -> einsum("ij,jk->ik", A, A));
        assertThrows(IllegalArgumentException.class, () -> einsum("ij->ii", A));
    }
}
