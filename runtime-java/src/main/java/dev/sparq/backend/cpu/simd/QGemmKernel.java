package dev.sparq.backend.cpu.simd;

import dev.sparq.backend.Kernel;
import dev.sparq.backend.KernelRequest;
import dev.sparq.backend.UnsupportedKernelException;
import dev.sparq.graph.Node;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * com.microsoft QGemm (a, a_scale, a_zp, b, b_scale, b_zp, C, y_scale, y_zp) with alpha 1, A not transposed, a
 * constant 8-bit B (either layout), and C absent or one int32 per column: int32 rows from {@link IntGemm} plus C,
 * then requantized ({@link Requantizer}) or, without y_scale, scaled to float32 as cpu-ref does (the int32 sum
 * times the f32 product a_scale·b_scale[n]). Same values as cpu-ref.
 */
final class QGemmKernel {
    private QGemmKernel() {
    }

    static Kernel create(KernelRequest r) {
        Node n = r.node();
        Tensor b = r.constantInput(3);
        if (b == null || !QuantParams.isEightBit(b.dtype()) || b.rank() != 2 || n.intAttr("transA", 0) != 0
            || n.floatAttr("alpha", 1f) != 1f) {
            throw new UnsupportedKernelException("cpu-simd QGemm needs a constant 8-bit 2-D B, alpha 1 and transA 0");
        }
        boolean transB = n.intAttr("transB", 0) != 0;
        int k = (int) b.dim(transB ? 1 : 0);
        int cols = (int) b.dim(transB ? 0 : 1);
        Tensor aZeroT = QuantParams.zeroPoint(r, 2, "a_zero_point");
        DType aType = QuantParams.inputType(r, 0, aZeroT, "a");
        int aZero = aZeroT == null ? 0 : (int) aZeroT.getLong(0);
        int[] bZero = QuantParams.weightZeros(r, 5, b, cols, "b");
        int[] c = columnBias(r, cols);
        float aScale = QuantParams.scale(r, 1, "a_scale");
        Tensor bScale = QuantParams.scales(r, 4, cols, "b_scale");
        Requantizer rq = null;
        float[] toFloat = null;
        if (n.hasInput(7)) {
            Tensor yZero = QuantParams.zeroPoint(r, 8, "y_zero_point");
            DType yType = QuantParams.outputType(yZero, DType.U8);
            rq = Requantizer.of(aScale, bScale, QuantParams.scale(r, 7, "y_scale"), cols, null,
                yZero == null ? 0 : (int) yZero.getLong(0), yType, r.outputBounds(yType));
        } else {
            toFloat = new float[cols];
            for (int j = 0; j < cols; j++) {
                toFloat[j] = 1f * aScale * bScale.getFloat(bScale.size() == 1 ? 0 : j); // f32, alpha first, as cpu-ref
            }
        }
        IntGemm.Packed packed = IntGemm.pack(k, cols, (kk, j) ->
            (int) b.getLong(transB ? (long) j * k + kk : (long) kk * cols + j) - bZero[j]);
        Requantizer requantizer = rq;
        float[] scales = toFloat;
        DType yType = rq != null ? rq.dtype() : DType.F32;
        return (inputs, ctx) -> {
            Tensor a = inputs[0];
            if (a.rank() != 2 || a.dim(1) != k || !QuantParams.isEightBit(a.dtype())
                || (aType != null && a.dtype() != aType)) {
                throw new IllegalArgumentException("QGemm: A " + a.dtype() + Arrays.toString(a.shape())
                    + " must be 8-bit [M, " + k + "]");
            }
            int m = (int) a.dim(0);
            Tensor y = ctx.allocateUninitialized(yType, m, cols);
            IntegerKernels.eachRow(a, k, cols, aZero, packed, ctx, (acc, i) -> {
                if (c != null) {
                    for (int j = 0; j < cols; j++) {
                        acc[j] += c[j]; // int32, wrapping like the reference
                    }
                }
                if (requantizer != null) {
                    requantizer.row(acc, 0, cols, y.segment(), (long) i * cols);
                } else {
                    for (int j = 0; j < cols; j++) {
                        y.segment().setAtIndex(ValueLayout.JAVA_FLOAT, (long) i * cols + j, acc[j] * scales[j]);
                    }
                }
            });
            return new Tensor[] {y};
        };
    }

    /** C (input 6): absent (null), or a constant int32 with one value or one per column. */
    private static int[] columnBias(KernelRequest r, int cols) {
        if (!r.node().hasInput(6)) {
            return null;
        }
        Tensor t = r.constantInput(6);
        if (t == null || t.dtype() != DType.I32 || (t.size() != 1 && t.size() != cols)
            || (t.size() != 1 && t.dim(t.rank() - 1) != cols)) {
            throw new UnsupportedKernelException("cpu-simd QGemm needs C absent or a constant int32 per column");
        }
        int[] c = new int[cols];
        for (int j = 0; j < cols; j++) {
            c[j] = (int) t.getLong(t.size() == 1 ? 0 : j);
        }
        return c;
    }
}
