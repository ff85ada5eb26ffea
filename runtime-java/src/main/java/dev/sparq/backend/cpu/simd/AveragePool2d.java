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
 * 2-D AveragePool over NCHW (explicit pads smaller than the kernel, no ceil_mode, no dilation) on a zero-padded
 * {@link PaddedPlane}: window sums are one vector add per tap and output row, then each output is divided by its
 * window size, with or without the padding as {@code count_include_pad} says.
 */
record AveragePool2d(int kh, int kw, int sh, int sw, int[] pads, boolean countPad) implements Kernel {
    static Kernel create(KernelRequest r) {
        Node n = r.node();
        ElementwiseKernels.requireF32(r.inputType(0));
        long[] k = n.intsAttr("kernel_shape", null);
        long[] s = n.intsAttr("strides", new long[] {1, 1});
        long[] p = n.intsAttr("pads", new long[] {0, 0, 0, 0});
        long[] d = n.intsAttr("dilations", new long[] {1, 1});
        if (k == null || k.length != 2 || s.length != 2 || p.length != 4 || d.length != 2 || d[0] != 1 || d[1] != 1
            || n.intAttr("ceil_mode", 0) != 0 || !n.stringAttr("auto_pad", "NOTSET").equals("NOTSET")
            || p[0] >= k[0] || p[2] >= k[0] || p[1] >= k[1] || p[3] >= k[1] || s[0] < 1 || s[1] < 1) {
            throw new UnsupportedKernelException("cpu-simd AveragePool covers plain 2-D pooling only");
        }
        return new AveragePool2d((int) k[0], (int) k[1], (int) s[0], (int) s[1],
            new int[] {(int) p[0], (int) p[1], (int) p[2], (int) p[3]}, n.intAttr("count_include_pad", 0) != 0);
    }

    @Override
    public Tensor[] run(Tensor[] inputs, ExecutionContext ctx) {
        Tensor x = inputs[0];
        ElementwiseKernels.checkF32(x);
        if (x.rank() != 4) {
            throw new IllegalArgumentException("AveragePool input must be [N,C,H,W]");
        }
        int h = (int) x.dim(2);
        int w = (int) x.dim(3);
        int oh = (h + pads[0] + pads[2] - kh) / sh + 1;
        int ow = (w + pads[1] + pads[3] - kw) / sw + 1;
        if (oh < 1 || ow < 1) {
            throw new IllegalArgumentException("input " + h + "x" + w + " is smaller than the pooling window");
        }
        ConvGeometry2d g = new ConvGeometry2d(1, h, w, kh, kw, sh, sw, 1, 1, pads[0], pads[1], oh, ow);
        // 1 / window size per output column and row; their product is the divisor of each output
        float[] colScale = new float[ow];
        for (int ox = 0; ox < ow; ox++) {
            colScale[ox] = 1f / count(ox * sw - pads[1], kw, w);
        }
        float[] rowScale = new float[oh];
        for (int oy = 0; oy < oh; oy++) {
            rowScale[oy] = 1f / count(oy * sh - pads[0], kh, h);
        }
        Tensor out = ctx.allocateUninitialized(DType.F32, x.dim(0), x.dim(1), oh, ow);
        MemorySegment xs = x.segment();
        MemorySegment os = out.segment();
        int planes = (int) (x.dim(0) * x.dim(1));
        int threads = Math.max(1, Math.min(ctx.threads(), planes));
        ctx.parallelFor(threads, t -> {
            PaddedPlane plane = new PaddedPlane(g, Scratch.of(2).get(PaddedPlane.planeSize(g)),
                Scratch.of(4).get(PaddedPlane.phaseSize(g)));
            float[] acc = Scratch.of(3).get(2 * ow);
            SimdOps ops = SimdOps.get();
            for (int p = planes * t / threads; p < planes * (t + 1) / threads; p++) {
                plane.load(xs, (long) p * h * w, 0f);
                float[] src = plane.array();
                for (int oy = 0; oy < oh; oy++) {
                    java.util.Arrays.fill(acc, 0, ow, 0f);
                    for (int ky = 0; ky < kh; ky++) {
                        for (int kx = 0; kx < kw; kx++) {
                            ops.axpy(acc, 0, 1f, src, plane.run(oy, ky, kx), ow);
                        }
                    }
                    for (int ox = 0; ox < ow; ox++) {
                        acc[ow + ox] = colScale[ox] * rowScale[oy];
                    }
                    ops.multiply(acc, 0, acc, ow, ow);
                    ops.storeRow(acc, 0, ow, 0f, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, os,
                        (long) p * oh * ow + (long) oy * ow);
                }
            }
        });
        return new Tensor[] {out};
    }

    /**
     * Elements a window starting at {@code start} (unpadded coordinates) averages over along one axis: all k with
     * count_include_pad (without ceil_mode no window reaches past the pads), else only those inside the input.
     */
    private int count(int start, int k, int size) {
        return countPad ? k : Math.min(start + k, size) - Math.max(start, 0);
    }
}
