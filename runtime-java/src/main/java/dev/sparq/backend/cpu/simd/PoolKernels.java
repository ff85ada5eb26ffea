package dev.sparq.backend.cpu.simd;

import dev.sparq.backend.Kernel;
import dev.sparq.backend.KernelRequest;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;

/** Pooling over NCHW planes. */
final class PoolKernels {
    private PoolKernels() {
    }

    static Kernel globalAverage(KernelRequest r) {
        ElementwiseKernels.requireF32(r.inputType(0));
        return (inputs, ctx) -> {
            Tensor x = inputs[0];
            ElementwiseKernels.checkF32(x);
            if (x.rank() < 3) {
                throw new IllegalArgumentException("GlobalAveragePool needs [N,C,spatial...]");
            }
            long[] shape = x.shape();
            long planes = shape[0] * shape[1];
            int area = Math.toIntExact(x.size() / Math.max(1, planes));
            for (int i = 2; i < shape.length; i++) {
                shape[i] = 1;
            }
            Tensor y = ctx.allocateUninitialized(DType.F32, shape);
            SimdOps ops = SimdOps.get();
            for (long p = 0; p < planes; p++) {
                y.setFloat(p, ops.sum(x.segment(), p * area, area) / area);
            }
            return new Tensor[] {y};
        };
    }
}
