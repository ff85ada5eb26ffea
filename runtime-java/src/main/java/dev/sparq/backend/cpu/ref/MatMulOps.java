package dev.sparq.backend.cpu.ref;

import dev.sparq.backend.Kernel;
import dev.sparq.backend.KernelRegistry;
import dev.sparq.backend.KernelRequest;
import dev.sparq.graph.Node;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import java.util.Arrays;

/** Gemm (f32) and MatMul (f32 and 32/64-bit integers, numpy.matmul broadcasting). */
final class MatMulOps {
    private MatMulOps() {
    }

    static void register(KernelRegistry r) {
        r.register("Gemm", RefSupport.withArity(3, MatMulOps::gemm));
        r.register("MatMul", RefSupport.withArity(2, MatMulOps::matMul));
    }

    /** c[cOff..] += a[aOff..] (m x k) times b[bOff..] (k x n), row-major; i-k-j order keeps the inner loop contiguous. */
    static void multiply(float[] a, int aOff, float[] b, int bOff, float[] c, int cOff, int m, int k, int n) {
        for (int i = 0; i < m; i++) {
            int cRow = cOff + i * n;
            for (int p = 0; p < k; p++) {
                float av = a[aOff + i * k + p];
                int bRow = bOff + p * n;
                for (int j = 0; j < n; j++) {
                    c[cRow + j] += av * b[bRow + j];
                }
            }
        }
    }

    /** The integer twin of {@link #multiply(float[], int, float[], int, float[], int, int, int, int)}. */
    static void multiply(long[] a, int aOff, long[] b, int bOff, long[] c, int cOff, int m, int k, int n) {
        for (int i = 0; i < m; i++) {
            int cRow = cOff + i * n;
            for (int p = 0; p < k; p++) {
                long av = a[aOff + i * k + p];
                int bRow = bOff + p * n;
                for (int j = 0; j < n; j++) {
                    c[cRow + j] += av * b[bRow + j];
                }
            }
        }
    }

    private static Kernel gemm(KernelRequest req) {
        RefSupport.requireKnownDTypes(req, DType.F32);
        Node n = req.node();
        boolean requiresC = req.opset() < 11;
        float alpha = n.floatAttr("alpha", 1f);
        float beta = n.floatAttr("beta", 1f);
        boolean transA = n.intAttr("transA", 0) != 0;
        boolean transB = n.intAttr("transB", 0) != 0;
        return (in, ctx) -> {
            if (requiresC && in[2] == null) {
                throw new IllegalArgumentException("Gemm before opset 11 requires input C");
            }
            if (in[0].rank() != 2 || in[1].rank() != 2) {
                throw new IllegalArgumentException("Gemm needs 2-D A and B, got " + Arrays.toString(in[0].shape())
                    + " and " + Arrays.toString(in[1].shape()));
            }
            float[] a = RefSupport.f32(in[0], "A");
            float[] b = RefSupport.f32(in[1], "B");
            int m = (int) in[0].dim(transA ? 1 : 0);
            int k = (int) in[0].dim(transA ? 0 : 1);
            int n2 = (int) in[1].dim(transB ? 0 : 1);
            if (in[1].dim(transB ? 1 : 0) != k) {
                throw new IllegalArgumentException("Gemm A " + Arrays.toString(in[0].shape()) + " and B "
                    + Arrays.toString(in[1].shape()) + " do not agree on K");
            }
            if (transA) {
                a = transpose(a, k, m);
            }
            if (transB) {
                b = transpose(b, n2, k);
            }
            float[] y = new float[Math.multiplyExact(m, n2)];
            multiply(a, 0, b, 0, y, 0, m, k, n2);
            for (int i = 0; i < y.length; i++) {
                y[i] *= alpha;
            }
            if (in[2] != null) {
                addScaledBroadcast(y, m, n2, in[2], beta);
            }
            return new Tensor[] {RefSupport.f32Tensor(ctx, new long[] {m, n2}, y)};
        };
    }

    /** y += beta * C, with C unidirectionally broadcast to [m, n]. */
    private static void addScaledBroadcast(float[] y, int m, int n, Tensor cTensor, float beta) {
        if (cTensor.rank() > 2) {
            throw new IllegalArgumentException("Gemm C must have rank <= 2, got " + Arrays.toString(cTensor.shape()));
        }
        int[] map = RefSupport.broadcastIndex(cTensor.shape(), new long[] {m, n}, "Gemm C");
        float[] c = RefSupport.f32(cTensor, "C");
        for (int i = 0; i < y.length; i++) {
            y[i] += beta * c[map[i]];
        }
    }

    private static float[] transpose(float[] src, int rows, int cols) {
        float[] t = new float[src.length];
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                t[j * rows + i] = src[i * cols + j];
            }
        }
        return t;
    }

    private static Kernel matMul(KernelRequest req) {
        DType[] types = {DType.F32, DType.I32, DType.I64, DType.U32};
        RefSupport.requireKnownDType(req, 0, types);
        RefSupport.requireKnownDType(req, 1, types);
        return (in, ctx) -> {
            if (in[0].dtype() != in[1].dtype() || !Arrays.asList(types).contains(in[0].dtype())) {
                throw new IllegalArgumentException("MatMul of " + in[0].dtype() + " and " + in[1].dtype()
                    + " is not supported");
            }
            MatMulShape s = MatMulShape.of(in[0].shape(), in[1].shape());
            int aSize = s.m() * s.k();
            int bSize = s.k() * s.n();
            int cSize = s.m() * s.n();
            if (in[0].dtype() == DType.F32) {
                float[] a = in[0].toFloatArray();
                float[] b = in[1].toFloatArray();
                float[] c = new float[Math.multiplyExact(s.batches(), cSize)];
                for (int i = 0; i < s.batches(); i++) {
                    multiply(a, s.aMatrix()[i] * aSize, b, s.bMatrix()[i] * bSize, c, i * cSize, s.m(), s.k(), s.n());
                }
                return new Tensor[] {RefSupport.f32Tensor(ctx, s.outputShape(), c)};
            }
            long[] a = in[0].toLongArray();
            long[] b = in[1].toLongArray();
            long[] c = new long[Math.multiplyExact(s.batches(), cSize)];
            for (int i = 0; i < s.batches(); i++) {
                multiply(a, s.aMatrix()[i] * aSize, b, s.bMatrix()[i] * bSize, c, i * cSize, s.m(), s.k(), s.n());
            }
            // Wraps to the element width, like numpy's fixed-width integers.
            return new Tensor[] {RefSupport.integerTensor(ctx, in[0].dtype(), s.outputShape(), c)};
        };
    }
}
