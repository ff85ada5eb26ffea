package dev.sparq.backend.cpu.simd;

import dev.sparq.backend.Kernel;
import dev.sparq.backend.KernelRequest;
import dev.sparq.backend.UnsupportedKernelException;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import java.util.Arrays;

/**
 * com.microsoft QLinearAdd of two same-shape 8-bit tensors (the residual Adds of a quantized ResNet): C =
 * Q(DQ(A) + DQ(B)), by definition the float32 sum of the dequantized operands requantized. Built from the exact
 * vector primitives of DequantizeLinear, Add and QuantizeLinear, a block at a time so the floats stay in cache; the
 * same bits as cpu-ref. Broadcasting operands are left to cpu-ref. Its clamped form ({@link
 * dev.sparq.graph.ClampedQuantizedOp}) quantizes into the narrower bounds.
 */
final class QLinearAddKernel {
    private static final int BLOCK = 4096;

    private QLinearAddKernel() {
    }

    private record Operand(float scale, int zeroPoint) {
        static Operand of(KernelRequest r, int scaleAt, int zeroAt, DType type, String what) {
            float scale = QuantParams.scale(r, scaleAt, what + " scale");
            Tensor zero = QuantParams.zeroPoint(r, zeroAt, what + " zero point");
            if (zero != null && zero.dtype() != type) {
                throw new UnsupportedKernelException(what + " zero point is " + zero.dtype() + ", not " + type);
            }
            return new Operand(scale, zero == null ? 0 : (int) zero.getLong(0));
        }
    }

    static Kernel create(KernelRequest r) {
        DType type = r.inputType(0).dtype();
        if ((type != DType.U8 && type != DType.I8) || r.inputType(3).dtype() != type) {
            throw new UnsupportedKernelException("cpu-simd QLinearAdd needs two 8-bit operands of one type");
        }
        Operand a = Operand.of(r, 1, 2, type, "A");
        Operand b = Operand.of(r, 4, 5, type, "B");
        Operand c = Operand.of(r, 6, 7, type, "C");
        boolean unsigned = type == DType.U8;
        int[] bounds = r.outputBounds(type);
        int qmin = bounds[0];
        int qmax = bounds[1];
        return (inputs, ctx) -> {
            Tensor x = inputs[0];
            Tensor y = inputs[3];
            if (x.dtype() != type || y.dtype() != type || !Arrays.equals(x.shape(), y.shape())) {
                throw new IllegalArgumentException("cpu-simd QLinearAdd planned for two " + type
                    + " tensors of one shape, got " + x.dtype() + Arrays.toString(x.shape()) + " and " + y.dtype()
                    + Arrays.toString(y.shape()));
            }
            Tensor out = ctx.allocateUninitialized(type, x.shape());
            long n = x.size();
            int blocks = (int) ((n + BLOCK - 1) / BLOCK);
            int threads = ctx.threadsFor(blocks / 16);
            ctx.parallelFor(threads, t -> {
                SimdOps ops = SimdOps.get();
                try (java.lang.foreign.Arena scratch = java.lang.foreign.Arena.ofConfined()) {
                    java.lang.foreign.MemorySegment fa = scratch.allocate((long) BLOCK * Float.BYTES, 64);
                    java.lang.foreign.MemorySegment fb = scratch.allocate((long) BLOCK * Float.BYTES, 64);
                    for (long blk = (long) blocks * t / threads; blk < (long) blocks * (t + 1) / threads; blk++) {
                        long from = blk * BLOCK;
                        int len = (int) Math.min(BLOCK, n - from);
                        ops.dequantize(x.segment().asSlice(from, len), unsigned, fa, len, a.scale(), a.zeroPoint());
                        ops.dequantize(y.segment().asSlice(from, len), unsigned, fb, len, b.scale(), b.zeroPoint());
                        ops.binary(SimdOps.Arith.ADD, fa, 0, 1, fb, 0, 1, fa, 0, len);
                        ops.quantize(fa, out.segment().asSlice(from, len), len, c.scale(), c.zeroPoint(), qmin, qmax);
                    }
                }
            });
            return new Tensor[] {out};
        };
    }
}
