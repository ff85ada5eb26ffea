package dev.sparq.backend.cpu.ref;

import dev.sparq.tensor.Shapes;
import java.util.Arrays;

/**
 * Shapes of a numpy.matmul (MatMul, MatMulInteger, QLinearMatMul): a 1-D A is read as [1, K] and a 1-D B as
 * [K, 1], the added dim being dropped from the result; leading batch dims broadcast. {@code aMatrix[i]} and
 * {@code bMatrix[i]} are the matrix numbers (in units of M*K and K*N elements) that output matrix {@code i} uses.
 */
record MatMulShape(long[] outputShape, int m, int k, int n, int[] aMatrix, int[] bMatrix) {
    static MatMulShape of(long[] a, long[] b) {
        if (a.length == 0 || b.length == 0) {
            throw new IllegalArgumentException("MatMul inputs must have rank >= 1, got " + Arrays.toString(a)
                + " and " + Arrays.toString(b));
        }
        long[] a2 = a.length == 1 ? new long[] {1, a[0]} : a;
        long[] b2 = b.length == 1 ? new long[] {b[0], 1} : b;
        long m = a2[a2.length - 2];
        long k = a2[a2.length - 1];
        long n = b2[b2.length - 1];
        if (b2[b2.length - 2] != k) {
            throw new IllegalArgumentException("MatMul shapes " + Arrays.toString(a) + " and " + Arrays.toString(b)
                + " do not agree on K");
        }
        long[] aBatch = Arrays.copyOf(a2, a2.length - 2);
        long[] bBatch = Arrays.copyOf(b2, b2.length - 2);
        long[] batch = Shapes.broadcast(aBatch, bBatch);
        int[] aIdx = RefSupport.broadcastIndex(aBatch, batch, "A batch dims");
        int[] bIdx = RefSupport.broadcastIndex(bBatch, batch, "B batch dims");
        long[] out = Arrays.copyOf(batch, batch.length + (a.length == 1 ? 0 : 1) + (b.length == 1 ? 0 : 1));
        int pos = batch.length;
        if (a.length != 1) {
            out[pos++] = m;
        }
        if (b.length != 1) {
            out[pos] = n;
        }
        return new MatMulShape(out, Math.toIntExact(m), Math.toIntExact(k), Math.toIntExact(n), aIdx, bIdx);
    }

    int batches() {
        return aMatrix.length;
    }
}
