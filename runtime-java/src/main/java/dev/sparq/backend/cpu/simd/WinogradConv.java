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
 * 3×3 stride-1 convolution by Winograd F(m×m, 3×3), m = 4 or 2: each 4×4 output tile costs 36 multiplications per
 * channel pair instead of 144 (m = 4), each 2×2 tile 16 instead of 36 (m = 2: 16/36 of the transformed weights,
 * for small images where those weights, not arithmetic, are the cost). Per image, the output's tiles (row-major) are
 * done in blocks of whole GEMM panels, small enough that the transformed block stays in cache: the input transform
 * writes V = Bᵀ d B (one tile per vector lane) straight into GEMM panels, α² = (m+2)² GEMMs
 * M[p] = U[p] · V[p] (U = G g Gᵀ, packed at load) leave M in [channel][tile] order, and the output transform
 * Y = Aᵀ M A (again one tile per lane) adds bias and clamp and fills whole NCHW rows. Every element is summed in the
 * same order whatever the thread count, so results are bit-identical across thread counts; against direct
 * convolution the sums are reordered, so results differ from cpu-ref by rounding only (tests: relative 1e-4). Where
 * {@link WinogradWeightWarming} says so, each U[p] is read into the caches before its GEMM.
 */
final class WinogradConv implements Kernel {
    private static final double[][] G4 = {
        {1 / 4.0, 0, 0}, {-1 / 6.0, -1 / 6.0, -1 / 6.0}, {-1 / 6.0, 1 / 6.0, -1 / 6.0},
        {1 / 24.0, 1 / 12.0, 1 / 6.0}, {1 / 24.0, -1 / 12.0, 1 / 6.0}, {0, 0, 1}};
    private static final double[][] G2 = {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}};
    /** Bytes of transformed input per block (at least one panel): with M about as large, a block stays in L2. */
    static final int BLOCK_BYTES = Integer.getInteger("sparq.winograd.blockBytes", 512 << 10);
    /** Blocks per thread from which threads split blocks rather than the work inside each block. */
    static final int BLOCKS_PER_THREAD = Integer.getInteger("sparq.winograd.blocksPerThread", 2);

    private final ConvAttributes attrs;
    private final int cin;
    private final int cout;
    private final int tile;
    private final int points;
    private final WinogradTransforms tr;
    private final MicroKernel mk;
    private final PackedMatrix[] u;
    private final float[] bias;
    private final Activation act;

    /**
     * The Winograd kernel for F(tile×tile): {@link ChannelsLastWinograd} for F(4×4) where its 512-bit GEMM tile runs
     * (not for images of few tiles, which the narrow tile serves), else this one.
     */
    static Kernel create(ConvAttributes attrs, Tensor w, float[] bias, Activation act, int tile, boolean narrow) {
        if (tile == 4 && !narrow && ChannelsLastWinograd.available()) {
            return new ChannelsLastWinograd(attrs, w, bias, act);
        }
        return new WinogradConv(attrs, w, bias, act, tile, narrow);
    }

    /**
     * @param tile   output tile side m: 4 or 2
     * @param narrow run the GEMMs on {@link MicroKernel#narrow()} (if there is one): for images of few tiles, see
     *               {@link #narrowFits}
     */
    WinogradConv(ConvAttributes attrs, Tensor w, float[] bias, Activation act, int tile, boolean narrow) {
        if (tile != 4 && tile != 2) {
            throw new IllegalArgumentException("Winograd tile must be 4 or 2, not " + tile);
        }
        this.attrs = attrs;
        this.tile = tile;
        this.points = (tile + 2) * (tile + 2);
        this.tr = WinogradTransforms.get(tile);
        this.u = new PackedMatrix[points];
        this.mk = narrow && MicroKernel.narrow() != null ? MicroKernel.narrow() : MicroKernel.get();
        this.cout = (int) w.dim(0);
        this.cin = (int) w.dim(1);
        this.bias = bias;
        this.act = act;
        int n = points;
        float[] transformed = transformedWeights(w, tile);
        for (int p = 0; p < n; p++) {
            int pp = p;
            u[p] = new PackedMatrix(cout, cin, mk.mr(), (o, i) -> transformed[(o * cin + i) * n + pp]);
        }
    }

    /**
     * Whether the one-vector GEMM tile suits F(tile×tile) on an h×w image: when the regular tile would pad the tile
     * count by more than a quarter more than the narrow one does (ResNet-18: 7×7 and 14×14 at F(4×4), 7×7 at F(2×2)).
     */
    static boolean narrowFits(int tile, long h, long w) {
        MicroKernel narrow = MicroKernel.narrow();
        if (narrow == null) {
            return false;
        }
        long tiles = ((h + tile - 1) / tile) * ((w + tile - 1) / tile);
        int wide = MicroKernel.get().nr();
        long padWide = (tiles + wide - 1) / wide * wide;
        long padNarrow = (tiles + narrow.nr() - 1) / narrow.nr() * narrow.nr();
        return padNarrow * 5 < padWide * 4;
    }

    /** U = G g Gᵀ of every 3×3 kernel of w (F(tile×tile)): element p of kernel (o, i) at [(o·cin + i)·(tile+2)² + p]. */
    static float[] transformedWeights(Tensor w, int tile) {
        double[][] gm = tile == 4 ? G4 : G2;
        int cout = (int) w.dim(0);
        int cin = (int) w.dim(1);
        int n = (tile + 2) * (tile + 2);
        float[] transformed = new float[cout * cin * n];
        for (int o = 0; o < cout; o++) {
            for (int i = 0; i < cin; i++) {
                transformKernel(gm, w, o, i, transformed, (o * cin + i) * n);
            }
        }
        return transformed;
    }

    /** U = G g Gᵀ for one 3×3 kernel, in double, rounded once. */
    private static void transformKernel(double[][] gm, Tensor w, int o, int i, float[] dst, int at) {
        long base = ((long) o * w.dim(1) + i) * 9;
        int a = gm.length;
        double[][] gg = new double[a][3];
        for (int r = 0; r < a; r++) {
            for (int c = 0; c < 3; c++) {
                double s = 0;
                for (int k = 0; k < 3; k++) {
                    s += gm[r][k] * w.getFloat(base + k * 3 + c);
                }
                gg[r][c] = s;
            }
        }
        for (int r = 0; r < a; r++) {
            for (int c = 0; c < a; c++) {
                double s = 0;
                for (int k = 0; k < 3; k++) {
                    s += gg[r][k] * gm[c][k];
                }
                dst[at + r * a + c] = (float) s;
            }
        }
    }

    @Override
    public long packedWeightBytes() {
        return packedBytes(u, bias);
    }

    /** The transformed weights, (tile + 2)² / 9 of the plain ones (4× for F(4×4)), and the bias. */
    static long packedBytes(PackedMatrix[] u, float[] bias) {
        long bytes = (long) bias.length * Float.BYTES;
        for (PackedMatrix m : u) {
            bytes += m.bytes();
        }
        return bytes;
    }

    @Override
    public Tensor[] run(Tensor[] inputs, ExecutionContext ctx) {
        Tensor x = inputs[0];
        ConvAttributes.checkInput(x, cin);
        ConvGeometry2d g = attrs.geometry(x, cin);
        Tensor out = ctx.allocateUninitialized(DType.F32, x.dim(0), cout, g.oh(), g.ow());
        int tilesY = (g.oh() + tile - 1) / tile;
        int tilesX = (g.ow() + tile - 1) / tile;
        int tiles = tilesY * tilesX;
        int nr = mk.nr();
        // Tiles per block: whole GEMM panels, as many as keep the transformed input near the budget, split evenly.
        // Every block reads all of U again, so the budget grows with U (ResNet-18's 14×14 F(2×2) layers: one block
        // of 4 MB U measured 10% faster than two).
        long budget = Math.max(BLOCK_BYTES, (long) points * cout * cin * Float.BYTES / 4);
        int panels = (tiles + nr - 1) / nr;
        int panelsPerBlock = Math.clamp(budget / ((long) nr * cin * points * Float.BYTES), 1, panels);
        int blocks = (panels + panelsPerBlock - 1) / panelsPerBlock;
        int perBlock = Math.min(tiles, (panels + blocks - 1) / blocks * nr);
        MemorySegment xs = x.segment();
        MemorySegment os = out.segment();
        int nBlocks = (tiles + perBlock - 1) / perBlock;
        for (long img = 0; img < x.dim(0); img++) {
            long inBase = img * cin * g.h() * g.w();
            long outBase = img * cout * (long) g.oh() * g.ow();
            eachBlock(ctx, nBlocks, (c, b) -> block(g, tilesX, xs, inBase, os, outBase, b * perBlock,
                Math.min(tiles, (b + 1) * perBlock), c));
        }
        return new Tensor[] {out};
    }

    /** One block of a Winograd kernel's image, run with the context it may split its own work on. */
    @FunctionalInterface
    interface Block {
        void run(ExecutionContext ctx, int index);
    }

    /**
     * Blocks [0, blocks) of one image in order: with enough of them for the threads, each thread does whole blocks
     * (one barrier per image instead of three per block), else the blocks share the threads one after another. A
     * block's results do not depend on which thread runs it, so both are bit-identical.
     */
    static void eachBlock(ExecutionContext ctx, int blocks, Block block) {
        eachBlock(ctx, blocks, false, block);
    }

    /** {@link #eachBlock}, with whole blocks per thread also when {@code byThread}, however few the blocks. */
    static void eachBlock(ExecutionContext ctx, int blocks, boolean byThread, Block block) {
        int threads = Math.max(1, ctx.threads());
        if (threads > 1 && (byThread || blocks >= BLOCKS_PER_THREAD * threads)) {
            ExecutionContext serial = ExecutionContext.standalone();
            ctx.parallelFor(threads, part -> {
                for (int b = blocks * part / threads; b < blocks * (part + 1) / threads; b++) {
                    block.run(serial, b);
                }
            });
        } else {
            for (int b = 0; b < blocks; b++) {
                block.run(ctx, b);
            }
        }
    }

    /** Tiles [t0, t1) (row-major over the output) of one image: transform in, α² GEMMs, transform out. */
    private void block(ConvGeometry2d g, int tilesX, MemorySegment xs, long inBase, MemorySegment os, long outBase,
                       int t0, int t1, ExecutionContext ctx) {
        int tiles = t1 - t0;
        int nr = mk.nr();
        // The α² matrices sit one odd number of cache lines apart: at a power-of-two distance the transforms'
        // α² streams would all map to the same L1 set.
        int vSize = skew(PackedMatrix.size(tiles, cin, nr));
        float[] v = Scratch.of(3).get(points * vSize);
        int pStride = skew(cout * tiles);
        // one vector of slack: the output transform reads whole vectors (see WinogradTransforms.outputRow)
        // native, not a float[] seen as a segment: a heap segment through the Vector API's segment loads and stores
        // leaves their shared JDK code with two segment kinds in its profile, and every vector access compiled after
        // that in the process slower (MobileNetV2 after ResNet-18 in one JVM: 1.2× slower, depthwise layers 2×)
        MemorySegment mSeg = NativeScratch.floats(2, (long) points * pStride + tr.lanes());
        int lanes = tr.lanes();
        int threads = Math.max(1, ctx.threads());
        int ty0 = t0 / tilesX;
        int tyRows = (t1 - 1) / tilesX - ty0 + 1;
        int wp = tilesX * tile + 2;
        int hp = tyRows * tile + 2;
        int in = Math.min(threads, cin);
        ctx.parallelFor(in, part -> {
            float[] plane = Scratch.of(2).get(hp * wp);
            int[] laneBase = new int[lanes];
            for (int c = cin * part / in; c < cin * (part + 1) / in; c++) {
                padRows(xs, inBase + (long) c * g.h() * g.w(), g, ty0 * tile - g.padTop(), hp, wp, plane);
                for (int l0 = 0; l0 < tiles; l0 += lanes) {
                    for (int l = 0; l < lanes; l++) {
                        int t = t0 + Math.min(l0 + l, tiles - 1);
                        laneBase[l] = (t / tilesX - ty0) * tile * wp + (t % tilesX) * tile;
                    }
                    tr.input(plane, wp, laneBase, v, PackedMatrix.index(l0, c, tiles, cin, nr), vSize);
                }
            }
        });
        ExecutionContext serial = ExecutionContext.standalone();
        ctx.parallelFor(points, p -> {
            if (WinogradWeightWarming.ON) {
                u[p].warm();
            }
            Gemm.run(mk, u[p], new PackedMatrix(v, p * vSize, tiles, cin, nr), mSeg, (long) p * pStride, tiles,
                Epilogue.NONE, serial);
        });
        // each tile row's output from the block's first tile in it, in whole vector steps: the staged rows have room
        // for a step that starts at the row's last tile
        int wo = (tilesX + lanes) * tile;
        int outThreads = Math.min(threads, cout);
        ctx.parallelFor(outThreads, part -> {
            float[] stage = Scratch.of(2).get(tyRows * tile * wo);
            for (int c = cout * part / outThreads; c < cout * (part + 1) / outThreads; c++) {
                for (int r = 0; r < tyRows; r++) {
                    int x0 = Math.max(t0 - (ty0 + r) * tilesX, 0);
                    int x1 = Math.min(t1 - (ty0 + r) * tilesX, tilesX);
                    tr.outputRow(mSeg, (long) c * tiles + (long) (ty0 + r) * tilesX + x0 - t0, pStride, x1 - x0,
                        bias[c], act.min(), act.max(), stage, r * tile * wo + x0 * tile, wo);
                }
                copyOut(stage, wo, g, os, outBase + (long) c * g.oh() * g.ow(), tilesX, tile, t0, t1);
            }
        });
    }

    /** {@code floats} rounded up to an odd number of 64-byte lines. */
    private static int skew(int floats) {
        int lines = (floats + 15) / 16;
        return (lines | 1) * 16;
    }

    /** Copies the output pixels of tiles [t0, t1) from the staged rows (tile row ty0 first) into one NCHW plane. */
    private static void copyOut(float[] stage, int wo, ConvGeometry2d g, MemorySegment os, long plane, int tilesX,
                                int tile, int t0, int t1) {
        int ty0 = t0 / tilesX;
        for (int ty = ty0; ty * tilesX < t1; ty++) {
            int x0 = Math.max(t0 - ty * tilesX, 0) * tile;
            int x1 = Math.min(Math.min(t1 - ty * tilesX, tilesX) * tile, g.ow());
            for (int r = 0; r < tile && ty * tile + r < g.oh(); r++) {
                MemorySegment.copy(stage, ((ty - ty0) * tile + r) * wo + x0, os, ValueLayout.JAVA_FLOAT,
                    (plane + (long) (ty * tile + r) * g.ow() + x0) * Float.BYTES, x1 - x0);
            }
        }
    }

    /**
     * Input rows [iy0, iy0 + hp) of one channel, zero-padded, into plane[(iy - iy0) * wp + ix + padLeft]: the rows a
     * block of tiles reads, with the convolution's padding (and the last tiles' overhang) as zeros.
     */
    private static void padRows(MemorySegment xs, long at, ConvGeometry2d g, int iy0, int hp, int wp, float[] plane) {
        Arrays.fill(plane, 0, hp * wp, 0f);
        int cols = Math.min(g.w(), wp - g.padLeft());
        for (int r = Math.max(0, -iy0); r < hp && iy0 + r < g.h(); r++) {
            MemorySegment.copy(xs, ValueLayout.JAVA_FLOAT, (at + (long) (iy0 + r) * g.w()) * Float.BYTES, plane,
                r * wp + g.padLeft(), cols);
        }
    }
}
