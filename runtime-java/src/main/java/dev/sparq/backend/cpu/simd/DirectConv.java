package dev.sparq.backend.cpu.simd;

import dev.sparq.backend.ExecutionContext;
import dev.sparq.backend.Kernel;
import dev.sparq.backend.geometry.ConvAttributes;
import dev.sparq.backend.geometry.ConvGeometry2d;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import java.lang.foreign.MemorySegment;

/**
 * Convolution computed directly, without im2col or packing: each output channel's plane accumulates one axpy per
 * (input channel, tap) over the padded input planes, as {@link DepthwiseConv} does per channel (stride 1: the whole
 * plane as one long row). Worth it when the reduction is short (few input channels × taps, e.g. a network's first
 * layer), where the GEMM's packing costs more than it saves; the tuner decides per shape. Any group count.
 */
final class DirectConv implements Kernel {
    private final ConvAttributes attrs;
    private final float[] weights;
    private final float[] bias;
    private final Activation act;
    private final int cinPerGroup;
    private final int groups;

    /** @param weights [Cout][Cin/group][kh][kw], row-major */
    DirectConv(ConvAttributes attrs, float[] weights, float[] bias, Activation act, int cinPerGroup, int groups) {
        this.attrs = attrs;
        this.weights = weights;
        this.bias = bias;
        this.act = act;
        this.cinPerGroup = cinPerGroup;
        this.groups = groups;
    }

    @Override
    public Tensor[] run(Tensor[] inputs, ExecutionContext ctx) {
        Tensor x = inputs[0];
        int channels = cinPerGroup * groups;
        ConvAttributes.checkInput(x, channels);
        ConvGeometry2d g = attrs.geometry(x, 1);
        int cout = bias.length;
        int coutPerGroup = cout / groups;
        Tensor out = ctx.allocateUninitialized(DType.F32, x.dim(0), cout, g.oh(), g.ow());
        MemorySegment xs = x.segment();
        MemorySegment os = out.segment();
        int planeSize = PaddedPlane.planeSize(g);
        int phaseSize = PaddedPlane.phaseSize(g);
        float[] data = Scratch.of(6).get(channels * planeSize);
        float[] phases = Scratch.of(7).get(channels * phaseSize);
        PaddedPlane[] planes = new PaddedPlane[channels];
        for (int c = 0; c < channels; c++) {
            planes[c] = new PaddedPlane(g, data, c * planeSize, phases, c * phaseSize);
        }
        int threads = Math.max(1, Math.min(ctx.threads(), cout));
        int taps = g.kh() * g.kw();
        for (long img = 0; img < x.dim(0); img++) {
            long inBase = img * channels * g.h() * g.w();
            long outBase = img * cout * g.oh() * g.ow();
            int loaders = Math.max(1, Math.min(ctx.threads(), channels));
            ctx.parallelFor(loaders, t -> {
                for (int c = channels * t / loaders; c < channels * (t + 1) / loaders; c++) {
                    planes[c].load(xs, inBase + (long) c * g.h() * g.w(), 0f);
                }
            });
            ctx.parallelFor(threads, t -> {
                boolean flat = planes[0].flat();
                int wp = planes[0].flatStride();
                int rowStride = flat ? wp : g.ow();
                float[] acc = Scratch.of(3).get(g.oh() * rowStride);
                int[] starts = new int[9];
                SimdOps ops = SimdOps.get();
                for (int o = cout * t / threads; o < cout * (t + 1) / threads; o++) {
                    java.util.Arrays.fill(acc, 0, g.oh() * rowStride, 0f);
                    int firstChannel = o / coutPerGroup * cinPerGroup;
                    for (int ci = 0; ci < cinPerGroup; ci++) {
                        PaddedPlane plane = planes[firstChannel + ci];
                        float[] src = plane.array();
                        int wBase = (o * cinPerGroup + ci) * taps;
                        if (flat && g.kh() == 3 && g.kw() == 3) {
                            // 3×3: one pass per input channel, the 9 taps summed in registers
                            for (int tap = 0; tap < 9; tap++) {
                                starts[tap] = plane.flatRun(tap / 3, tap % 3);
                            }
                            ops.taps9(acc, 0, weights, wBase, src, starts, g.oh() * wp, true);
                            continue;
                        }
                        for (int ky = 0; ky < g.kh(); ky++) {
                            for (int kx = 0; kx < g.kw(); kx++) {
                                float wv = weights[wBase + ky * g.kw() + kx];
                                if (flat) {
                                    ops.axpy(acc, 0, wv, src, plane.flatRun(ky, kx), g.oh() * wp);
                                } else {
                                    for (int oy = 0; oy < g.oh(); oy++) {
                                        ops.axpy(acc, oy * rowStride, wv, src, plane.run(oy, ky, kx), g.ow());
                                    }
                                }
                            }
                        }
                    }
                    long base = outBase + (long) o * g.oh() * g.ow();
                    for (int oy = 0; oy < g.oh(); oy++) {
                        ops.storeRow(acc, oy * rowStride, g.ow(), bias[o], act.min(), act.max(), os,
                            base + (long) oy * g.ow());
                    }
                }
            });
        }
        return new Tensor[] {out};
    }
}
