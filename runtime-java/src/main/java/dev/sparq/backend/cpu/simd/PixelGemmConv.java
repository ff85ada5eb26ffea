package dev.sparq.backend.cpu.simd;

import dev.sparq.backend.ExecutionContext;
import dev.sparq.backend.geometry.ConvAttributes;
import dev.sparq.backend.geometry.ConvGeometry2d;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import java.lang.foreign.MemorySegment;

/**
 * Convolution as a GEMM the other way round, for short reductions such as a network's first layer (3 input
 * channels): pixels are the broadcast side, read in place from the flat im2col planes (no packing), and the weights
 * the vector side, packed once into panels of {@link MicroKernel#nr()} output channels. Chunk by chunk of output
 * rows, the pixel-major product is transposed to channel rows (16 × 16 blocks in registers) while it is cached and
 * stored with bias and clamp on the way. The im2col GEMM instead broadcasts the weights, pads 64 channels to 72
 * (tiles of 12) and packs every pixel panel. Each output is one chain of FMAs over k in order, as in the im2col GEMM for a
 * reduction of at most {@link Gemm#KC}: the same bits. Made channels-last (a first layer feeding a
 * {@link dev.sparq.graph.ChannelsLastConv} block), it stores the pixel-major product as it is, without the transpose.
 */
final class PixelGemmConv extends PixelBroadcastConv {
    /** Whether the output is channels-last ([N, OH, OW, Cout]): the products are stored as they are, no transpose. */
    private final boolean channelsLast;
    /** Where each reduction step's pixels start in a packed last panel ({@link #lastPanel}): k · mr. */
    private final int[] tailStarts;

    PixelGemmConv(ConvAttributes attrs, float[] weights, float[] bias, Activation act, int cin) {
        this(attrs, weights, bias, act, cin, false);
    }

    PixelGemmConv(ConvAttributes attrs, float[] weights, float[] bias, Activation act, int cin, boolean channelsLast) {
        super(attrs, weights, bias, act, cin);
        this.channelsLast = channelsLast;
        this.tailStarts = new int[this.weights.depth()];
        for (int k = 0; k < tailStarts.length; k++) {
            tailStarts[k] = k * tile.mr();
        }
    }

    /** Floats of product per chunk of output rows (at least one row): 384 pixels × 64 channels, 96 KiB. */
    private static final int CHUNK_FLOATS = 384 * 64;
    /**
     * Whether the reduction is short enough: at most one GEMM k block. Offered up to 2304 (ResNet-18's layers 1-3),
     * the tuner took it for four of them from its hot-loop timing, and inside the model they ran 0.8 ms slower in
     * total (benchmarks/RESULTS.md, stop 16).
     */
    static boolean fits(int depth) {
        return depth <= Gemm.KC;
    }

    @Override
    public String describe() {
        return channelsLast ? "channels-last first layer: NCHW image in, pixels broadcast, NHWC out" : "";
    }

    @Override
    public Tensor[] run(Tensor[] inputs, ExecutionContext ctx) {
        Tensor x = inputs[0];
        ConvAttributes.checkInput(x, cin);
        ConvGeometry2d g = attrs.geometry(x, cin);
        int cout = weights.cout();
        int depth = weights.depth();
        Tensor out = channelsLast ? ctx.allocateUninitialized(DType.F32, x.dim(0), g.oh(), g.ow(), cout)
            : ctx.allocateUninitialized(DType.F32, x.dim(0), cout, g.oh(), g.ow());
        MemorySegment xs = x.segment();
        MemorySegment os = out.segment();
        int mr = tile.mr();
        int stride = PaddedPlane.flatStride(g);
        int ow = g.ow();
        // chunks of whole output rows, about CHUNK_FLOATS of product each (a row's garbage columns past
        // ow computed too), each transposed to channel rows while cached and stored; every weight panel meets all of
        // a chunk's pixel panels in turn, so it is read once per chunk
        int width = weights.width();
        int rowsPerChunk = Math.max(1, Math.min(g.oh(), CHUNK_FLOATS / width / stride));
        int chunks = (g.oh() + rowsPerChunk - 1) / rowsPerChunk;
        int chunkPanels = (rowsPerChunk * stride + mr - 1) / mr;
        SimdOps ops = SimdOps.get();
        for (long img = 0; img < x.dim(0); img++) {
            long outImage = img * cout;
            long outPixels = img * g.oh() * ow;
            PaddedIm2colSource src = new PaddedIm2colSource(xs, img * cin * g.h() * g.w(), g, ctx).flat();
            float[] planes = src.flatArray();
            int[] starts = src.flatStarts();
            int threads = ctx.threadsFor(Math.min(chunks,
                (long) g.oh() * ow * width * depth / Gemm.WORK_PER_THREAD));
            ctx.parallelFor(threads, t -> {
                float[] product = Scratch.of(7).get(chunkPanels * mr * width);
                for (int chunk = chunks * t / threads; chunk < chunks * (t + 1) / threads; chunk++) {
                    int oy0 = chunk * rowsPerChunk;
                    int oy1 = Math.min(g.oh(), oy0 + rowsPerChunk);
                    if (channelsLast) {
                        multiplyIntoPixels(planes, starts, g, oy0, oy1, product, os, outPixels, ops);
                        continue;
                    }
                    multiplyRows(planes, starts, g, oy0, oy1, product, 0);
                    for (int oy = oy0; oy < oy1; oy++) {
                        ops.storeTransposed(product, (oy - oy0) * stride * width, width, ow, 0, cout, bias, act.min(),
                            act.max(), os, (outImage * g.oh() + oy) * ow, (long) g.oh() * ow);
                    }
                }
            });
        }
        return new Tensor[] {out};
    }

