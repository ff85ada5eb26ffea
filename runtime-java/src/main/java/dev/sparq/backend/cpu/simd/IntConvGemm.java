package dev.sparq.backend.cpu.simd;

import dev.sparq.backend.ExecutionContext;
import dev.sparq.backend.Kernel;
import dev.sparq.backend.geometry.ConvGeometry2d;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import java.lang.foreign.MemorySegment;

/**
 * An integer convolution (QLinearConv, ConvInteger) as the f32 packed GEMM per image and group, exact by
 * {@link ExactSums}: centered weights packed once, the centered input im2col'd per call through
 * {@link PaddedIm2colSource} (padding is the zero point, so it adds 0). Each K chunk's sums land in an f32 buffer;
 * all chunks but the last are folded into int32 partial sums; the output step reads both.
 */
record IntConvGemm(IntConvInput input, PackedMatrix[] packed, int[] chunks, IntConvOutput output) implements Kernel {
    @Override
    public long packedWeightBytes() {
        long bytes = 0;
        for (PackedMatrix p : packed) {
            bytes += p.bytes() + 8L * p.rows(); // + int32 bias and multiplier per channel
        }
        return bytes;
    }

    @Override
    public Tensor[] run(Tensor[] inputs, ExecutionContext ctx) {
        Tensor x = inputs[0];
        int groups = packed.length;
        int cinPerGroup = input.channels() / groups;
        ConvGeometry2d g = input.geometry(x, cinPerGroup);
        int coutPerGroup = packed[0].rows();
        int cout = coutPerGroup * groups;
        int pixels = g.outputPixels();
        long batch = x.dim(0);
        Tensor y = ctx.allocateUninitialized(output.dtype(), batch, cout, g.oh(), g.ow());
        // per call, not per kernel: the same kernel may run concurrently for two sessions
        Tensor sums = ctx.allocateUninitialized(DType.F32, cout, pixels);
        Tensor partial = chunks.length > 2 ? ctx.allocateUninitialized(DType.I32, cout, pixels) : null;
        MemorySegment ss = sums.segment();
        MemorySegment ps = partial == null ? null : partial.segment();
        boolean unsigned = x.dtype() == DType.U8;
        long planeIn = (long) g.h() * g.w();
        SimdOps ops = SimdOps.get();
        for (long img = 0; img < batch; img++) {
            for (int grp = 0; grp < groups; grp++) {
                long inOff = (img * input.channels() + (long) grp * cinPerGroup) * planeIn;
                PanelSource src = new PaddedIm2colSource(x.segment(), inOff, g, unsigned, input.zero());
                long rowOff = (long) grp * coutPerGroup * pixels;
                for (int c = 0; c < chunks.length - 1; c++) {
                    int k0 = chunks[c];
                    int kb = chunks[c + 1] - k0;
                    Gemm.run(new DepthSlice(packed[grp], k0, kb), new DepthSlice(src, k0, kb), ss, rowOff, pixels, null,
                        ctx);
                    if (c + 2 < chunks.length) {
                        boolean first = c == 0;
                        parallelRows(ctx, coutPerGroup, r -> ops.sumsToInt(ss, rowOff + (long) r * pixels,
                            first ? null : ps, rowOff + (long) r * pixels, pixels, ps, rowOff + (long) r * pixels));
                    }
                }
            }
            long outOff = img * cout * pixels;
            MemorySegment ys = y.segment();
            parallelRows(ctx, cout, r -> output.write(ss, (long) r * pixels, ps, (long) r * pixels, pixels, r, ys,
                outOff + (long) r * pixels));
        }
        sums.close();
        if (partial != null) {
            partial.close();
        }
        return new Tensor[] {y};
    }

    /** Runs body for rows [0, rows), split into contiguous ranges across the context's threads. */
    static void parallelRows(ExecutionContext ctx, int rows, java.util.function.IntConsumer body) {
        int threads = ctx.threadsFor(rows);
        ctx.parallelFor(threads, t -> {
            for (int r = rows * t / threads; r < rows * (t + 1) / threads; r++) {
                body.accept(r);
            }
        });
    }
}
