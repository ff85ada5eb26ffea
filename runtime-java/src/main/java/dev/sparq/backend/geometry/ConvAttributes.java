package dev.sparq.backend.geometry;

import dev.sparq.backend.UnsupportedKernelException;
import dev.sparq.graph.Node;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import java.util.Arrays;

/** A Conv node's spatial attributes; resolves auto_pad against the actual input size at run time. */
public record ConvAttributes(int kh, int kw, int sh, int sw, int dh, int dw, int[] pads, String autoPad) {
    public static ConvAttributes of(Node n, Tensor w) {
        int kh = (int) w.dim(2);
        int kw = (int) w.dim(3);
        long[] ks = n.intsAttr("kernel_shape", null);
        if (ks != null && (ks.length != 2 || ks[0] != kh || ks[1] != kw)) {
            throw new UnsupportedKernelException("kernel_shape " + Arrays.toString(ks) + " disagrees with the weights");
        }
        long[] s = n.intsAttr("strides", new long[] {1, 1});
        long[] d = n.intsAttr("dilations", new long[] {1, 1});
        long[] p = n.intsAttr("pads", new long[] {0, 0, 0, 0});
        if (s.length != 2 || d.length != 2 || p.length != 4 || s[0] < 1 || s[1] < 1 || d[0] < 1 || d[1] < 1) {
            throw new UnsupportedKernelException("cpu-simd Conv is 2-D only");
        }
        for (long v : p) {
            if (v < 0) {
                throw new UnsupportedKernelException("negative pads");
            }
        }
        String autoPad = n.stringAttr("auto_pad", "NOTSET");
        return new ConvAttributes(kh, kw, (int) s[0], (int) s[1], (int) d[0], (int) d[1],
            new int[] {(int) p[0], (int) p[1], (int) p[2], (int) p[3]}, autoPad);
    }

    public static void checkInput(Tensor x, int channels) {
        if (x.dtype() != DType.F32 || x.rank() != 4 || x.dim(1) != channels) {
            throw new IllegalArgumentException("input " + x.dtype() + Arrays.toString(x.shape()) + " must be f32 [N,"
                + channels + ",H,W]");
        }
    }

    /** Geometry of one group's convolution over input x (channels of one group: {@code c}). */
    public ConvGeometry2d geometry(Tensor x, int c) {
        return geometry((int) x.dim(2), (int) x.dim(3), c);
    }

    /** Geometry of one group's convolution over an h × w input (channels of one group: {@code c}). */
    public ConvGeometry2d geometry(int h, int w, int c) {
        int[] top = resolve(h, kh, sh, dh, pads[0], pads[2]);
        int[] left = resolve(w, kw, sw, dw, pads[1], pads[3]);
        int oh = (h + top[0] + top[1] - ((kh - 1) * dh + 1)) / sh + 1;
        int ow = (w + left[0] + left[1] - ((kw - 1) * dw + 1)) / sw + 1;
        if (oh < 1 || ow < 1) {
            throw new IllegalArgumentException("input " + h + "x" + w + " is smaller than the kernel");
        }
        return new ConvGeometry2d(c, h, w, kh, kw, sh, sw, dh, dw, top[0], left[0], oh, ow);
    }

    /** [begin, end] padding of one axis. */
    private int[] resolve(int in, int k, int s, int d, int begin, int end) {
        return switch (autoPad) {
            case "VALID" -> new int[] {0, 0};
            case "SAME_UPPER", "SAME_LOWER" -> {
                int out = (in + s - 1) / s;
                int total = Math.max(0, (out - 1) * s + (k - 1) * d + 1 - in);
                int small = total / 2;
                yield autoPad.equals("SAME_UPPER") ? new int[] {small, total - small} : new int[] {total - small, small};
            }
            default -> new int[] {begin, end};
        };
    }
}
