package dev.sparq.backend.cpu.simd;

import dev.sparq.backend.ExecutionContext;
import dev.sparq.backend.Kernel;
import dev.sparq.backend.geometry.ConvGeometry2d;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Depthwise integer convolution (group == input channels, {@code multiplier} filters per channel), computed directly
 * like {@link DepthwiseConv}: each input plane is loaded once, centered, into a {@link PaddedPlane} of floats and
 * every tap is one axpy over it. Exact because the factory checked {@link ExactSums#fits} for every filter. Input
 * planes are split across threads; accumulators are per thread.
 */
record IntDepthwiseConv(IntConvInput input, float[] weights, int multiplier, IntConvOutput output) implements Kernel {
    @Override
    public Tensor[] run(Tensor[] inputs, ExecutionContext ctx) {
        Tensor x = inputs[0];
        int channels = input.channels();
        ConvGeometry2d g = input.geometry(x, 1);
        int cout = channels * multiplier;
        Tensor y = ctx.allocateUninitialized(output.dtype(), x.dim(0), cout, g.oh(), g.ow());
        MemorySegment xs = x.segment();
        MemorySegment ys = y.segment();
        boolean unsigned = x.dtype() == DType.U8;
        int planes = (int) (x.dim(0) * channels);
        int threads = ctx.threadsFor(planes);
        int taps = g.kh() * g.kw();
        int pixels = g.outputPixels();
        ctx.parallelFor(threads, t -> {
            PaddedPlane plane = new PaddedPlane(g, Scratch.of(2).get(PaddedPlane.planeSize(g)),
                Scratch.of(4).get(PaddedPlane.phaseSize(g)));
            int wp = plane.flatStride();
            // stride 1: the plane is one long row of width wp and output (oy, ox) accumulates at oy·wp + ox
            int rowStride = plane.flat() ? wp : g.ow();
            float[] acc = Scratch.of(3).get(g.oh() * rowStride);
            // the sums are requantized from a native copy: a heap segment through the Vector API's segment loads
            // slows every vector access compiled after it in the process (see WinogradConv)
            MemorySegment accs = NativeScratch.floats(2, (long) g.oh() * rowStride);
            SimdOps ops = SimdOps.get();
            for (int p = planes * t / threads; p < planes * (t + 1) / threads; p++) {
                plane.loadCentered(xs, (long) p * g.h() * g.w(), unsigned, input.zero());
                float[] src = plane.array();
                for (int j = 0; j < multiplier; j++) {
                    int oc = (p % channels) * multiplier + j;
                    java.util.Arrays.fill(acc, 0, g.oh() * rowStride, 0f);
                    for (int ky = 0; ky < g.kh(); ky++) {
                        for (int kx = 0; kx < g.kw(); kx++) {
                            float w = weights[oc * taps + ky * g.kw() + kx];
                            if (plane.flat()) {
                                ops.axpy(acc, 0, w, src, plane.flatRun(ky, kx), g.oh() * wp);
                            } else {
                                for (int oy = 0; oy < g.oh(); oy++) {
                                    ops.axpy(acc, oy * rowStride, w, src, plane.run(oy, ky, kx), g.ow());
                                }
                            }
                        }
                    }
                    long outBase = ((long) p * multiplier + j) * pixels;
                    MemorySegment.copy(acc, 0, accs, ValueLayout.JAVA_FLOAT, 0, g.oh() * rowStride);
                    for (int oy = 0; oy < g.oh(); oy++) {
                        output.write(accs, (long) oy * rowStride, null, 0, g.ow(), oc, ys, outBase + (long) oy * g.ow());
                    }
                }
            }
        });
        return new Tensor[] {y};
    }
}
