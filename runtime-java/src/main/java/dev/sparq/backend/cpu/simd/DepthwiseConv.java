package dev.sparq.backend.cpu.simd;

import dev.sparq.backend.ExecutionContext;
import dev.sparq.backend.Kernel;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Depthwise convolution (one filter per channel), computed directly on a zero-padded copy of each channel plane.
 * Stride 1: the plane is treated as one long row of width Wp, so each tap is a single axpy over OH×Wp outputs
 * (the Wp − OW extra columns per row are computed and dropped) — long vectors even for 7×7 planes. Other strides:
 * the padded plane is split into {@code stride} column phases so every tap reads a contiguous run per output row.
 * Bias and clamp are applied on store; channels are split across threads.
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
        int planes = (int) (batch * channels);
        int threads = Math.max(1, Math.min(ctx.threads(), planes));
        // padded plane: enough rows and columns for every tap of every output, plus a tail for the flat trick
        int hp = Math.max(g.h() + g.padTop(), (g.oh() - 1) * g.sh() + (g.kh() - 1) * g.dh() + 1);
        int wp = Math.max(g.w() + g.padLeft(), (g.ow() - 1) * g.sw() + (g.kw() - 1) * g.dw() + 1);
        ctx.parallelFor(threads, t -> {
            float[] plane = Scratch.of(2).get(hp * wp + wp);
            float[] acc = Scratch.of(3).get(g.oh() * Math.max(wp, g.ow()));
            float[] phases = g.sw() == 1 ? null : Scratch.of(4).get(g.sw() * hp * ((wp + g.sw() - 1) / g.sw()));
            for (int p = planes * t / threads; p < planes * (t + 1) / threads; p++) {
                pad(xs, (long) p * g.h() * g.w(), g, plane, hp, wp);
                long outBase = (long) p * g.oh() * g.ow();
                int c = p % channels;
                if (g.sw() == 1) {
                    strideOneColumns(g, plane, wp, acc, c);
                    for (int oy = 0; oy < g.oh(); oy++) {
                        SimdOps.get().storeRow(acc, oy * wp, g.ow(), bias[c], act.min(), act.max(), os,
                            outBase + (long) oy * g.ow());
                    }
                } else {
                    int pw = splitPhases(plane, hp, wp, g.sw(), phases);
                    stridedColumns(g, phases, pw, hp, acc, c);
                    for (int oy = 0; oy < g.oh(); oy++) {
                        SimdOps.get().storeRow(acc, oy * g.ow(), g.ow(), bias[c], act.min(), act.max(), os,
                            outBase + (long) oy * g.ow());
                    }
                }
            }
        });
        return new Tensor[] {out};
    }

    private static void pad(MemorySegment xs, long at, ConvGeometry2d g, float[] plane, int hp, int wp) {
        java.util.Arrays.fill(plane, 0, hp * wp + wp, 0f);
        for (int iy = 0; iy < g.h(); iy++) {
            MemorySegment.copy(xs, ValueLayout.JAVA_FLOAT, (at + (long) iy * g.w()) * Float.BYTES, plane,
                (iy + g.padTop()) * wp + g.padLeft(), g.w());
        }
    }

    /** Stride 1 along x: acc[oy*wp + ox] = Σ w · plane[(oy*sh + ky*dh)*wp + ox + kx*dw]. */
    private void strideOneColumns(ConvGeometry2d g, float[] plane, int wp, float[] acc, int c) {
        SimdOps ops = SimdOps.get();
        int taps = g.kh() * g.kw();
        if (g.sh() == 1) {
            int n = g.oh() * wp;
            java.util.Arrays.fill(acc, 0, n, 0f);
            for (int ky = 0; ky < g.kh(); ky++) {
                for (int kx = 0; kx < g.kw(); kx++) {
                    ops.axpy(acc, 0, weights[c * taps + ky * g.kw() + kx], plane, ky * g.dh() * wp + kx * g.dw(), n);
                }
            }
            return;
        }
        for (int oy = 0; oy < g.oh(); oy++) {
            java.util.Arrays.fill(acc, oy * wp, oy * wp + g.ow(), 0f);
            for (int ky = 0; ky < g.kh(); ky++) {
                int row = (oy * g.sh() + ky * g.dh()) * wp;
                for (int kx = 0; kx < g.kw(); kx++) {
                    ops.axpy(acc, oy * wp, weights[c * taps + ky * g.kw() + kx], plane, row + kx * g.dw(), g.ow());
                }
            }
        }
    }

    /** phases[r][y][x] = plane[y][x*stride + r]; returns the phase width. */
    private static int splitPhases(float[] plane, int hp, int wp, int stride, float[] phases) {
        int pw = (wp + stride - 1) / stride;
        if (stride == 2) {
            java.util.Arrays.fill(phases, 0, 2 * hp * pw, 0f);
            for (int y = 0; y < hp; y++) {
                SimdOps.get().deinterleave2(plane, y * wp, wp, phases, y * pw, phases, (hp + y) * pw);
            }
            return pw;
        }
        for (int r = 0; r < stride; r++) {
            for (int y = 0; y < hp; y++) {
                int src = y * wp + r;
                int dst = (r * hp + y) * pw;
                int x = 0;
                for (; r + x * stride < wp; x++) {
                    phases[dst + x] = plane[src + x * stride];
                }
                for (; x < pw; x++) {
                    phases[dst + x] = 0f;
                }
            }
        }
        return pw;
    }

    /** Strided along x: each tap reads phase (kx*dw mod s) at column offset (kx*dw div s), contiguous in ox. */
    private void stridedColumns(ConvGeometry2d g, float[] phases, int pw, int hp, float[] acc, int c) {
        SimdOps ops = SimdOps.get();
        int taps = g.kh() * g.kw();
        int s = g.sw();
        java.util.Arrays.fill(acc, 0, g.oh() * g.ow(), 0f);
        for (int oy = 0; oy < g.oh(); oy++) {
            for (int ky = 0; ky < g.kh(); ky++) {
                int y = oy * g.sh() + ky * g.dh();
                for (int kx = 0; kx < g.kw(); kx++) {
                    int col = kx * g.dw();
                    int src = ((col % s) * hp + y) * pw + col / s;
                    ops.axpy(acc, oy * g.ow(), weights[c * taps + ky * g.kw() + kx], phases, src, g.ow());
                }
            }
        }
    }
}
