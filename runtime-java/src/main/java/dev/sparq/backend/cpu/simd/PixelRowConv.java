package dev.sparq.backend.cpu.simd;

import dev.sparq.backend.ExecutionContext;
import dev.sparq.backend.WeightPrefetch;
import dev.sparq.backend.geometry.ConvAttributes;
import dev.sparq.backend.geometry.ConvGeometry2d;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import java.lang.foreign.MemorySegment;

/**
 * Convolution for deep layers on small images (ResNet's last stage: 512 channels · 3 · 3 at 7×7): pixels broadcast
 * in place from the padded planes, {@link MicroKernel#ROW} of one output row per tile, so a 7-wide image wastes no
 * lane (the im2col GEMM pads its 49 pixels to 64), and the weights the vector side in panels of
 * {@link MicroKernel#nr()} channels ({@link ChannelPanels}). The reduction is split into blocks of
 * {@link #KC}: each block of a panel (16 KiB at 512 bits) stays in L1 while every pixel tile meets it, so weights
 * too large for the caches stream from memory once: each thread's first panel read into the caches first ({@link
 * CacheWarmer}), and each next one asked for while the one before computes ({@link WeightPrefetch}, where the native
 * library provides it; else it too is read first). Layer4's 3×3 layers in ResNet-18, 1 thread: −191..−212 µs each
 * (benchmarks/RESULTS.md, stop 32).
 * Each output is one chain of FMAs over k in order (the tile continues it across blocks). The product, pixel-major,
 * is transposed to channel rows as it is stored with bias and clamp. Offered where the output width is a multiple of
 * {@link MicroKernel#ROW}, at stride 1 or 2×2, for outputs up to {@link #MAX_OUTPUT}.
 */
final class PixelRowConv extends PixelBroadcastConv {
    /** Reduction steps per block. */
    static final int KC = 128;

    /** Asks for the next weight panel while this one computes; null: each panel is read whole before it. */
    private final WeightPrefetch prefetch;
    private final MemorySegment packedSegment;

    PixelRowConv(ConvAttributes attrs, float[] weights, float[] bias, Activation act, int cin) {
        this(attrs, weights, bias, act, cin, WeightReadAhead.PROVIDER);
    }

    PixelRowConv(ConvAttributes attrs, float[] weights, float[] bias, Activation act, int cin, WeightPrefetch prefetch) {
        super(attrs, weights, bias, act, cin);
        this.prefetch = prefetch;
        this.packedSegment = WeightReadAhead.segment(this.weights.packed());
    }

    /**
     * The most floats of output per image: the product is a scratch buffer of that size (4 MiB), so large layers are
     * left to kernels that work in pieces.
     */
    static final long MAX_OUTPUT = 1 << 20;

    /** Whether the layer's output rows split into whole tiles and its output is at most {@link #MAX_OUTPUT}. */
    static boolean fits(int oh, int ow, int cout) {
        return ow % MicroKernel.ROW == 0 && (long) oh * ow * cout <= MAX_OUTPUT;
    }

    @Override
    public Tensor[] run(Tensor[] inputs, ExecutionContext ctx) {
        Tensor x = inputs[0];
        ConvAttributes.checkInput(x, cin);
        ConvGeometry2d g = attrs.geometry(x, cin);
        int cout = weights.cout();
        int depth = weights.depth();
        int panels = weights.panels();
        float[] packed = weights.packed();
        if (!fits(g.oh(), g.ow(), cout)) {
            throw new IllegalArgumentException("pixel-rows needs an output width divisible by " + MicroKernel.ROW
                + " and at most " + MAX_OUTPUT + " outputs per image, got " + cout + "x" + g.oh() + "x" + g.ow());
        }
        Tensor out = ctx.allocateUninitialized(DType.F32, x.dim(0), cout, g.oh(), g.ow());
        MemorySegment xs = x.segment();
        MemorySegment os = out.segment();
        int nr = tile.nr();
        int width = weights.width();
        int pixels = g.oh() * g.ow();
        int stride = PaddedPlane.flatStride(g);
        float[] product = Scratch.of(7).get(pixels * width);
        SimdOps ops = SimdOps.get();
        for (long img = 0; img < x.dim(0); img++) {
            long outImage = img * cout;
            PaddedIm2colSource src = new PaddedIm2colSource(xs, img * cin * g.h() * g.w(), g, ctx).flat();
            float[] planes = src.flatArray();
            int[] starts = src.flatStarts();
            // threads split the output rows where the weights cost less to read twice than the input (layer2's
            // first convolutions), else the weight panels (layer4's, whose weights stream from memory)
            boolean byRows = (long) packed.length < (long) cin * g.h() * g.w();
            long work = (long) pixels * width * depth / Gemm.WORK_PER_THREAD;
            int threads = ctx.threadsFor(Math.min(byRows ? g.oh() : panels, work));
            ctx.parallelFor(threads, t -> {
                int p0 = byRows ? 0 : panels * t / threads;
                int p1 = byRows ? panels : panels * (t + 1) / threads;
                int y0 = byRows ? g.oh() * t / threads : 0;
                int y1 = byRows ? g.oh() * (t + 1) / threads : g.oh();
                int panelFloats = depth * nr;
                // the next panel is asked for in equal pieces, one after each tile call, so it arrives while this one
                // computes (in one piece, the prefetches stall the core: +0.5 ms per layer4 layer)
                int calls = (depth + KC - 1) / KC * (y1 - y0) * (g.ow() / MicroKernel.ROW);
                int piece = Math.max(16, (panelFloats / 16 + calls - 1) / calls * 16);
                for (int p = p0; p < p1; p++) {
                    // the panel into the caches at full speed first, when nothing asked for it: layer4.0.conv1 (4.7
                    // MB of weights) 775 → 675 µs, against a block at a time 805 → 728 (RESULTS, stop 26)
                    if (prefetch == null || p == p0) {
                        CacheWarmer.lines(packed, weights.offset(p), weights.offset(p) + panelFloats);
                    }
                    int next = prefetch != null && p + 1 < p1 ? weights.offset(p + 1) : -1;
                    int asked = 0;
                    for (int k0 = 0; k0 < depth; k0 += KC) {
                        int k1 = Math.min(depth, k0 + KC);
                        for (int oy = y0; oy < y1; oy++) {
                            for (int ox = 0; ox < g.ow(); ox += MicroKernel.ROW) {
                                tile.runRow(k0, k1, planes, starts, oy * stride + ox, packed, weights.offset(p), product,
                                    (oy * g.ow() + ox) * width + p * nr, width, k0 > 0);
                                if (next >= 0 && asked < panelFloats) {
                                    int end = Math.min(panelFloats, asked + piece);
                                    WeightReadAhead.floats(prefetch, packedSegment, next + asked, next + end);
                                    asked = end;
                                }
                            }
                        }
                    }
                }
                int c0 = p0 * nr;
                int c1 = Math.min(cout, p1 * nr);
                int q0 = y0 * g.ow();
                int q1 = y1 * g.ow();
                ops.storeTransposed(product, q0 * width, width, q1 - q0, c0, c1, bias, act.min(), act.max(), os,
                    outImage * pixels + q0, pixels);
            });
        }
        return new Tensor[] {out};
    }
}
