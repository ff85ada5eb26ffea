package dev.sparq.backend.cpu.ref;

import dev.sparq.tensor.Tensor;
import java.util.Arrays;

/**
 * Checked shapes of a forward convolution (Conv, ConvInteger, QLinearConv): X is [N, C, in...], W is
 * [M, C/group, k...], Y is [N, M, out...]. The channel loops over it are written once in {@link #forEachPlanePair}.
 */
record ConvLayout(int batch, int inChannels, int outChannels, int group, ConvGeometry geometry) {
    static ConvLayout of(Tensor x, Tensor w, WindowAttrs attrs, long group) {
        RefSupport.requireRank(x, 3, "X");
        if (w.rank() != x.rank()) {
            throw new IllegalArgumentException("W has shape " + Arrays.toString(w.shape()) + " but X has rank "
                + x.rank());
        }
        long[] xs = x.shape();
        long[] ws = w.shape();
        long[] kernel = Arrays.copyOfRange(ws, 2, ws.length);
        if (attrs.kernelShape() != null && !Arrays.equals(attrs.kernelShape(), kernel)) {
            throw new IllegalArgumentException("kernel_shape " + Arrays.toString(attrs.kernelShape())
                + " does not match W " + Arrays.toString(ws));
        }
        if (group < 1 || xs[1] % group != 0 || ws[0] % group != 0 || ws[1] * group != xs[1]) {
            throw new IllegalArgumentException("X " + Arrays.toString(xs) + " and W " + Arrays.toString(ws)
                + " do not agree with group " + group);
        }
        ConvGeometry g = ConvGeometry.forward(Arrays.copyOfRange(xs, 2, xs.length), kernel, attrs);
        return new ConvLayout(RefSupport.toInt(xs[0], "batch"), (int) xs[1], RefSupport.toInt(ws[0], "M"),
            (int) group, g);
    }

    long[] outputShape() {
        long[] spatial = geometry.smallShape();
        long[] out = new long[spatial.length + 2];
        out[0] = batch;
        out[1] = outChannels;
        System.arraycopy(spatial, 0, out, 2, spatial.length);
        return out;
    }

    int outputSize() {
        return batch * outChannels * geometry.smallVolume();
    }

    /** What to do for one (output plane, input plane) pair, given the flat index of the weight block. */
    interface PlanePairVisitor {
        void visit(int outBase, int inBase, int weightBase);
    }

    /** Calls {@code v} for every output channel paired with every input channel of its group. */
    void forEachPlanePair(PlanePairVisitor v) {
        int cg = inChannels / group;
        int mg = outChannels / group;
        int inVol = geometry.bigVolume();
        int outVol = geometry.smallVolume();
        int kVol = geometry.kernelVolume();
        for (int n = 0; n < batch; n++) {
            for (int m = 0; m < outChannels; m++) {
                int g = m / mg;
                for (int c = 0; c < cg; c++) {
                    v.visit((n * outChannels + m) * outVol, (n * inChannels + g * cg + c) * inVol,
                        (m * cg + c) * kVol);
                }
            }
        }
    }
}
