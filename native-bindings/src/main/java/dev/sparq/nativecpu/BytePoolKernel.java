package dev.sparq.nativecpu;

import dev.sparq.backend.ExecutionContext;
import dev.sparq.backend.Kernel;
import dev.sparq.backend.KernelRequest;
import dev.sparq.backend.UnsupportedKernelException;
import dev.sparq.graph.Node;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import java.util.Arrays;

/**
 * MaxPool over 8-bit NCHW tensors (QDQ graphs hoist quantization above the pool, since max commutes with it) on the
 * native kernel: explicit pads, dilation 1, floor rounding, no Indices output. Exact by construction (a max).
 */
record BytePoolKernel(int kh, int kw, int sh, int sw, int[] pads, DType type) implements Kernel {
    static Kernel create(KernelRequest r) {
        Node n = r.node();
        DType t = r.inputType(0).dtype();
        if (t != DType.U8 && t != DType.I8) {
            throw new UnsupportedKernelException("cpu-native MaxPool takes 8-bit input only");
        }
        if (n.outputs().size() > 1 && !n.outputs().get(1).isEmpty()) {
            throw new UnsupportedKernelException("cpu-native MaxPool has no Indices output");
        }
        long[] k = n.intsAttr("kernel_shape", null);
        long[] s = n.intsAttr("strides", new long[] {1, 1});
        long[] p = n.intsAttr("pads", new long[] {0, 0, 0, 0});
        long[] d = n.intsAttr("dilations", new long[] {1, 1});
        String autoPad = n.stringAttr("auto_pad", "NOTSET");
        if (k == null || k.length != 2 || s.length != 2 || p.length != 4 || d.length != 2 || d[0] != 1 || d[1] != 1
            || n.intAttr("ceil_mode", 0) != 0 || !(autoPad.equals("NOTSET") || autoPad.equals("VALID"))) {
            throw new UnsupportedKernelException("cpu-native MaxPool: 2-D, dilation 1, floor rounding, explicit pads");
        }
        int[] pads = autoPad.equals("VALID") ? new int[4] : new int[] {(int) p[0], (int) p[1], (int) p[2], (int) p[3]};
        if (s[0] < 1 || s[1] < 1 || pads[0] < 0 || pads[1] < 0 || pads[2] < 0 || pads[3] < 0 || pads[0] >= k[0]
            || pads[2] >= k[0] || pads[1] >= k[1] || pads[3] >= k[1]) {
            throw new UnsupportedKernelException("MaxPool pads must be smaller than the kernel");
        }
        return new BytePoolKernel((int) k[0], (int) k[1], (int) s[0], (int) s[1], pads, t);
    }

    @Override
    public Tensor[] run(Tensor[] inputs, ExecutionContext ctx) {
        Tensor x = inputs[0];
        if (x.dtype() != type || x.rank() != 4) {
            throw new IllegalArgumentException("MaxPool input " + x.dtype() + Arrays.toString(x.shape()) + " must be "
                + type + " [N,C,H,W]");
        }
        int h = (int) x.dim(2);
        int w = (int) x.dim(3);
        int oh = (h + pads[0] + pads[2] - kh) / sh + 1;
        int ow = (w + pads[1] + pads[3] - kw) / sw + 1;
        if (oh < 1 || ow < 1) {
            throw new IllegalArgumentException("MaxPool input " + h + "x" + w + " is smaller than the kernel");
        }
        int planes = Math.toIntExact(x.dim(0) * x.dim(1));
        Tensor y = ctx.allocateUninitialized(type, x.dim(0), x.dim(1), oh, ow);
        CpuKernels nk = CpuKernels.get();
        boolean signed = type == DType.I8;
        // a plane of a 56x56 output is a few microseconds: threads only for many of them
        int threads = ctx.threadsFor((long) planes * oh * ow / 65536);
        ctx.parallelFor(threads, t -> nk.maxPool(x.segment(), planes, h, w, kh, kw, sh, sw, pads[0], pads[1], oh, ow,
            signed, y.segment(), planes * t / threads, planes * (t + 1) / threads));
        return new Tensor[] {y};
    }
}
