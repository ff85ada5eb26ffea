package dev.sparq.nativecpu;

import dev.sparq.backend.ExecutionContext;
import dev.sparq.backend.Kernel;
import dev.sparq.backend.KernelRequest;
import dev.sparq.backend.UnsupportedKernelException;
import dev.sparq.graph.Node;
import dev.sparq.graph.ValueType;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/** Integer matrix products on the native int8 GEMM: uint8 activations × int8 constant weights → int32. */
final class IntegerGemmKernels {
    private IntegerGemmKernels() {
    }

    /**
     * MatMulInteger with A uint8 (any rank ≥ 2, leading dims as rows), B a constant int8 [K, N], a scalar A zero
     * point and no (or an all-zero) B zero point: weights packed once at load into the model's arena.
     */
    static Kernel matMulInteger(KernelRequest r) {
        Node n = r.node();
        ValueType aType = r.inputType(0);
        Tensor b = r.constantInput(1);
        if (aType.dtype() != DType.U8 || b == null || b.dtype() != DType.I8 || b.rank() != 2) {
            throw new UnsupportedKernelException("cpu-native MatMulInteger needs uint8 A and constant int8 2-D B");
        }
        int aZero = 0;
        if (n.hasInput(2)) {
            Tensor z = r.constantInput(2);
            if (z == null || z.size() != 1) {
                throw new UnsupportedKernelException("cpu-native MatMulInteger needs a constant scalar A zero point");
            }
            aZero = (int) z.getLong(0);
        }
        if (n.hasInput(3)) {
            Tensor z = r.constantInput(3);
            if (z == null) {
                throw new UnsupportedKernelException("cpu-native MatMulInteger needs a constant B zero point");
            }
            for (long i = 0; i < z.size(); i++) {
                if (z.getLong(i) != 0) {
                    throw new UnsupportedKernelException("cpu-native MatMulInteger takes symmetric int8 weights only");
                }
            }
        }
        int k = (int) b.dim(0);
        int cols = (int) b.dim(1);
        CpuKernels native_ = CpuKernels.get();
        MemorySegment packed = r.weightArena().allocate(native_.packedSize(k, cols), 64);
        MemorySegment sums = r.weightArena().allocate(4L * cols, 64);
        native_.packB(b.segment(), k, cols, cols, packed, sums);
        int zero = aZero;
        return (inputs, ctx) -> run(inputs[0], k, cols, zero, packed, sums, ctx);
    }

    private static Tensor[] run(Tensor a, int k, int cols, int aZero, MemorySegment packed, MemorySegment sums,
                                ExecutionContext ctx) {
        if (a.dtype() != DType.U8 || a.rank() < 2 || a.dim(a.rank() - 1) != k) {
            throw new IllegalArgumentException("A " + a.dtype() + Arrays.toString(a.shape()) + " does not fit B with "
                + k + " rows");
        }
        long rows = a.size() / k;
        long[] shape = a.shape();
        shape[shape.length - 1] = cols;
        Tensor y = ctx.allocateUninitialized(DType.I32, shape);
        if (rows > 0) {
            int m = Math.toIntExact(rows);
            // rows split across threads; each call runs the whole K for its rows, so results do not depend on threads
            int threads = ctx.threadsFor((m + 7) / 8);
            ctx.parallelFor(threads, t -> {
                int r0 = m * t / threads;
                int r1 = m * (t + 1) / threads;
                if (r1 > r0) {
                    CpuKernels.get().gemmU8S8S32(r1 - r0, cols, k, a.segment().asSlice((long) r0 * k), k, aZero,
                        packed, sums, y.segment().asSlice((long) r0 * cols * 4), cols);
                }
            });
        }
        return new Tensor[] {y};
    }
}
