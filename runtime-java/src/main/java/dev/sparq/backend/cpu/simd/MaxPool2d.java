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
record MaxPool2d(int kh, int kw, int sh, int sw, int padTop, int padLeft, int padBottom, int padRight) implements Kernel {
    static Kernel create(KernelRequest r) {
        Node n = r.node();
        ElementwiseKernels.requireF32(r.inputType(0));
        long[] k = n.intsAttr("kernel_shape", null);
        long[] s = n.intsAttr("strides", new long[] {1, 1});
        long[] p = n.intsAttr("pads", new long[] {0, 0, 0, 0});
        long[] d = n.intsAttr("dilations", new long[] {1, 1});
        boolean indices = n.outputs().size() > 1 && !n.outputs().get(1).isEmpty();
        if (k == null || k.length != 2 || s.length != 2 || p.length != 4 || d.length != 2 || d[0] != 1 || d[1] != 1
            || indices || n.intAttr("ceil_mode", 0) != 0 || !n.stringAttr("auto_pad", "NOTSET").equals("NOTSET")
            || p[0] >= k[0] || p[2] >= k[0] || p[1] >= k[1] || p[3] >= k[1] || s[0] < 1 || s[1] < 1) {
            throw new UnsupportedKernelException("cpu-simd MaxPool covers plain 2-D pooling only");
        }
        return new MaxPool2d((int) k[0], (int) k[1], (int) s[0], (int) s[1], (int) p[0], (int) p[1], (int) p[2],
            (int) p[3]);
    }

    @Override
    public Tensor[] run(Tensor[] inputs, ExecutionContext ctx) {
        Tensor x = inputs[0];
        ElementwiseKernels.checkF32(x);
        if (x.rank() != 4) {
            throw new IllegalArgumentException("MaxPool input must be [N,C,H,W]");
        }
        int h = (int) x.dim(2);
        int w = (int) x.dim(3);
        int oh = (h + padTop + padBottom - kh) / sh + 1;
        int ow = (w + padLeft + padRight - kw) / sw + 1;
        if (oh < 1 || ow < 1) {
            throw new IllegalArgumentException("input " + h + "x" + w + " is smaller than the pooling window");
        }
        Tensor out = ctx.allocateUninitialized(DType.F32, x.dim(0), x.dim(1), oh, ow);
        MemorySegment xs = x.segment();
        MemorySegment os = out.segment();
        int planes = (int) (x.dim(0) * x.dim(1));
        int threads = Math.max(1, Math.min(ctx.threads(), planes));
        ConvGeometry2d g = new ConvGeometry2d(1, h, w, kh, kw, sh, sw, 1, 1, padTop, padLeft, oh, ow);
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
