package dev.sparq.backend.cpu.simd;

import dev.sparq.backend.ExecutionContext;
import dev.sparq.backend.Kernel;
import dev.sparq.backend.KernelRequest;
import dev.sparq.backend.UnsupportedKernelException;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import java.util.Arrays;

/**
 * Transpose of a 4-D f32 image between NCHW and NHWC (perm [0,2,3,1] or [0,3,1,2]), the layout changes the
 * channels-last pass puts at a block's edges; other Transposes are left to cpu-ref.
 */
record ChannelsLastTranspose(boolean toChannelsLast) implements Kernel {
    static Kernel create(KernelRequest r) {
        long[] perm = r.node().intsAttr("perm", null);
        if (perm != null && r.inputType(0).dtype() == DType.F32) {
            if (Arrays.equals(perm, new long[] {0, 2, 3, 1})) {
                return new ChannelsLastTranspose(true);
            }
            if (Arrays.equals(perm, new long[] {0, 3, 1, 2})) {
                return new ChannelsLastTranspose(false);
            }
        }
        throw new UnsupportedKernelException("cpu-simd Transpose is f32 NCHW <-> NHWC only");
    }

    @Override
    public Tensor[] run(Tensor[] inputs, ExecutionContext ctx) {
        Tensor x = inputs[0];
        if (x.dtype() != DType.F32 || x.rank() != 4) {
            throw new IllegalArgumentException("input " + x.dtype() + Arrays.toString(x.shape()) + " must be f32 4-D");
        }
        long[] s = x.shape();
        Tensor y = ctx.allocateUninitialized(DType.F32, toChannelsLast ? new long[] {s[0], s[2], s[3], s[1]}
            : new long[] {s[0], s[3], s[1], s[2]});
        // NCHW -> NHWC transposes each image's [C][H·W] matrix, NHWC -> NCHW its [H·W][C] one
        int rows = Math.toIntExact(toChannelsLast ? s[1] : s[1] * s[2]);
        int cols = Math.toIntExact(toChannelsLast ? s[2] * s[3] : s[3]);
        long image = (long) rows * cols;
        for (long n = 0; n < s[0]; n++) {
            SimdOps.get().transpose(x.segment(), n * image, rows, cols, y.segment(), n * image);
        }
        return new Tensor[] {y};
    }

    @Override
    public String describe() {
        return toChannelsLast ? "NCHW to NHWC" : "NHWC to NCHW";
    }
}
