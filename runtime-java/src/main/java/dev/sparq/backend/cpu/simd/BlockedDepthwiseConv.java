package dev.sparq.backend.cpu.simd;

import dev.sparq.backend.ExecutionContext;
import dev.sparq.backend.Kernel;
import dev.sparq.backend.geometry.ConvAttributes;
import dev.sparq.backend.geometry.ConvGeometry2d;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * Depthwise convolution with channels in the vector lanes: {@link SimdOps#lanes()} channels at a time are gathered
 * into one padded, channel-minor buffer (a vector of channels per pixel), every output pixel is summed from its
 * window's vectors ({@link SimdOps#depthwiseBlock}), and each channel is gathered back into its plane. Planes of
 * 7×7 or 14×14 pixels make short, ragged rows for {@link DepthwiseConv}, which vectorizes along a plane and pays a
 * setup per channel; here every vector is full, at the price of the two transposing copies. The sums run tap by
 * tap in the same order as DepthwiseConv's, then bias and clamp: the same bits.
 */
final class BlockedDepthwiseConv implements Kernel {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;
    /** Padded buffers up to this many floats are cleared whole (one fill); larger ones only at their border. */
    private static final int CLEAR_WHOLE = 16 * 1024;

    private final ConvAttributes attrs;
    private final int channels;
    private final Activation act;
    private final int lanes;
    /** Per block of lanes channels: its taps channel-minor, w[t·lanes + l], zero past the last channel. */
    private final float[][] blockWeights;
    private final float[][] blockBias;

    BlockedDepthwiseConv(ConvAttributes attrs, float[] weights, float[] bias, Activation act) {
        this.attrs = attrs;
        this.channels = bias.length;
        int taps = weights.length / channels;
        this.act = act;
        this.lanes = SimdOps.get().lanes();
        int blocks = (channels + lanes - 1) / lanes;
        blockWeights = new float[blocks][taps * lanes];
        blockBias = new float[blocks][lanes];
        for (int c = 0; c < channels; c++) {
            blockBias[c / lanes][c % lanes] = bias[c];
            for (int t = 0; t < taps; t++) {
                blockWeights[c / lanes][t * lanes + c % lanes] = weights[c * taps + t];
            }
        }
    }

    @Override
    public long packedWeightBytes() {
        long floats = 0;
        for (int b = 0; b < blockWeights.length; b++) {
            floats += blockWeights[b].length + blockBias[b].length;
        }
        return floats * Float.BYTES;
    }

    @Override
    public Tensor[] run(Tensor[] inputs, ExecutionContext ctx) {
        Tensor x = inputs[0];
        ConvAttributes.checkInput(x, channels);
        ConvGeometry2d g = attrs.geometry(x, 1);
        Tensor out = ctx.allocateUninitialized(DType.F32, x.dim(0), channels, g.oh(), g.ow());
        MemorySegment xs = x.segment();
        MemorySegment os = out.segment();
        SimdOps ops = SimdOps.get();
        int blocksPerImage = blockBias.length;
        int blocks = (int) (x.dim(0) * blocksPerImage);
        int threads = ctx.threadsFor(blocks);
        // the windows' reach: padding before the input is materialized, rows and columns past the reach are not
        int hp = (g.oh() - 1) * g.sh() + (g.kh() - 1) * g.dh() + 1;
        int wp = (g.ow() - 1) * g.sw() + (g.kw() - 1) * g.dw() + 1;
        int planeSize = g.h() * g.w();
        int pixels = g.oh() * g.ow();
        int[] laneOffsets = new int[lanes];
        for (int l = 0; l < lanes; l++) {
            laneOffsets[l] = l * planeSize;
        }
        ctx.parallelFor(threads, t -> {
            float[] buf = Scratch.of(2).get(hp * wp * lanes);
            float[] acc = Scratch.of(3).get(pixels * lanes);
            float[] planes = Scratch.of(4).get(lanes * Math.max(planeSize, pixels));
            for (int blk = blocks * t / threads; blk < blocks * (t + 1) / threads; blk++) {
                int img = blk / blocksPerImage;
                int block = blk % blocksPerImage;
                int c0 = block * lanes;
                int valid = Math.min(lanes, channels - c0);
                MemorySegment.copy(xs, F, ((long) img * channels + c0) * planeSize * Float.BYTES, planes, 0,
                    valid * planeSize);
                Arrays.fill(planes, valid * planeSize, lanes * planeSize, 0f);
                pack(g, ops, planes, laneOffsets, hp, wp, buf);
                ops.depthwiseBlock(g, buf, wp, blockWeights[block], blockBias[block], act.min(), act.max(), acc);
                ops.transpose(acc, 0, lanes, pixels, lanes, planes, 0, pixels);
                MemorySegment.copy(planes, 0, os, F, ((long) img * channels + c0) * pixels * Float.BYTES,
                    valid * pixels);
            }
        });
        return new Tensor[] {out};
    }

    /**
     * buf[(py·wp + px)·lanes + l] = plane l's value at (py − padTop, px − padLeft), zero outside the plane: small
     * buffers are cleared whole first, large ones only at the border (the rest is overwritten).
     */
    private void pack(ConvGeometry2d g, SimdOps ops, float[] planes, int[] laneOffsets, int hp, int wp,
                      float[] buf) {
        int rows = Math.min(g.h(), hp - g.padTop());
        int cols = Math.min(g.w(), wp - g.padLeft());
        int y0 = g.padTop();
        int x0 = g.padLeft();
        boolean whole = hp * wp * lanes <= CLEAR_WHOLE || rows <= 0 || cols <= 0;
        if (whole) {
            Arrays.fill(buf, 0, hp * wp * lanes, 0f);
        } else {
            Arrays.fill(buf, 0, y0 * wp * lanes, 0f);
            Arrays.fill(buf, (y0 + rows) * wp * lanes, hp * wp * lanes, 0f);
        }
        for (int r = 0; r < rows && cols > 0; r++) {
            int py = r + y0;
            if (!whole) {
                Arrays.fill(buf, py * wp * lanes, (py * wp + x0) * lanes, 0f);
                Arrays.fill(buf, (py * wp + x0 + cols) * lanes, (py + 1) * wp * lanes, 0f);
            }
            ops.interleaveLanes(planes, laneOffsets, r * g.w(), buf, (py * wp + x0) * lanes, cols);
        }
    }
}
