package dev.sparq.nativecpu;

import dev.sparq.backend.Kernel;
import dev.sparq.backend.KernelRequest;
import dev.sparq.backend.UnsupportedKernelException;
import dev.sparq.graph.Node;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * com.microsoft QGemm without y_scale (a float32 output): what the QDQ fusion makes of a quantized classifier. The
 * native u8×s8 GEMM on weights packed at load (a quarter of the float weights' bytes, which a batch-1 GEMV streams),
 * then, as cpu-ref: (int32 sum + C[n]) × (a_scale·b_scale[n] in float32). Exact: the same floats as cpu-ref.
 * Alpha 1, A not transposed, symmetric int8 B (either layout), C absent or one int32 per column.
 */
final class QGemmToFloatKernel {
    private QGemmToFloatKernel() {
    }

    /** The requantized QGemm (y_scale present) goes to {@link QLinearKernels}, the float one here. */
    static Kernel dispatch(KernelRequest r) {
        return r.node().hasInput(7) ? QLinearKernels.qgemm(r) : create(r);
    }

    static Kernel create(KernelRequest r) {
        Node n = r.node();
        Tensor b = r.constantInput(3);
        DType aType = QLinearKernels.activationType(r, "QGemm");
        if (b == null || b.dtype() != DType.I8 || b.rank() != 2 || n.intAttr("transA", 0) != 0
            || n.floatAttr("alpha", 1f) != 1f) {
            throw new UnsupportedKernelException("cpu-native QGemm needs constant int8 2-D B, alpha 1 and transA 0");
        }
        boolean transB = n.intAttr("transB", 0) != 0;
        int k = (int) b.dim(transB ? 1 : 0);
        int cols = (int) b.dim(transB ? 0 : 1);
        float aScale = constant(r, 1, DType.F32, 1, "a_scale").getFloat(0);
        int aZero = n.hasInput(2) ? (int) constant(r, 2, aType, 1, "a_zero_point").getLong(0) : 0;
        int readZero = aType == DType.I8 ? aZero + 128 : aZero; // int8 A is read sign-flipped: x + 128
        Tensor bScale = constant(r, 4, DType.F32, cols, "b_scale");
        if (n.hasInput(5)) {
            Tensor bZero = constant(r, 5, DType.I8, cols, "b_zero_point");
            for (long i = 0; i < bZero.size(); i++) {
                if (bZero.getLong(i) != 0) {
                    throw new UnsupportedKernelException("cpu-native takes symmetric int8 weights only");
                }
            }
        }
        float[] scale = new float[cols];
        int[] c = new int[cols];
        Tensor ct = n.hasInput(6) ? constant(r, 6, DType.I32, cols, "C") : null;
        for (int j = 0; j < cols; j++) {
            scale[j] = 1f * aScale * bScale.getFloat(bScale.size() == 1 ? 0 : j); // f32, alpha first, as cpu-ref
            c[j] = ct == null ? 0 : (int) ct.getLong(ct.size() == 1 ? 0 : j);
        }
        CpuKernels nk = CpuKernels.get();
        MemorySegment packed = r.weightArena().allocate(nk.packedSize(k, cols), 64);
        MemorySegment sums = r.weightArena().allocate(4L * cols, 64);
        try (Arena scratch = Arena.ofConfined()) {
            // [cols, k] → [k, cols], the layout the packing reads
            MemorySegment kn = transB ? QLinearKernels.transposed(b, cols, k, scratch) : b.segment();
            nk.packB(kn, k, cols, cols, packed, sums);
        }
        return (inputs, ctx) -> {
            Tensor a = inputs[0];
            if (a.dtype() != aType || a.rank() != 2 || a.dim(1) != k) {
                throw new IllegalArgumentException("QGemm: A " + a.dtype() + Arrays.toString(a.shape()) + " must be "
                    + aType + " [M, " + k + "]");
            }
            int m = (int) a.dim(0);
            Tensor y = ctx.allocateUninitialized(DType.F32, m, cols);
            if (m == 0) {
                return new Tensor[] {y};
            }
            Tensor u = a;
            if (aType == DType.I8) {
                u = ctx.allocateUninitialized(DType.U8, a.shape());
                SignFlip.copy(a.segment(), u.segment());
            }
            try (Tensor acc = ctx.allocateUninitialized(DType.I32, m, cols)) {
                nk.gemmU8S8S32(m, cols, k, u.segment(), k, readZero, packed, sums, acc.segment(), cols);
                MemorySegment as = acc.segment();
                MemorySegment ys = y.segment();
                for (long row = 0; row < (long) m * cols; row += cols) {
                    for (int j = 0; j < cols; j++) {
                        int sum = as.getAtIndex(ValueLayout.JAVA_INT, row + j) + c[j]; // int32, wrapping as cpu-ref
                        ys.setAtIndex(ValueLayout.JAVA_FLOAT, row + j, sum * scale[j]);
                    }
                }
            } finally {
                if (u != a) {
                    u.close();
                }
            }
            return new Tensor[] {y};
        };
    }

    /** A constant of {@code type} at input {@code at} with one value or {@code perColumn} values. */
    private static Tensor constant(KernelRequest r, int at, DType type, int perColumn, String what) {
        Tensor t = r.constantInput(at);
        if (t == null || t.dtype() != type || (t.size() != 1 && t.size() != perColumn)) {
            throw new UnsupportedKernelException("cpu-native QGemm: " + what + " must be a constant " + type
                + (perColumn > 1 ? ", one value or " + perColumn : " scalar"));
        }
        return t;
    }
}
