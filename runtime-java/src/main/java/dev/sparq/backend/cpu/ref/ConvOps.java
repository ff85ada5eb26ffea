package dev.sparq.backend.cpu.ref;

import dev.sparq.backend.Kernel;
import dev.sparq.backend.KernelRegistry;
import dev.sparq.backend.KernelRequest;
import dev.sparq.graph.Node;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import java.util.Arrays;

/** Float convolutions: Conv and ConvTranspose (1D/2D/3D, groups, dilations, pads, auto_pad), f32. */
final class ConvOps {
    private ConvOps() {
    }

    static void register(KernelRegistry r) {
        r.register("Conv", RefSupport.withArity(3, ConvOps::conv));
        r.register("ConvTranspose", RefSupport.withArity(3, ConvOps::convTranspose));
    }

    private static Kernel conv(KernelRequest req) {
        RefSupport.requireKnownDTypes(req, DType.F32);
        Node n = req.node();
        WindowAttrs attrs = WindowAttrs.of(n);
        long group = n.intAttr("group", 1);
        return (in, ctx) -> {
            ConvLayout layout = ConvLayout.of(in[0], in[1], attrs, group);
            float[] x = RefSupport.f32(in[0], "X");
            float[] w = RefSupport.f32(in[1], "W");
            float[] y = new float[layout.outputSize()];
            addBias(y, in[2], layout.outChannels(), layout.geometry().smallVolume());
            convolve(layout, x, w, y);
            return new Tensor[] {RefSupport.f32Tensor(ctx, layout.outputShape(), y)};
        };
    }

    /** y += conv(x, w): direct loops, innermost over a contiguous output row. */
    private static void convolve(ConvLayout layout, float[] x, float[] w, float[] y) {
        ConvGeometry g = layout.geometry();
        layout.forEachPlanePair((outBase, inBase, weightBase) -> g.forEachBlock(outBase, inBase, b -> {
            float wv = w[weightBase + b.tap];
            int count = b.count;
            int xStride = b.bigStride;
            for (int r = 0, yi = b.smallIndex, xi = b.bigIndex; r < b.rows; r++, yi += b.smallRowStep,
                xi += b.bigRowStep) {
                if (xStride == 1) {
                    for (int i = 0; i < count; i++) {
                        y[yi + i] += wv * x[xi + i];
                    }
                } else {
                    for (int i = 0; i < count; i++) {
                        y[yi + i] += wv * x[xi + i * xStride];
                    }
                }
            }
        }));
    }

    /** Fills each output channel's plane with its bias (a 1-D tensor of M values), if there is one. */
    private static void addBias(float[] y, Tensor bias, int channels, int planeSize) {
        if (bias == null) {
            return;
        }
        if (bias.size() != channels) {
            throw new IllegalArgumentException("B has shape " + Arrays.toString(bias.shape()) + ", expected ["
                + channels + "]");
        }
        float[] b = RefSupport.f32(bias, "B");
        for (int p = 0; p * planeSize < y.length; p++) {
            Arrays.fill(y, p * planeSize, (p + 1) * planeSize, b[p % channels]);
        }
    }

    private static Kernel convTranspose(KernelRequest req) {
        RefSupport.requireKnownDTypes(req, DType.F32);
        Node n = req.node();
        WindowAttrs attrs = WindowAttrs.of(n);
        long group = n.intAttr("group", 1);
        long[] outputPadding = n.intsAttr("output_padding", null);
        long[] outputShape = n.intsAttr("output_shape", null);
        return (in, ctx) -> {
            Tensor xt = in[0];
            Tensor wt = in[1];
            RefSupport.requireRank(xt, 3, "X");
            long[] xs = xt.shape();
            long[] ws = wt.shape();
            if (ws.length != xs.length || group < 1 || xs[1] % group != 0 || ws[0] != xs[1]) {
                throw new IllegalArgumentException("X " + Arrays.toString(xs) + " and W " + Arrays.toString(ws)
                    + " do not agree with group " + group);
            }
            long[] kernel = Arrays.copyOfRange(ws, 2, ws.length);
            if (attrs.kernelShape() != null && !Arrays.equals(attrs.kernelShape(), kernel)) {
                throw new IllegalArgumentException("kernel_shape " + Arrays.toString(attrs.kernelShape())
                    + " does not match W " + Arrays.toString(ws));
            }
            ConvGeometry g = ConvGeometry.transposed(Arrays.copyOfRange(xs, 2, xs.length), kernel, attrs,
                outputPadding, outputShape);
            int batch = (int) xs[0];
            int inChannels = (int) xs[1];
            int cg = inChannels / (int) group;
            int mg = (int) ws[1];
            int outChannels = mg * (int) group;
            int inVol = g.smallVolume();
            int outVol = g.bigVolume();
            int kVol = g.kernelVolume();
            float[] x = RefSupport.f32(xt, "X");
            float[] w = RefSupport.f32(wt, "W");
            float[] y = new float[Math.multiplyExact(batch * outChannels, outVol)];
            addBias(y, in[2], outChannels, outVol);
            // Scatter form: each input element adds w * x to the outputs its window covers.
            for (int b = 0; b < batch; b++) {
                for (int c = 0; c < inChannels; c++) {
                    int grp = c / cg;
                    for (int mm = 0; mm < mg; mm++) {
                        int weightBase = (c * mg + mm) * kVol;
                        int outBase = (b * outChannels + grp * mg + mm) * outVol;
                        g.forEachBlock((b * inChannels + c) * inVol, outBase, blk -> {
                            float wv = w[weightBase + blk.tap];
                            int count = blk.count;
                            int yStride = blk.bigStride;
                            for (int r = 0, xi = blk.smallIndex, yi = blk.bigIndex; r < blk.rows; r++,
                                xi += blk.smallRowStep, yi += blk.bigRowStep) {
                                for (int i = 0; i < count; i++) {
                                    y[yi + i * yStride] += wv * x[xi + i];
                                }
                            }
                        });
                    }
                }
            }
            long[] shape = new long[xs.length];
            shape[0] = batch;
            shape[1] = outChannels;
            System.arraycopy(g.bigShape(), 0, shape, 2, g.rank);
            return new Tensor[] {RefSupport.f32Tensor(ctx, shape, y)};
        };
    }
}