    /**
     * The pixel-major product of output rows [oy0, oy1) into {@code product} from {@code productOff}: pixel x of row
     * oy at productOff + ((oy − oy0)·stride + x)·width, rows {@link PaddedPlane#flatStride} pixels apart (the columns
     * past ow hold garbage), channels up to the panels' width; up to {@link MicroKernel#mr()} − 1 pixels past the last
     * row's end are written too. Every weight panel meets the rows' pixel panels in turn, so it is read once.
     */
    void multiplyRows(float[] planes, int[] starts, ConvGeometry2d g, int oy0, int oy1, float[] product,
                      int productOff) {
        int mr = tile.mr();
        int nr = tile.nr();
        int width = weights.width();
        int stride = PaddedPlane.flatStride(g);
        int n = g.oh() * stride;
        int i0 = oy0 * stride;
        int count = (oy1 - oy0 - 1) * stride + g.ow(); // up to the last row's last real pixel
        int used = (count + mr - 1) / mr;
        float[] tail = tailPanel(planes, starts, i0, used, n);
        for (int p = 0; p < weights.panels(); p++) {
            for (int q = 0; q < used; q++) {
                multiplyPanel(planes, starts, q == used - 1 ? tail : null, i0 + q * mr, p, product,
                    productOff + q * mr * width + p * nr);
            }
        }
    }

    /**
     * Output rows [oy0, oy1) stored channels-last straight from each pixel panel: the panel's product, every channel,
     * goes to {@code tileBuf} (one tile, in L1) and on to the output with bias and clamp at once, where staging a
     * chunk of rows first kept ~90 KiB of product in L2 between the two (MobileNetV2's stem, 3 → 32 channels at
     * 112×112, in a probe: 173-176 → 167-168 µs; writing the 1.6 MB output costs most of the rest beyond the GEMM).
     */
    private void multiplyIntoPixels(float[] planes, int[] starts, ConvGeometry2d g, int oy0, int oy1, float[] tileBuf,
                                    MemorySegment os, long outPixels, SimdOps ops) {
        int mr = tile.mr();
        int nr = tile.nr();
        int width = weights.width();
        int cout = weights.cout();
        int stride = PaddedPlane.flatStride(g);
        int ow = g.ow();
        int i0 = oy0 * stride;
        int end = (oy1 - 1) * stride + ow; // past the last row's last real pixel
        int used = (end - i0 + mr - 1) / mr;
        float[] tail = tailPanel(planes, starts, i0, used, g.oh() * stride);
        for (int q = 0; q < used; q++) {
            int first = i0 + q * mr;
            for (int p = 0; p < weights.panels(); p++) {
                multiplyPanel(planes, starts, q == used - 1 ? tail : null, first, p, tileBuf, p * nr);
            }
            // the panel's real pixels: one run per output row it touches, the garbage columns past ow left out
            int last = Math.min(end, first + mr);
            for (int f = first; f < last; ) {
                int oy = f / stride;
                int ox = f - oy * stride;
                if (ox < ow) {
                    int run = Math.min(last, oy * stride + ow) - f;
                    ops.storeChannelRows(tileBuf, (f - first) * width, width, run, cout, bias, act.min(), act.max(),
                        os, (outPixels + (long) oy * ow + ox) * cout);
                }
                f = (oy + 1) * stride;
            }
        }
    }

    /**
     * The last of {@code used} pixel panels from flat pixel i0, packed with zeros past the image's n pixels so that
     * nothing reads past the planes, or null where it lies inside them.
     */
    private float[] tailPanel(float[] planes, int[] starts, int i0, int used, int n) {
        int mr = tile.mr();
        return i0 + used * mr > n ? lastPanel(planes, starts, i0 + (used - 1) * mr, n, mr) : null;
    }

    /**
     * The pixel panel from flat pixel {@code first}, or {@code tail} (its packed copy) when given, times weight panel
     * p into y[yOff ..], pixels a panel width apart.
     */
    private void multiplyPanel(float[] planes, int[] starts, float[] tail, int first, int p, float[] y, int yOff) {
        tile.runInPlace(weights.depth(), tail != null ? tail : planes, tail != null ? tailStarts : starts,
            tail != null ? 0 : first, weights.packed(), weights.offset(p), y, yOff, weights.width());
    }

    /** The pixels i .. n − 1 of every im2col row, packed [k][mr] with zeros past n. */
    private float[] lastPanel(float[] planes, int[] starts, int i, int n, int mr) {
        int depth = weights.depth();
        float[] a = new float[depth * mr];
        for (int k = 0; k < depth; k++) {
            System.arraycopy(planes, starts[k] + i, a, k * mr, n - i);
        }
        return a;
    }
}
