package dev.sparq.backend.cpu.simd;

import dev.sparq.backend.ExecutionContext;
import dev.sparq.backend.Kernel;
import dev.sparq.backend.KernelRequest;
import dev.sparq.backend.UnsupportedKernelException;
import dev.sparq.graph.ValueType;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import java.util.Arrays;

/** Relu / Clip (as a clamp) and same-shape Add, the elementwise ops between convolutions of CNNs. */
final class ElementwiseKernels {
    private ElementwiseKernels() {
    }

    static Kernel clamp(KernelRequest r) {
        requireF32(r.inputType(0));
        Activation act = Activation.ofNode(r);
        return (inputs, ctx) -> {
            Tensor x = inputs[0];
            checkF32(x);
            Tensor y = ctx.allocateUninitialized(DType.F32, x.shape());
            SimdOps.get().clamp(x.segment(), y.segment(), x.size(), act.min(), act.max());
            return new Tensor[] {y};
        };
    }

    /** Add of two tensors of the same (inferred) shape; broadcasting adds stay on cpu-ref. */
    static Kernel add(KernelRequest r) {
        ValueType a = r.inputType(0);
        ValueType b = r.inputType(1);
        requireF32(a);
        requireF32(b);
        if (!a.hasRank() || !a.dims().equals(b.dims()) || a.dims().stream().anyMatch(d -> !d.isKnown() && d.symbol() == null)) {
            throw new UnsupportedKernelException("cpu-simd Add needs two inputs of one known shape");
        }
        return (inputs, ctx) -> {
            Tensor x = inputs[0];
            Tensor y = inputs[1];
            checkF32(x);
            if (!Arrays.equals(x.shape(), y.shape()) || y.dtype() != DType.F32) {
                throw new IllegalArgumentException("shapes " + Arrays.toString(x.shape()) + " and "
                    + Arrays.toString(y.shape()) + " differ");
            }
            Tensor z = ctx.allocateUninitialized(DType.F32, x.shape());
            SimdOps.get().addClamp(x.segment(), y.segment(), z.segment(), x.size(), Float.NEGATIVE_INFINITY,
                Float.POSITIVE_INFINITY);
            return new Tensor[] {z};
        };
    }

    static void requireF32(ValueType t) {
        if (t.dtype() != DType.F32) {
            throw new UnsupportedKernelException("cpu-simd runs f32 here");
        }
    }

    static void checkF32(Tensor x) {
        if (x.dtype() != DType.F32) {
            throw new IllegalArgumentException("expected f32, got " + x.dtype());
        }
    }
}
