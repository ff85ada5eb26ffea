package dev.sparq.backend.cpu.simd;

import dev.sparq.backend.ExecutionContext;
import dev.sparq.backend.Kernel;
import dev.sparq.backend.KernelRequest;
import dev.sparq.backend.UnsupportedKernelException;
import dev.sparq.graph.Node;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import java.lang.foreign.MemorySegment;

/**
 * 2-D MaxPool over NCHW (no Indices output, no ceil_mode, no dilation, explicit pads smaller than the kernel) on a
 * {@link PaddedPlane} padded with −∞: each output row is the running max of one contiguous run per window tap;
 * channels are split across threads.
 */
record MaxPool2d(PoolWindow window) implements Kernel {
    static Kernel create(KernelRequest r) {
        Node n = r.node();
        ElementwiseKernels.requireF32(r.inputType(0));
        if (n.outputs().size() > 1 && !n.outputs().get(1).isEmpty()) {
            throw new UnsupportedKernelException("cpu-simd MaxPool has no Indices output");
        }
        return new MaxPool2d(PoolWindow.of(n));
    }

    @Override
    public Tensor[] run(Tensor[] inputs, ExecutionContext ctx) {
        Tensor x = inputs[0];
        ConvGeometry2d g = window.geometry(x);
        int h = g.h();
        int w = g.w();
        int oh = g.oh();
        int ow = g.ow();
        int kh = g.kh();
        int kw = g.kw();
        Tensor out = ctx.allocateUninitialized(DType.F32, x.dim(0), x.dim(1), oh, ow);
        MemorySegment xs = x.segment();
        MemorySegment os = out.segment();
        int planes = (int) (x.dim(0) * x.dim(1));
        int threads = Math.max(1, Math.min(ctx.threads(), planes));
        ctx.parallelFor(threads, t -> {
            // padding is −∞, so windows that overlap it take the max of their real inputs only
            PaddedPlane plane = new PaddedPlane(g, Scratch.of(2).get(PaddedPlane.planeSize(g)),
                Scratch.of(4).get(PaddedPlane.phaseSize(g)));
            float[] acc = Scratch.of(3).get(ow);
            SimdOps ops = SimdOps.get();
            for (int p = planes * t / threads; p < planes * (t + 1) / threads; p++) {
                plane.load(xs, (long) p * h * w, Float.NEGATIVE_INFINITY);
                float[] src = plane.array();
                for (int oy = 0; oy < oh; oy++) {
                    java.util.Arrays.fill(acc, 0, ow, Float.NEGATIVE_INFINITY);
                    for (int ky = 0; ky < kh; ky++) {
                        for (int kx = 0; kx < kw; kx++) {
                            ops.max(acc, 0, src, plane.run(oy, ky, kx), ow);
                        }
                    }
                    MemorySegment.copy(acc, 0, os, java.lang.foreign.ValueLayout.JAVA_FLOAT,
                        ((long) p * oh * ow + (long) oy * ow) * Float.BYTES, ow);
                }
            }
        });
        return new Tensor[] {out};
    }
}
