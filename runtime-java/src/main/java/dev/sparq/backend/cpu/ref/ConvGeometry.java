package dev.sparq.backend.cpu.ref;

import java.util.Arrays;

/**
 * The index geometry of a sliding-window op over N spatial dims (1..3), written once for Conv, ConvTranspose, the
 * pools, ConvInteger and QLinearConv. Every op is normalized to 3 spatial dims by prepending size-1 dims, so the
 * loops are written once.
 *
 * <p>Both convolution directions share one relation between a position {@code s} on the "small" side (the conv
 * output, or the ConvTranspose input) and a position {@code b} on the "big" side (the conv input, or the
 * ConvTranspose output): {@code b = s * stride + k * dilation - padBegin} for kernel tap {@code k}.
 */
final class ConvGeometry {
    static final int DIMS = 3;

    final int rank;
    final int[] small = new int[DIMS];
    final int[] big = new int[DIMS];
    final int[] kernel = new int[DIMS];
    final int[] stride = new int[DIMS];
    final int[] dilation = new int[DIMS];
    final int[] padBegin = new int[DIMS];
    final int[] padEnd = new int[DIMS];

    /** The op's own (rank-long) kernel, strides and dilations, defaulted and checked, while sizes are derived. */
    private final long[] kernels;
    private final long[] strides;
    private final long[] dilations;

    private ConvGeometry(int rank, long[] kernelShape, WindowAttrs a) {
        this.rank = rank;
        Arrays.fill(small, 1);
        Arrays.fill(big, 1);
        Arrays.fill(kernel, 1);
        Arrays.fill(stride, 1);
        Arrays.fill(dilation, 1);
        kernels = WindowAttrs.orDefault(kernelShape, rank, 1, "kernel_shape");
        strides = WindowAttrs.orDefault(a.strides(), rank, 1, "strides");
        dilations = WindowAttrs.orDefault(a.dilations(), rank, 1, "dilations");
        for (int i = 0; i < rank; i++) {
            checkPositive(kernels[i], "kernel_shape");
            checkPositive(strides[i], "strides");
            checkPositive(dilations[i], "dilations");
        }
    }

    /** Extent of the dilated window along the op's axis {@code i}. */
    private long span(int i) {
        return (kernels[i] - 1) * dilations[i] + 1;
    }

    /** Stores axis {@code i} of the op at its place among the normalized 3 dims. */
    private void setAxis(int i, long bigSize, long smallSize, long pb, long pe) {
        int j = i + DIMS - rank;
        big[j] = RefSupport.toInt(bigSize, "input size");
        small[j] = RefSupport.toInt(smallSize, "output size");
        kernel[j] = (int) kernels[i];
        stride[j] = (int) strides[i];
        dilation[j] = (int) dilations[i];
        padBegin[j] = (int) pb;
        padEnd[j] = (int) pe;
    }

    /**
     * Geometry of a Conv or pool: {@code in} is the input's spatial shape, {@code kernelShape} the window. For pools
     * with explicit pads {@code ceil_mode} rounds the output size up, but a window that would start in the end
     * padding is dropped (as ONNX Runtime and PyTorch do); SAME and VALID sizes ignore ceil_mode, as the spec's
     * formulas do.
     */
    static ConvGeometry forward(long[] in, long[] kernelShape, WindowAttrs a) {
        int r = checkRank(in.length);
        ConvGeometry g = new ConvGeometry(r, kernelShape, a);
        long[] p = WindowAttrs.orDefault(a.autoPad().equals("NOTSET") ? a.pads() : null, 2 * r, 0, "pads");
        long[] s = g.strides;
        for (int i = 0; i < r; i++) {
            long span = g.span(i);
            long out;
            long pb = p[i];
            long pe = p[i + r];
            if (a.same()) {
                out = ceilDiv(in[i], s[i]);
                long total = Math.max(0, (out - 1) * s[i] + span - in[i]);
                pb = a.autoPad().equals("SAME_UPPER") ? total / 2 : total - total / 2;
                pe = total - pb;
            } else {
                if (pb < 0 || pe < 0) {
                    throw new IllegalArgumentException("negative pads " + Arrays.toString(p));
                }
                long room = in[i] + pb + pe - span;
                boolean ceil = a.ceilMode() && a.autoPad().equals("NOTSET"); // the spec's VALID formula has no ceil
                out = room < 0 ? 0 : (ceil ? ceilDiv(room, s[i]) : room / s[i]) + 1;
                if (ceil && out > 0 && (out - 1) * s[i] >= in[i] + pb) {
                    out--;
                }
            }
            if (out < 1) {
                throw new IllegalArgumentException("window of " + span + " does not fit input " + in[i]
                    + " with pads " + pb + "+" + pe);
            }
            g.setAxis(i, in[i], out, pb, pe);
        }
        return g;
    }

