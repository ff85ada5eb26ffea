package dev.sparq.backend.cpu.simd;

import dev.sparq.backend.ExecutionContext;
import dev.sparq.backend.Kernel;
import dev.sparq.backend.KernelRequest;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import java.lang.foreign.MemorySegment;

/**
 * 2-D AveragePool over NCHW (explicit pads smaller than the kernel, no ceil_mode, no dilation) on a zero-padded
 * {@link PaddedPlane}: window sums are one vector add per tap and output row, then each output is divided by its
 * window size, with or without the padding as {@code count_include_pad} says.
 */
record AveragePool2d(PoolWindow window, boolean countPad) implements Kernel {
    static Kernel create(KernelRequest r) {
        ElementwiseKernels.requireF32(r.inputType(0));
        return new AveragePool2d(PoolWindow.of(r.node()), r.node().intAttr("count_include_pad", 0) != 0);
    }

    @Override
    public Tensor[] run(Tensor[] inputs, ExecutionContext ctx) {
        Tensor x = inputs[0];
        ConvGeometry2d g = window.geometry(x);
        int h = g.h();
        int w = g.w();
        int oh = g.oh();
        int ow = g.ow();
        int kh = g.kh();
        int kw = g.kw();
        // 1 / window size per output column and row; their product is the divisor of each output
        float[] colScale = new float[ow];
        for (int ox = 0; ox < ow; ox++) {
            colScale[ox] = 1f / count(ox * g.sw() - g.padLeft(), kw, w);
        }
        float[] rowScale = new float[oh];
        for (int oy = 0; oy < oh; oy++) {
            rowScale[oy] = 1f / count(oy * g.sh() - g.padTop(), kh, h);
        }
        Tensor out = ctx.allocateUninitialized(DType.F32, x.dim(0), x.dim(1), oh, ow);
        MemorySegment xs = x.segment();
        MemorySegment os = out.segment();
        int planes = (int) (x.dim(0) * x.dim(1));
        int threads = Math.max(1, Math.min(ctx.threads(), planes));
        ctx.parallelFor(threads, t -> {
            PaddedPlane plane = new PaddedPlane(g, Scratch.of(2).get(PaddedPlane.planeSize(g)),
                Scratch.of(4).get(PaddedPlane.phaseSize(g)));
            float[] acc = Scratch.of(3).get(2 * ow);
            SimdOps ops = SimdOps.get();
            for (int p = planes * t / threads; p < planes * (t + 1) / threads; p++) {
                plane.load(xs, (long) p * h * w, 0f);
                float[] src = plane.array();
                for (int oy = 0; oy < oh; oy++) {
                    java.util.Arrays.fill(acc, 0, ow, 0f);
                    for (int ky = 0; ky < kh; ky++) {
                        for (int kx = 0; kx < kw; kx++) {
                            ops.axpy(acc, 0, 1f, src, plane.run(oy, ky, kx), ow);
                        }
                    }
                    for (int ox = 0; ox < ow; ox++) {
                        acc[ow + ox] = colScale[ox] * rowScale[oy];
                    }
                    ops.multiply(acc, 0, acc, ow, ow);
                    ops.storeRow(acc, 0, ow, 0f, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, os,
                        (long) p * oh * ow + (long) oy * ow);
                }
            }
        });
        return new Tensor[] {out};
    }

    /**
     * Elements a window starting at {@code start} (unpadded coordinates) averages over along one axis: all k with
     * count_include_pad (without ceil_mode no window reaches past the pads), else only those inside the input.
     */
    private int count(int start, int k, int size) {
        return countPad ? k : Math.min(start + k, size) - Math.max(start, 0);
    }
}
