package dev.sparq.backend.cpu.simd;

import dev.sparq.backend.Kernel;
import dev.sparq.backend.KernelRequest;
import dev.sparq.backend.UnsupportedKernelException;
import dev.sparq.graph.Node;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;

/**
 * QuantizeLinear and DequantizeLinear with per-tensor constant scale and zero point between f32 and 8-bit values:
 * the glue of QDQ graphs around the layers that run as integers. Same integers as cpu-ref.
 */
final class QuantKernels {
    private QuantKernels() {
    }

    private record Params(float scale, int zeroPoint, DType type) {
    }

    /** Scale at input 1, zero point at input 2 (absent: uint8 0): constants, one value each. */
    private static Params params(KernelRequest r, DType fallbackType) {
        Node n = r.node();
        if (n.has("output_dtype") || n.has("block_size")) {
            throw new UnsupportedKernelException("cpu-simd Q/DQ take constant per-tensor 8-bit parameters only");
        }
        float scale = QuantParams.scale(r, 1, "scale");
        Tensor zero = QuantParams.zeroPoint(r, 2, "zero point");
        return new Params(scale, zero == null ? 0 : (int) zero.getLong(0), zero == null ? fallbackType : zero.dtype());
    }

    /** Below this many values per thread a second thread costs more than it saves in QuantizeLinear. */
    private static final long QUANTIZE_PER_THREAD = 32 * 1024;

    static Kernel quantize(KernelRequest r) {
        ElementwiseKernels.requireF32(r.inputType(0));
        Params p = params(r, DType.U8);
        int qmin = p.type() == DType.U8 ? 0 : -128;
        int qmax = p.type() == DType.U8 ? 255 : 127;
        return (inputs, ctx) -> {
            Tensor x = inputs[0];
            ElementwiseKernels.checkF32(x);
            Tensor q = ctx.allocateUninitialized(p.type(), x.shape());
            // a model's input (ResNet's 150,528 values: 66 us) is worth splitting
            ElementwiseKernels.split(x.size(), QUANTIZE_PER_THREAD, ctx, (from, to) -> SimdOps.get().quantize(
                x.segment().asSlice(4 * from, 4 * (to - from)), q.segment().asSlice(from, to - from), to - from,
                p.scale(), p.zeroPoint(), qmin, qmax));
            return new Tensor[] {q};
        };
    }

    static Kernel dequantize(KernelRequest r) {
        DType in = r.inputType(0).dtype();
        if (in != DType.U8 && in != DType.I8) {
            throw new UnsupportedKernelException("cpu-simd DequantizeLinear takes 8-bit input");
        }
        Params p = params(r, in);
        if (p.type() != in) {
            throw new UnsupportedKernelException("zero point type differs from the input's");
        }
        return (inputs, ctx) -> {
            Tensor q = inputs[0];
            if (q.dtype() != in) {
                throw new IllegalArgumentException("expected " + in + ", got " + q.dtype());
            }
            Tensor x = ctx.allocateUninitialized(DType.F32, q.shape());
            SimdOps.get().dequantize(q.segment(), in == DType.U8, x.segment(), q.size(), p.scale(), p.zeroPoint());
            return new Tensor[] {x};
        };
    }
}