    /**
     * Geometry of a ConvTranspose: the output size is {@code stride*(in-1) + output_padding + span - pads}, or
     * {@code output_shape} when given (then pads are derived: SAME_UPPER puts the odd unit at the end, else at the
     * start, as the ONNX spec says).
     */
    static ConvGeometry transposed(long[] in, long[] kernelShape, WindowAttrs a, long[] outputPadding,
                                   long[] outputShape) {
        int r = checkRank(in.length);
        ConvGeometry g = new ConvGeometry(r, kernelShape, a);
        long[] s = g.strides;
        long[] op = WindowAttrs.orDefault(outputPadding, r, 0, "output_padding");
        long[] p = WindowAttrs.orDefault(a.autoPad().equals("NOTSET") ? a.pads() : null, 2 * r, 0, "pads");
        long[] target = null;
        if (outputShape != null) {
            target = outputShape.length == r + 2 ? Arrays.copyOfRange(outputShape, 2, r + 2) : outputShape;
            WindowAttrs.orDefault(target, r, 0, "output_shape");
        } else if (a.same()) {
            target = new long[r];
            for (int i = 0; i < r; i++) {
                target[i] = in[i] * s[i];
            }
        }
        for (int i = 0; i < r; i++) {
            long natural = s[i] * (in[i] - 1) + op[i] + g.span(i);
            long pb = p[i];
            long pe = p[i + r];
            if (target != null) {
                long total = natural - target[i];
                long half = Math.floorDiv(total, 2); // Python's //, also for negative totals
                pb = a.autoPad().equals("SAME_UPPER") ? half : total - half;
                pe = total - pb;
            }
            long out = natural - pb - pe;
            if (out < 1) {
                throw new IllegalArgumentException("ConvTranspose output size " + out + " is not positive");
            }
            g.setAxis(i, out, in[i], pb, pe);
        }
        return g;
    }

    private static int checkRank(int r) {
        if (r < 1 || r > DIMS) {
            throw new IllegalArgumentException(r + " spatial dims are not supported (1 to " + DIMS + ")");
        }
        return r;
    }

    private static void checkPositive(long v, String what) {
        if (v < 1) {
            throw new IllegalArgumentException(what + " must be positive, got " + v);
        }
    }

    static long ceilDiv(long a, long b) {
        return -Math.floorDiv(-a, b);
    }

    int smallVolume() {
        return small[0] * small[1] * small[2];
    }

    int bigVolume() {
        return big[0] * big[1] * big[2];
    }

    int kernelVolume() {
        return kernel[0] * kernel[1] * kernel[2];
    }

    /** The small side's spatial shape in the op's own rank (the Conv/pool output, for example). */
    long[] smallShape() {
        return tail(small);
    }

    long[] bigShape() {
        return tail(big);
    }

    private long[] tail(int[] dims) {
        long[] out = new long[rank];
        for (int i = 0; i < rank; i++) {
            out[i] = dims[i + DIMS - rank];
        }
        return out;
    }

    /** First small position along {@code axis} whose big position for tap {@code k} lies inside the big side. */
    private int firstValid(int axis, int k) {
        int off = k * dilation[axis] - padBegin[axis];
        return (int) Math.max(0, ceilDiv(-off, stride[axis]));
    }

    /** One past the last such position. */
    private int endValid(int axis, int k) {
        int off = k * dilation[axis] - padBegin[axis];
        return (int) Math.min(small[axis], Math.floorDiv(big[axis] - 1 - off, stride[axis]) + 1);
    }

    /**
     * The pairs of one kernel tap over one depth slice: {@code rows} rows of {@code count} small positions
     * (contiguous within a row, rows {@code smallRowStep} apart) and the big positions they pair with (stepping
     * {@code bigStride} within a row, rows {@code bigRowStep} apart). One instance is refilled between visits.
     */
    static final class Block {
        int smallIndex;
        int bigIndex;
        int rows;
        int smallRowStep;
        int bigRowStep;
        int count;
        int bigStride;
        int tap;
    }

    interface BlockVisitor {
        void visit(Block b);
    }

    /**
     * Visits, for every kernel tap, every block of small positions paired with in-range big positions, for one small
     * plane starting at {@code smallBase} and one big plane starting at {@code bigBase}. Out-of-range pairs (padding)
     * are left out, so visitors need no bounds checks. Blocks span whole (height x width) slices so that a visit
     * does enough work to outweigh the call even on 7x7 planes.
     */
    void forEachBlock(int smallBase, int bigBase, BlockVisitor v) {
        Block b = new Block();
        b.smallRowStep = small[2];
        b.bigRowStep = stride[1] * big[2];
        b.bigStride = stride[2];
        for (int kd = 0; kd < kernel[0]; kd++) {
            int d0 = firstValid(0, kd);
            int d1 = endValid(0, kd);
            int offD = kd * dilation[0] - padBegin[0];
            for (int kh = 0; kh < kernel[1]; kh++) {
                int h0 = firstValid(1, kh);
                int h1 = endValid(1, kh);
                int bh0 = h0 * stride[1] + kh * dilation[1] - padBegin[1];
                for (int kw = 0; kw < kernel[2]; kw++) {
                    int w0 = firstValid(2, kw);
                    int w1 = endValid(2, kw);
                    if (w0 >= w1 || h0 >= h1) {
                        continue;
                    }
                    int bw0 = w0 * stride[2] + kw * dilation[2] - padBegin[2];
                    b.tap = (kd * kernel[1] + kh) * kernel[2] + kw;
                    b.rows = h1 - h0;
                    b.count = w1 - w0;
                    for (int sd = d0; sd < d1; sd++) {
                        int bd = sd * stride[0] + offD;
                        b.smallIndex = smallBase + (sd * small[1] + h0) * small[2] + w0;
                        b.bigIndex = bigBase + (bd * big[1] + bh0) * big[2] + bw0;
                        v.visit(b);
                    }
                }
            }
        }
    }
}
