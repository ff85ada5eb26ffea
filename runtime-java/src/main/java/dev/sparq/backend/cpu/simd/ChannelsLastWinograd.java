package dev.sparq.backend.cpu.simd;

import dev.sparq.backend.ExecutionContext;
import dev.sparq.backend.Kernel;
import dev.sparq.backend.geometry.ConvAttributes;
import dev.sparq.backend.geometry.ConvGeometry2d;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * 3×3 stride-1 convolution by Winograd F(4×4, 3×3) with channels in the vector lanes, on an NCHW tensor: the image
 * is copied once into a zero-padded channels-last plane, so a tile's input transform is 36 whole-vector loads and
 * the arithmetic, for 16 channels at once, with no per-tile transpose. The transformed tiles are the rows of
 * V[p] (tiles × channels, row-major), which the 12-row GEMM tile reads as they are ({@link ChannelsLastGemm}'s
 * kernel), against U[p] (output channels packed in panels) into M[p] (tiles × output channels); the output
 * transform, again 16 output channels a vector, fills a channels-last strip that 16 × 16 transposes turn into the
 * NCHW planes. {@link WinogradConv} (a tile per lane) moved each tile's 36 inputs with element loads and stores:
 * 237 µs of its 740 µs on ResNet-18's 56×56 layers.
 *
 * <p>The tiles are done in blocks of whole tile rows, small enough that V and M stay near L2 (see
 * {@link #rowsPerBlock}), each block's phases split across the threads. Where the threads run far apart
 * ({@link ExecutionContext#threadsFarApart()}), each thread instead does its own share of the tile rows end to end,
 * in one block where V stays within {@link #FAR_BLOCK_BYTES}: in ResNet-18 at 2 threads that ran 82-253 µs faster
 * per 56×56 layer with the cores far apart, and 19-125 µs slower with them near (RESULTS, stop 30). Each output
 * is summed in the same order whatever the thread count and the split.
 * Needs the 512-bit Vector API kernel ({@link #available()}).
 */
final class ChannelsLastWinograd implements Kernel {
    private static final int POINTS = 36;
    private static final int MR = ChannelsLastGemm.MR;
    /** The most bytes of V in a block when each thread does its own blocks: ResNet-18's 995 KB at 56×56 fit. */
    static final long FAR_BLOCK_BYTES = 4L * WinogradConv.BLOCK_BYTES;

    private final ConvAttributes attrs;
    private final int cin;
    private final int cout;
    private final int lanes;
    private final int cinPad;
    private final int coutPad;
    private final int nr;
    private final PackedMatrix[] u = new PackedMatrix[POINTS];
    private final float[] bias;
    private final Activation act;

    ChannelsLastWinograd(ConvAttributes attrs, Tensor w, float[] bias, Activation act) {
        this.attrs = attrs;
        this.act = act;
        this.cout = (int) w.dim(0);
        this.cin = (int) w.dim(1);
        this.lanes = PanamaWinograd.lanesOf();
        this.cinPad = roundUp(cin, lanes);
        this.coutPad = roundUp(cout, lanes);
        this.nr = MicroKernel.get().nr();
        float[] transformed = WinogradConv.transformedWeights(w, 4);
        for (int p = 0; p < POINTS; p++) {
            int pp = p;
            u[p] = new PackedMatrix(coutPad, cinPad, nr,
                (o, i) -> o < cout && i < cin ? transformed[(o * cin + i) * POINTS + pp] : 0f);
        }
        this.bias = Arrays.copyOf(bias, coutPad);
    }

    /** Whether this kernel runs here: the 12-row GEMM tile that reads row-major A, at 512 bits. */
    static boolean available() {
        return ChannelsLastGemm.available();
    }

    private static int roundUp(int n, int to) {
        return (n + to - 1) / to * to;
    }

    @Override
    public long packedWeightBytes() {
        return WinogradConv.packedBytes(u, bias);
    }

    @Override
    public Tensor[] run(Tensor[] inputs, ExecutionContext ctx) {
        Tensor x = inputs[0];
        ConvAttributes.checkInput(x, cin);
        ConvGeometry2d g = attrs.geometry(x, cin);
        Tensor out = ctx.allocateUninitialized(DType.F32, x.dim(0), cout, g.oh(), g.ow());
        int tilesY = (g.oh() + 3) / 4;
        int tilesX = (g.ow() + 3) / 4;
        int threads = Math.max(1, ctx.threads());
        // far-apart threads: each its own share of tile rows end to end, so V, M and the staged strip stay on one core
        boolean byThread = threads > 1 && tilesY >= threads && ctx.threadsFarApart();
        int rowsPerBlock = byThread ? rowsPerThreadBlock(tilesX, tilesY, threads) : rowsPerBlock(tilesX, tilesY);
        int blocks = (tilesY + rowsPerBlock - 1) / rowsPerBlock;
        for (long img = 0; img < x.dim(0); img++) {
            float[] plane = padded(x.segment(), img * cin * g.h() * g.w(), g, tilesX, tilesY, ctx);
            long outBase = img * cout * (long) g.oh() * g.ow();
            WinogradConv.eachBlock(ctx, blocks, byThread, (c, b) -> block(g, plane, tilesX, b * rowsPerBlock,
                Math.min(tilesY, (b + 1) * rowsPerBlock), out.segment(), outBase, c));
        }
        return new Tensor[] {out};
    }

    /**
     * Tile rows per block where each thread does its own blocks: a thread's share of the rows in one block (ResNet-18
     * at 2 threads: 7 + 7 rows at 56×56, 4 + 3 at 28×28), or in as few equal blocks as keep V within
     * {@link #FAR_BLOCK_BYTES} on large images.
     */
    private int rowsPerThreadBlock(int tilesX, int tilesY, int threads) {
        for (int parts = threads; ; parts += threads) {
            int rows = (tilesY + parts - 1) / parts;
            if (rows == 1 || (long) POINTS * roundUp(rows * tilesX, MR) * cinPad * Float.BYTES <= FAR_BLOCK_BYTES) {
                return rows;
            }
        }
    }

    /**
     * Tile rows per block: the fewest tile rows computed in all (each block's rounded up to whole 12-tile panels),
     * with V of each block within a budget; the larger blocks where that ties. The budget is 1.5 ×
     * {@link WinogradConv#BLOCK_BYTES}, or half of U where that is more, since every block reads all of U again
     * (ResNet-18: blocks of 6 rows of 14 tiles at 56×56, all 7 rows at 28×28). Inside ResNet-18 the 1.5 budget ran
     * its 56×56 layers at 600-660 µs, the plain budget (3 rows) at 645-750 (stop 21); at 28×28 one block rather than
     * rows 5 + 2 ran 21-65 µs faster per layer at 1 thread and 45-51 at 2, with 3 rows at 56×56 slower by 70-180
     * (stop 30: the same session in alternating blocks of runs).
     */
    private int rowsPerBlock(int tilesX, int tilesY) {
        long budget = Math.max(WinogradConv.BLOCK_BYTES * 3L / 2, (long) POINTS * coutPad * cinPad * Float.BYTES / 2);
        int best = 1;
        long bestRows = Long.MAX_VALUE;
        for (int r = 1; r <= tilesY; r++) {
            if (r > 1 && (long) POINTS * roundUp(r * tilesX, MR) * cinPad * Float.BYTES > budget) {
                break;
            }
            long rows = (long) (tilesY / r) * roundUp(r * tilesX, MR) + roundUp(tilesY % r * tilesX, MR);
            if (rows <= bestRows) {
                best = r;
                bestRows = rows;
            }
        }
        return best;
    }

    /**
     * The image as a zero-padded channels-last plane: plane[(y·wp + x)·cinPad + c] for the (4·tilesY + 2) ×
     * (4·tilesX + 2) positions the tiles' patches cover, the convolution's padding and the last tiles' overhang
     * zero, as are channels past cin.
     */
    private float[] padded(MemorySegment xs, long at, ConvGeometry2d g, int tilesX, int tilesY,
                           ExecutionContext ctx) {
        int wp = tilesX * 4 + 2;
        int hp = tilesY * 4 + 2;
        int h = g.h();
        int w = g.w();
        float[] src = Scratch.of(5).get(Math.multiplyExact(cin, h * w));
        float[] plane = Scratch.of(6).get(Math.multiplyExact(hp * wp, cinPad));
        MemorySegment.copy(xs, ValueLayout.JAVA_FLOAT, at * Float.BYTES, src, 0, cin * h * w);
        int rowFloats = wp * cinPad;
        int left = g.padLeft();
        int cols = Math.min(w, wp - left);
        int threads = ctx.threadsFor(hp / 8);
        ctx.parallelFor(threads, part -> {
            SimdOps ops = SimdOps.get();
            for (int y = hp * part / threads; y < hp * (part + 1) / threads; y++) {
                int iy = y - g.padTop();
                int row = y * rowFloats;
                if (iy < 0 || iy >= h) {
                    Arrays.fill(plane, row, row + rowFloats, 0f);
                    continue;
                }
                if (cinPad != cin) {
                    Arrays.fill(plane, row, row + rowFloats, 0f); // the pad channels, between the copied ones
                } else {
                    Arrays.fill(plane, row, row + left * cinPad, 0f);
                    Arrays.fill(plane, row + (left + cols) * cinPad, row + rowFloats, 0f);
                }
                // [cin][w] of input row iy to [w][cin]
                ops.transpose(src, iy * w, h * w, cin, cols, plane, row + left * cinPad, cinPad);
            }
        });
        return plane;
    }

    /** Tile rows [ty0, ty1) of one image: transforms in, 36 GEMMs, transforms out, into the NCHW output. */
    private void block(ConvGeometry2d g, float[] plane, int tilesX, int ty0, int ty1, MemorySegment os, long outBase,
                       ExecutionContext ctx) {
        int tiles = (ty1 - ty0) * tilesX;
        int rows = roundUp(tiles, MR);
        int vStride = rows * cinPad;
        int mStride = rows * coutPad;
        float[] v = Scratch.of(3).get(POINTS * vStride);
        MemorySegment m = NativeScratch.floats(2, (long) POINTS * mStride);
        int wp = tilesX * 4 + 2;
        int threads = Math.max(1, ctx.threads());
        int inThreads = Math.min(threads, tiles);
        ctx.parallelFor(inThreads, part -> {
            for (int t = tiles * part / inThreads; t < tiles * (part + 1) / inThreads; t++) {
                int ty = ty0 + t / tilesX;
                int tx = t % tilesX;
                int at = (ty * 4 * wp + tx * 4) * cinPad;
                for (int c = 0; c < cinPad; c += lanes) {
                    PanamaWinograd.inputChannels(plane, at + c, wp * cinPad, cinPad, v, t * cinPad + c, vStride);
                }
            }
        });
        if (rows > tiles) {
            for (int p = 0; p < POINTS; p++) { // the last panel's missing tiles: zeros, not stale values
                Arrays.fill(v, p * vStride + tiles * cinPad, (p + 1) * vStride, 0f);
            }
        }
        int gemmThreads = Math.min(threads, POINTS);
        ctx.parallelFor(gemmThreads, part -> {
            for (int p = POINTS * part / gemmThreads; p < POINTS * (part + 1) / gemmThreads; p++) {
                gemm(p, v, p * vStride, rows, m, (long) p * mStride);
            }
        });
        int wo = tilesX * 4;
        int pixels = (ty1 - ty0) * 4 * wo;
        float[] stage = Scratch.of(4).get(pixels * coutPad);
        int outThreads = Math.min(threads, tiles);
        ctx.parallelFor(outThreads, part -> {
            for (int t = tiles * part / outThreads; t < tiles * (part + 1) / outThreads; t++) {
                int at = ((t / tilesX) * 4 * wo + (t % tilesX) * 4) * coutPad;
                for (int c = 0; c < coutPad; c += lanes) {
                    PanamaWinograd.outputChannels(m, (long) t * coutPad + c, mStride, bias, c, act.min(), act.max(),
                        stage, at + c, wo * coutPad, coutPad);
                }
            }
        });
        store(g, stage, pixels, wo, ty0, ty1, os, outBase, ctx);
    }

    /**
     * M[p] = V[p] · U[p]: each 12-tile panel of V (row-major, read as it is) against every panel of U. U[p] is read
     * into the caches first ({@link CacheWarmer}): inside ResNet-18 it comes from memory, and the tiles' own reads
     * fetch it at a fraction of the bandwidth. Measured in the model, the same session with and without it in
     * alternating blocks of runs: 20-45 µs less per 56×56 layer and 36-73 per 28×28 one at 1 thread, 8-26 at 2
     * (RESULTS, stop 30). Warming V[p] as well, or the weight panels of {@link WinogradConv}'s GEMMs, measured slower.
     */
    private void gemm(int p, float[] v, int vAt, int rows, MemorySegment m, long mAt) {
        u[p].warm();
        for (int k0 = 0; k0 < cinPad; k0 += Gemm.KC) {
            int kb = Math.min(Gemm.KC, cinPad - k0);
            PanelSource.Panels bp = u[p].panels(k0, kb, 0, coutPad, nr, null);
            for (int q = 0; q < rows; q += MR) {
                for (int col = 0, jc = 0; col < coutPad; col += nr, jc++) {
                    PanamaMicroKernel.run12(kb, v, vAt + q * cinPad + k0, cinPad, bp.data(),
                        bp.base() + jc * bp.stride(), m, mAt + (long) q * coutPad + col, coutPad,
                        Math.min(nr, coutPad - col), k0 > 0, null, q, col);
                }
            }
        }
    }

    /**
     * The staged channels-last strip (output rows 4·ty0 on, wo pixels a row) into the NCHW planes by 16 × 16
     * transposes: straight into the output where the strip is as wide as the output, so a plane's rows of the
     * block are one run; else through [channel][pixel] rows copied one by one.
     */
    private void store(ConvGeometry2d g, float[] stage, int pixels, int wo, int ty0, int ty1, MemorySegment os,
                       long outBase, ExecutionContext ctx) {
        int y0 = ty0 * 4;
        int y1 = Math.min(ty1 * 4, g.oh());
        int ow = g.ow();
        long planeSize = (long) g.oh() * ow;
        float[] planes = wo == ow ? null : Scratch.of(7).get(cout * pixels);
        // split at whole 16-channel blocks, which the register transposes take
        int blocks = (cout + 15) / 16;
        int threads = Math.min(Math.max(1, ctx.threads()), blocks);
        ctx.parallelFor(threads, part -> {
            int c0 = Math.min(cout, 16 * (blocks * part / threads));
            int c1 = Math.min(cout, 16 * (blocks * (part + 1) / threads));
            SimdOps ops = SimdOps.get();
            if (planes == null) {
                ops.transpose(stage, c0, coutPad, (y1 - y0) * ow, c1 - c0, os, outBase + c0 * planeSize
                    + (long) y0 * ow, planeSize);
                return;
            }
            ops.transpose(stage, c0, coutPad, pixels, c1 - c0, planes, c0 * pixels, pixels);
            for (int c = c0; c < c1; c++) {
                for (int y = y0; y < y1; y++) {
                    MemorySegment.copy(planes, c * pixels + (y - y0) * wo, os, ValueLayout.JAVA_FLOAT,
                        (outBase + c * planeSize + (long) y * ow) * Float.BYTES, ow);
                }
            }
        });
    }
}
