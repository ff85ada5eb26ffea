package dev.sparq.backend.cpu.simd;

import dev.sparq.backend.geometry.ConvGeometry2d;
import dev.sparq.backend.UnsupportedKernelException;
import dev.sparq.graph.Node;
import dev.sparq.tensor.Tensor;

/**
 * The window of a 2-D pool as cpu-simd runs it: explicit pads smaller than the kernel, no dilation, no ceil_mode,
 * no auto_pad. Anything else stays on cpu-ref.
 */
record PoolWindow(int kh, int kw, int sh, int sw, int padTop, int padLeft, int padBottom, int padRight) {
    static PoolWindow of(Node n) {
        long[] k = n.intsAttr("kernel_shape", null);
        long[] s = n.intsAttr("strides", new long[] {1, 1});
        long[] p = n.intsAttr("pads", new long[] {0, 0, 0, 0});
        long[] d = n.intsAttr("dilations", new long[] {1, 1});
        if (k == null || k.length != 2 || s.length != 2 || p.length != 4 || d.length != 2 || d[0] != 1 || d[1] != 1
            || n.intAttr("ceil_mode", 0) != 0 || !n.stringAttr("auto_pad", "NOTSET").equals("NOTSET")
            || p[0] >= k[0] || p[2] >= k[0] || p[1] >= k[1] || p[3] >= k[1] || s[0] < 1 || s[1] < 1 || p[0] < 0
            || p[1] < 0) {
            throw new UnsupportedKernelException("cpu-simd " + n.opType() + " covers plain 2-D pooling only");
        }
        return new PoolWindow((int) k[0], (int) k[1], (int) s[0], (int) s[1], (int) p[0], (int) p[1], (int) p[2],
            (int) p[3]);
    }

    /** The pool over f32 input x [N,C,H,W] as a one-channel window geometry. */
    ConvGeometry2d geometry(Tensor x) {
        ElementwiseKernels.checkF32(x);
        return geometryOf(x.shape());
    }

    /** The pool over an input of this shape, any element type. */
    ConvGeometry2d geometryOf(long[] shape) {
        if (shape.length != 4) {
            throw new IllegalArgumentException("pool input must be [N,C,H,W]");
        }
        int h = (int) shape[2];
        int w = (int) shape[3];
        int oh = (h + padTop + padBottom - kh) / sh + 1;
        int ow = (w + padLeft + padRight - kw) / sw + 1;
        if (oh < 1 || ow < 1) {
            throw new IllegalArgumentException("input " + h + "x" + w + " is smaller than the pooling window");
        }
        return new ConvGeometry2d(1, h, w, kh, kw, sh, sw, 1, 1, padTop, padLeft, oh, ow);
    }
}
