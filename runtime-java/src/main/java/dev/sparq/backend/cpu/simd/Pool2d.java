package dev.sparq.backend.cpu.simd;

import dev.sparq.backend.geometry.ConvGeometry2d;
import dev.sparq.backend.ExecutionContext;
import dev.sparq.backend.Kernel;
import dev.sparq.backend.KernelRequest;
import dev.sparq.backend.UnsupportedKernelException;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import java.lang.foreign.MemorySegment;

/**
 * 2-D MaxPool and AveragePool over NCHW on a {@link PaddedPlane} per channel: each output row folds one contiguous
 * run per window tap into an accumulator row (max, or sum then divide by the window size). Max pads with −∞ so
 * windows overlapping the padding take the max of their real inputs; average pads with 0 and divides by the count
 * {@code count_include_pad} asks for. Channels are split across threads.
 */
record Pool2d(PoolWindow window, boolean max, boolean countPad) implements Kernel {
    static Kernel maxPool(KernelRequest r) {
        DType t = r.inputType(0).dtype();
        if (t == DType.U8 || t == DType.I8) {
            return BytePool.maxPool(r);
        }
        ElementwiseKernels.requireF32(r.inputType(0));
        if (r.node().outputs().size() > 1 && !r.node().outputs().get(1).isEmpty()) {
            throw new UnsupportedKernelException("cpu-simd MaxPool has no Indices output");
        }
        return new Pool2d(PoolWindow.of(r.node()), true, false);
    }

    static Kernel averagePool(KernelRequest r) {
        ElementwiseKernels.requireF32(r.inputType(0));
        return new Pool2d(PoolWindow.of(r.node()), false, r.node().intAttr("count_include_pad", 0) != 0);
    }

    @Override
    public Tensor[] run(Tensor[] inputs, ExecutionContext ctx) {
        Tensor x = inputs[0];
        ConvGeometry2d g = window.geometry(x);
        int oh = g.oh();
        int ow = g.ow();
        float[] scale = max ? null : divisors(g);
        Tensor out = ctx.allocateUninitialized(DType.F32, x.dim(0), x.dim(1), oh, ow);
        MemorySegment xs = x.segment();
        MemorySegment os = out.segment();
        int planes = (int) (x.dim(0) * x.dim(1));
        int threads = ctx.threadsFor(planes);
        if (max && MaxPool3x3Stride2.fits(g)) {
            MaxPool3x3Stride2.run(g, xs, os, planes, ctx);
            return new Tensor[] {out};
        }
        float fill = max ? Float.NEGATIVE_INFINITY : 0f;
        ctx.parallelFor(threads, t -> {
            PaddedPlane plane = new PaddedPlane(g, Scratch.of(2).get(PaddedPlane.planeSize(g)),
                Scratch.of(4).get(PaddedPlane.phaseSize(g)));
            // flat planes (stride 1 or 2 × 2): one long run per tap over all output rows, not one per row and tap
            int rowStride = plane.flat() ? plane.flatStride() : ow;
            int rows = plane.flat() ? 1 : oh;
            int runLength = plane.flat() ? oh * rowStride : ow;
            float[] acc = Scratch.of(3).get(oh * rowStride);
            SimdOps ops = SimdOps.get();
            for (int p = planes * t / threads; p < planes * (t + 1) / threads; p++) {
                plane.load(xs, (long) p * g.h() * g.w(), fill);
                float[] src = plane.array();
                java.util.Arrays.fill(acc, 0, oh * rowStride, fill);
                for (int oy = 0; oy < rows; oy++) {
                    for (int ky = 0; ky < g.kh(); ky++) {
                        for (int kx = 0; kx < g.kw(); kx++) {
                            int from = plane.flat() ? plane.flatRun(ky, kx) : plane.run(oy, ky, kx);
                            if (max) {
                                ops.max(acc, oy * rowStride, src, from, runLength);
                            } else {
                                ops.axpy(acc, oy * rowStride, 1f, src, from, runLength);
                            }
                        }
                    }
                }
                for (int oy = 0; oy < oh; oy++) {
                    if (!max) {
                        ops.multiply(acc, oy * rowStride, scale, oy * ow, ow);
                    }
                    MemorySegment.copy(acc, oy * rowStride, os, java.lang.foreign.ValueLayout.JAVA_FLOAT,
                        ((long) p * oh * ow + (long) oy * ow) * Float.BYTES, ow);
                }
            }
        });
        return new Tensor[] {out};
    }

    /** 1 / window size for every output position: (rows counted) × (columns counted) per axis. */
    private float[] divisors(ConvGeometry2d g) {
        float[] d = new float[g.oh() * g.ow()];
        for (int oy = 0; oy < g.oh(); oy++) {
            int rows = count(oy * g.sh() - g.padTop(), g.kh(), g.h());
            for (int ox = 0; ox < g.ow(); ox++) {
                d[oy * g.ow() + ox] = 1f / (rows * count(ox * g.sw() - g.padLeft(), g.kw(), g.w()));
            }
        }
        return d;
    }

    /**
     * Elements a window starting at {@code start} (unpadded coordinates) averages along one axis: all k with
     * count_include_pad (without ceil_mode no window reaches past the pads), else only those inside the input.
     */
    private int count(int start, int k, int size) {
        return countPad ? k : Math.min(start + k, size) - Math.max(start, 0);
    }
}
