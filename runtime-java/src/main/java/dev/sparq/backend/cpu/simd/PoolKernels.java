package dev.sparq.backend.cpu.simd;

import dev.sparq.backend.Kernel;
import dev.sparq.backend.KernelRequest;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;

/** Global pooling: over NCHW planes, or over a channels-last image's pixels. */
final class PoolKernels {
    private PoolKernels() {
    }

    /**
     * {@link dev.sparq.graph.ChannelsLastConv#GLOBAL_AVERAGE_POOL}: x [N, H, W, C] in, the mean of each channel out
     * as [N, C, 1, 1], summed a vector of channels at a time over the pixels in order.
     */
    static Kernel channelsLastGlobalAverage(KernelRequest r) {
        ElementwiseKernels.requireF32(r.inputType(0));
        return (inputs, ctx) -> {
            Tensor x = inputs[0];
            ElementwiseKernels.checkF32(x);
            if (x.rank() != 4) {
                throw new IllegalArgumentException("input " + java.util.Arrays.toString(x.shape()) + " must be [N,H,W,C]");
            }
            int pixels = Math.toIntExact(x.dim(1) * x.dim(2));
            int channels = Math.toIntExact(x.dim(3));
            Tensor y = ctx.allocateUninitialized(DType.F32, x.dim(0), channels, 1, 1);
            for (long n = 0; n < x.dim(0); n++) {
                SimdOps.get().channelMeans(x.segment(), n * pixels * channels, pixels, channels, 1f / pixels,
                    y.segment(), n * channels);
            }
            return new Tensor[] {y};
        };
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
