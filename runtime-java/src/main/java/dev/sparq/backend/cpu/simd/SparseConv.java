package dev.sparq.backend.cpu.simd;

import dev.sparq.backend.ExecutionContext;
import dev.sparq.backend.Kernel;
import dev.sparq.backend.geometry.ConvAttributes;
import dev.sparq.backend.geometry.ConvGeometry2d;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import java.lang.foreign.MemorySegment;

/**
 * A convolution (group 1) with pruned weights W [Cout, Cin·kh·kw] in a sparse format, as a sparse × dense product
 * per image with the output pixels on the vector lanes (XNNPACK's layout): a 1×1 stride-1 convolution reads the NCHW
 * image itself as X [Cin, H·W]; any other goes through {@link Im2colRows}. Bias and clamp are fused into the store;
 * output channels are split over threads.
 */
final class SparseConv implements Kernel {
    private static final long WORK_PER_THREAD = 32_768;
    private final ConvAttributes attrs;
    private final SparseWeights w;
    private final float[] bias;
    private final Activation act;
    private final int cin;

    SparseConv(ConvAttributes attrs, SparseWeights w, float[] bias, Activation act, int cin) {
        this.attrs = attrs;
        this.w = w;
        this.bias = bias;
        this.act = act;
        this.cin = cin;
        if (!w.hasMatrixProduct()) {
            throw new IllegalArgumentException(w.format() + " has no product with a matrix");
        }
    }

    @Override
    public long packedWeightBytes() {
        return w.bytes() + (long) bias.length * Float.BYTES;
    }

    @Override
    public Tensor[] run(Tensor[] inputs, ExecutionContext ctx) {
        Tensor x = inputs[0];
        ConvAttributes.checkInput(x, cin);
        ConvGeometry2d g = attrs.geometry(x, cin);
        int pixels = g.outputPixels();
        int cout = w.rows;
        Tensor out = ctx.allocateUninitialized(DType.F32, x.dim(0), cout, g.oh(), g.ow());
        MemorySegment xs = x.segment();
        MemorySegment os = out.segment();
        long imageIn = (long) cin * g.h() * g.w();
        int parts = ctx.threadsFor(Math.min(cout, (long) w.nonzeros() * pixels / WORK_PER_THREAD));
        for (long img = 0; img < x.dim(0); img++) {
            MemorySegment src;
            long srcIndex;
            int ldx;
            if (g.isPointwise()) {
                src = xs;
                srcIndex = img * imageIn;
                ldx = pixels;
            } else {
                src = Im2colRows.of(xs, img * imageIn, g, ctx);
                srcIndex = 0;
                ldx = Im2colRows.stride(g);
            }
            long outIndex = img * cout * pixels;
            ctx.parallelFor(parts, part -> w.timesMatrix(part, parts, src, srcIndex, ldx, pixels, os, outIndex,
                pixels, bias, act.min(), act.max()));
        }
        return new Tensor[] {out};
    }
}
