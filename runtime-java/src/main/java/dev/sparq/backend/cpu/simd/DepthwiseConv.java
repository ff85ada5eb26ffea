package dev.sparq.backend.cpu.simd;

import dev.sparq.backend.ExecutionContext;
import dev.sparq.backend.Kernel;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import java.lang.foreign.MemorySegment;

/**
 * Depthwise convolution (one filter per channel), computed directly: each output row accumulates, for every tap
 * that lands inside the image, a scaled run of one input row (a vector axpy for stride 1), then gets bias and
 * clamp on store. Channels are split across threads.
 */
record DepthwiseConv(ConvAttributes attrs, float[] weights, float[] bias, Activation act) implements Kernel {
    @Override
    public Tensor[] run(Tensor[] inputs, ExecutionContext ctx) {
        Tensor x = inputs[0];
        int channels = bias.length;
        ConvAttributes.checkInput(x, channels);
        ConvGeometry2d g = attrs.geometry(x, 1);
        long batch = x.dim(0);
        Tensor out = ctx.allocateUninitialized(DType.F32, batch, channels, g.oh(), g.ow());
        MemorySegment xs = x.segment();
        MemorySegment os = out.segment();
        SimdOps ops = SimdOps.get();
        int planes = (int) (batch * channels);
        int threads = Math.max(1, Math.min(ctx.threads(), planes));
        ctx.parallelFor(threads, t -> {
            float[] acc = Scratch.of(2).get(g.ow());
            for (int plane = planes * t / threads; plane < planes * (t + 1) / threads; plane++) {
                channelPlane(ops, xs, os, g, plane, plane % channels, acc);
            }
        });
        return new Tensor[] {out};
    }

    private void channelPlane(SimdOps ops, MemorySegment xs, MemorySegment os, ConvGeometry2d g, int plane, int c,
                              float[] acc) {
        long in = (long) plane * g.h() * g.w();
        long outBase = (long) plane * g.oh() * g.ow();
        int taps = g.kh() * g.kw();
        for (int oy = 0; oy < g.oh(); oy++) {
            java.util.Arrays.fill(acc, 0, g.ow(), 0f);
            for (int ky = 0; ky < g.kh(); ky++) {
                int iy = oy * g.sh() - g.padTop() + ky * g.dh();
                if (iy < 0 || iy >= g.h()) {
                    continue;
                }
                long row = in + (long) iy * g.w();
                for (int kx = 0; kx < g.kw(); kx++) {
                    int shift = kx * g.dw() - g.padLeft();
                    // output columns whose input column ox*sw + shift lies in [0, w)
                    int lo = Math.max(0, ceilDiv(-shift, g.sw()));
                    int hi = Math.min(g.ow(), Math.floorDiv(g.w() - 1 - shift, g.sw()) + 1);
                    if (hi <= lo) {
                        continue;
                    }
                    float wv = weights[c * taps + ky * g.kw() + kx];
                    long start = row + (long) lo * g.sw() + shift;
                    if (g.sw() == 1) {
                        ops.axpy(acc, lo, wv, xs, start, hi - lo);
                    } else {
                        ops.axpyStrided(acc, lo, wv, xs, start, g.sw(), hi - lo);
                    }
                }
            }
            ops.storeRow(acc, g.ow(), bias[c], act.min(), act.max(), os, outBase + (long) oy * g.ow());
        }
    }

    private static int ceilDiv(int a, int b) {
        return -Math.floorDiv(-a, b);
    }
}
