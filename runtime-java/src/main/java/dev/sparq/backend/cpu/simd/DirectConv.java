package dev.sparq.backend.cpu.simd;

import dev.sparq.backend.ExecutionContext;
import dev.sparq.backend.Kernel;
import dev.sparq.backend.geometry.ConvAttributes;
import dev.sparq.backend.geometry.ConvGeometry2d;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import java.lang.foreign.MemorySegment;

/**
 * Convolution computed directly, without im2col or packing, over the padded input planes. With one group and flat
 * runs (stride 1, or 2×2 phases) four output channels at a time are summed in registers over every (input channel,
 * tap) ({@link SimdOps#dotRuns4}); otherwise each output channel's plane accumulates one pass per (input channel,
 * tap), as {@link DepthwiseConv} does per channel. Worth it when the reduction is short (few input channels × taps,
 * e.g. a network's first layer), where the GEMM's packing costs more than it saves; the tuner decides per shape. Any
 * group count.
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
    public long packedWeightBytes() {
        return ((long) weights.length + bias.length) * Float.BYTES;
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
        int taps = g.kh() * g.kw();
        for (long img = 0; img < x.dim(0); img++) {
            long inBase = img * channels * g.h() * g.w();
            long outBase = img * cout * g.oh() * g.ow();
            int loaders = ctx.threadsFor(channels);
            ctx.parallelFor(loaders, t -> {
                for (int c = channels * t / loaders; c < channels * (t + 1) / loaders; c++) {
                    planes[c].load(xs, inBase + (long) c * g.h() * g.w(), 0f);
                }
            });
            boolean flat = planes[0].flat();
            // one group over flat runs: 4 output channels at a time, summed in registers over every input channel
            // and tap and stored once (MobileNetV2's 3-channel stem: 555 -> 372 us against a pass per input channel
            // into an accumulator in memory)
            int quads = flat && groups == 1 ? cout / 4 : 0;
            int units = quads + cout - 4 * quads;
            int unitThreads = ctx.threadsFor(units);
            ctx.parallelFor(unitThreads, t -> {
                int wp = planes[0].flatStride();
                int rowStride = flat ? wp : g.ow();
                int n = g.oh() * rowStride;
                SimdOps ops = SimdOps.get();
                int u0 = units * t / unitThreads;
                int u1 = units * (t + 1) / unitThreads;
                if (u0 < quads) {
                    int depth = cinPerGroup * taps;
                    int[] runs = new int[depth];
                    for (int ci = 0; ci < cinPerGroup; ci++) {
                        for (int tap = 0; tap < taps; tap++) {
                            runs[ci * taps + tap] = planes[ci].flatRun(tap / g.kw(), tap % g.kw());
                        }
                    }
                    float[] acc4 = Scratch.of(3).get(4 * n);
                    for (int q = u0; q < Math.min(u1, quads); q++) {
                        ops.dotRuns4(acc4, 0, n, weights, 4 * q * depth, depth, planes[0].array(), runs, n);
                        for (int o = 0; o < 4; o++) {
                            long base = outBase + (long) (4 * q + o) * g.oh() * g.ow();
                            for (int oy = 0; oy < g.oh(); oy++) {
                                ops.storeRow(acc4, o * n + oy * rowStride, g.ow(), bias[4 * q + o], act.min(),
                                    act.max(), os, base + (long) oy * g.ow());
                            }
                        }
                    }
                }
                float[] acc = Scratch.of(3).get(n);
                int[] starts = new int[9];
                for (int o = 4 * quads + Math.max(0, u0 - quads); o < 4 * quads + Math.max(0, u1 - quads); o++) {
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
