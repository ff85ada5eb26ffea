package dev.sparq.backend.cpu.simd;

import dev.sparq.backend.geometry.ConvAttributes;
import dev.sparq.backend.geometry.ConvGeometry2d;
import dev.sparq.backend.ExecutionContext;
import dev.sparq.backend.Kernel;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import java.lang.foreign.MemorySegment;

/**
 * Depthwise convolution (one filter per channel), computed directly on a {@link PaddedPlane} per channel. Stride 1:
 * each tap is a single axpy over the whole plane seen as one long row (the few padding columns computed are
 * dropped), so vectors stay long even for 7×7 planes. Other strides: one axpy per tap and output row over a column
 * phase. Bias and clamp are applied on store; channels are split across threads.
 */
record DepthwiseConv(ConvAttributes attrs, float[] weights, float[] bias, Activation act) implements Kernel {
    @Override
    public long packedWeightBytes() {
        return ((long) weights.length + bias.length) * Float.BYTES;
    }

    @Override
    public Tensor[] run(Tensor[] inputs, ExecutionContext ctx) {
        Tensor x = inputs[0];
        int channels = bias.length;
        ConvAttributes.checkInput(x, channels);
        ConvGeometry2d g = attrs.geometry(x, 1);
        Tensor out = ctx.allocateUninitialized(DType.F32, x.dim(0), channels, g.oh(), g.ow());
        MemorySegment xs = x.segment();
        MemorySegment os = out.segment();
        int planes = (int) (x.dim(0) * channels);
        int threads = ctx.threadsFor(planes);
        int taps = g.kh() * g.kw();
        ctx.parallelFor(threads, t -> {
            PaddedPlane plane = new PaddedPlane(g, Scratch.of(2).get(PaddedPlane.planeSize(g)),
                Scratch.of(4).get(PaddedPlane.phaseSize(g)));
            int wp = plane.flatStride();
            int rowStride = plane.flat() ? wp : g.ow();
            float[] acc = Scratch.of(3).get(g.oh() * rowStride);
            int[] starts = new int[taps];
            SimdOps ops = SimdOps.get();
            for (int p = planes * t / threads; p < planes * (t + 1) / threads; p++) {
                int c = p % channels;
                plane.load(xs, (long) p * g.h() * g.w(), 0f);
                float[] src = plane.array();
                if (g.kh() == 3 && g.kw() == 3) {
                    // 3×3: each output summed in registers and stored once, instead of 9 passes over acc
                    for (int oy = 0; oy < (plane.flat() ? 1 : g.oh()); oy++) {
                        for (int ky = 0; ky < 3; ky++) {
                            for (int kx = 0; kx < 3; kx++) {
                                starts[ky * 3 + kx] = plane.flat() ? plane.flatRun(ky, kx) : plane.run(oy, ky, kx);
                            }
                        }
                        ops.taps9(acc, oy * rowStride, weights, c * 9, src, starts,
                            plane.flat() ? g.oh() * wp : g.ow(), false);
                    }
                } else {
                    java.util.Arrays.fill(acc, 0, g.oh() * rowStride, 0f);
                    for (int ky = 0; ky < g.kh(); ky++) {
                        for (int kx = 0; kx < g.kw(); kx++) {
                            float w = weights[c * taps + ky * g.kw() + kx];
                            if (plane.flat()) {
                                ops.axpy(acc, 0, w, src, plane.flatRun(ky, kx), g.oh() * wp);
                            } else {
                                for (int oy = 0; oy < g.oh(); oy++) {
                                    ops.axpy(acc, oy * rowStride, w, src, plane.run(oy, ky, kx), g.ow());
                                }
                            }
                        }
                    }
                }
                long outBase = (long) p * g.oh() * g.ow();
                for (int oy = 0; oy < g.oh(); oy++) {
                    ops.storeRow(acc, oy * rowStride, g.ow(), bias[c], act.min(), act.max(), os,
                        outBase + (long) oy * g.ow());
                }
            }
        });
        return new Tensor[] {out};
    }
}
