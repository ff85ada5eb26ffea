package dev.sparq.backend.cpu.ref;

import dev.sparq.backend.Kernel;
import dev.sparq.backend.KernelRegistry;
import dev.sparq.backend.KernelRequest;
import dev.sparq.graph.Node;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;

/**
 * ONNX Runtime's {@code com.microsoft} QGemm: {@code Y = alpha · (A' − a_zp)(B' − b_zp) + C} with A' = A or Aᵀ and
 * B' = B or Bᵀ, 8-bit A and B, int32 C (scale a_scale·b_scale, zero point 0) broadcast onto [M, N], and b_scale /
 * b_zero_point per tensor or per column. With y_scale, Y is requantized like QLinearMatMul (float32 multiplier
 * alpha·a_scale·b_scale[n]/y_scale, applied in double, zero point, round half to even, saturate) to y_zero_point's
 * type (uint8 when absent); without it Y is float32: the int32 sum times alpha·a_scale·b_scale[n]. The QDQ fusion
 * turns a quantized Gemm with a bias into this op.
 */
final class QGemmOp {
    private QGemmOp() {
    }

    static void register(KernelRegistry r) {
        r.register(MicrosoftQuantOps.DOMAIN, "QGemm", RefSupport.withArity(9, QGemmOp::create));
    }

    private static Kernel create(KernelRequest req) {
        for (int i : new int[] {0, 2, 3, 5, 8}) {
            RefSupport.requireKnownDType(req, i, DType.U8, DType.I8);
        }
        for (int i : new int[] {1, 4, 7}) {
            RefSupport.requireKnownDType(req, i, DType.F32);
        }
        RefSupport.requireKnownDType(req, 6, DType.I32);
        Node n = req.node();
        boolean transA = n.intAttr("transA", 0) != 0;
        boolean transB = n.intAttr("transB", 0) != 0;
        float alpha = n.floatAttr("alpha", 1f);
        return (in, ctx) -> {
            Tensor a = in[0];
            Tensor b = in[3];
            if (a.rank() != 2 || b.rank() != 2) {
                throw new IllegalArgumentException("QGemm needs 2-D A and B, not " + a.rank() + "-D and " + b.rank() + "-D");
            }
            int m = (int) a.dim(transA ? 1 : 0);
            int k = (int) a.dim(transA ? 0 : 1);
            int cols = (int) b.dim(transB ? 0 : 1);
            if (b.dim(transB ? 1 : 0) != k) {
                throw new IllegalArgumentException("QGemm: A has K = " + k + " but B has " + b.dim(transB ? 1 : 0));
            }
            float aScale = (float) RefSupport.scalar(in[1], "a_scale");
            long aZero = in[2] == null ? 0 : (long) RefSupport.scalar(in[2], "a_zero_point");
            float[] bScale = perColumn(in[4], cols, "b_scale");
            long[] bZero = new long[cols];
            if (in[5] != null) {
                for (int j = 0; j < cols; j++) {
                    bZero[j] = in[5].getLong(perColumnIndex(in[5], cols, j, "b_zero_point"));
                }
            }
            int[] cMap = in[6] == null ? null
                : RefSupport.broadcastIndex(in[6].shape(), new long[] {m, cols}, "C");
            long[] acc = new long[m * cols];
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < cols; j++) {
                    long s = 0;
                    for (int kk = 0; kk < k; kk++) {
                        long av = a.getLong(transA ? (long) kk * m + i : (long) i * k + kk) - aZero;
                        long bv = b.getLong(transB ? (long) j * k + kk : (long) kk * cols + j) - bZero[j];
                        s += av * bv;
                    }
                    int sum = (int) s; // int32 accumulation wraps
                    if (cMap != null) {
                        sum += (int) in[6].getLong(cMap[i * cols + j]);
                    }
                    acc[i * cols + j] = sum;
                }
            }
            long[] shape = {m, cols};
            if (in[7] == null) {
                Tensor y = ctx.allocate(DType.F32, shape);
                for (int i = 0; i < acc.length; i++) {
                    y.setFloat(i, acc[i] * (alpha * aScale * bScale[i % cols]));
                }
                return new Tensor[] {y};
            }
            float yScale = (float) RefSupport.scalar(in[7], "y_scale");
            DType outType = in[8] != null ? in[8].dtype() : DType.U8;
            long yZero = in[8] == null ? 0 : (long) RefSupport.scalar(in[8], "y_zero_point");
            QuantRange range = QuantRange.of(outType);
            Tensor y = ctx.allocate(outType, shape);
            for (int i = 0; i < acc.length; i++) {
                float multiplier = alpha * aScale * bScale[i % cols] / yScale; // float32, as QLinearMatMul
                y.setLong(i, range.requantize(acc[i], multiplier, yZero));
            }
            return new Tensor[] {y};
        };
    }

    private static float[] perColumn(Tensor scale, int cols, String what) {
        RefSupport.requireDType(scale, DType.F32, what);
        float[] v = new float[cols];
        for (int j = 0; j < cols; j++) {
            v[j] = scale.getFloat(perColumnIndex(scale, cols, j, what));
        }
        return v;
    }

    private static int perColumnIndex(Tensor t, int cols, int j, String what) {
        if (t.size() == 1) {
            return 0;
        }
        if (t.rank() != 1 || t.size() != cols) {
            throw new IllegalArgumentException(what + " must be one value or one per column (" + cols + ")");
        }
        return j;
    }
}
