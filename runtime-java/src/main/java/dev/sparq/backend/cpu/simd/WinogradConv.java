package dev.sparq.backend.cpu.simd;

import dev.sparq.backend.geometry.ConvAttributes;
import dev.sparq.backend.geometry.ConvGeometry2d;
import dev.sparq.backend.ExecutionContext;
import dev.sparq.backend.Kernel;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * 3×3 stride-1 convolution by Winograd F(4×4, 3×3): each 4×4 output tile costs 36 multiplications per channel pair
 * instead of 144. Per image: the input transform writes V = Bᵀ d B straight into GEMM panels (8 tiles per panel),
 * 36 GEMMs M[p] = V[p] · U[p] (U = G g Gᵀ, packed at load) run in parallel, and the output transform Y = Aᵀ M A adds
 * bias and clamp. Sums are reordered against direct convolution, so results differ from cpu-ref by rounding only
 * (checked in tests at a relative 1e-4).
 */
final class WinogradConv implements Kernel {
    private static final double[][] G = {
        {1 / 4.0, 0, 0}, {-1 / 6.0, -1 / 6.0, -1 / 6.0}, {-1 / 6.0, 1 / 6.0, -1 / 6.0},
        {1 / 24.0, 1 / 12.0, 1 / 6.0}, {1 / 24.0, -1 / 12.0, 1 / 6.0}, {0, 0, 1}};

    private final ConvAttributes attrs;
    private final int cin;
    private final int cout;
    private final PackedMatrix[] u = new PackedMatrix[36];
    private final float[] bias;
    private final Activation act;

    WinogradConv(ConvAttributes attrs, Tensor w, float[] bias, Activation act) {
        this.attrs = attrs;
        this.cout = (int) w.dim(0);
        this.cin = (int) w.dim(1);
        this.bias = bias;
        this.act = act;
        float[] transformed = new float[cout * cin * 36];
        for (int o = 0; o < cout; o++) {
            for (int i = 0; i < cin; i++) {
                transformKernel(w, o, i, transformed, (o * cin + i) * 36);
            }
        }
        int nr = MicroKernel.get().nr();
        for (int p = 0; p < 36; p++) {
            int pp = p;
            u[p] = new PackedMatrix(cout, cin, nr, (o, i) -> transformed[(o * cin + i) * 36 + pp]);
        }
    }

    /** U = G g Gᵀ for one 3×3 kernel, in double, rounded once. */
    private static void transformKernel(Tensor w, int o, int i, float[] dst, int at) {
        long base = ((long) o * w.dim(1) + i) * 9;
        double[][] gg = new double[6][3];
        for (int r = 0; r < 6; r++) {
            for (int c = 0; c < 3; c++) {
                double s = 0;
                for (int k = 0; k < 3; k++) {
                    s += G[r][k] * w.getFloat(base + k * 3 + c);
                }
                gg[r][c] = s;
            }
        }
        for (int r = 0; r < 6; r++) {
            for (int c = 0; c < 6; c++) {
                double s = 0;
                for (int k = 0; k < 3; k++) {
                    s += gg[r][k] * G[c][k];
                }
                dst[at + r * 6 + c] = (float) s;
            }
        }
    }

    @Override
    public Tensor[] run(Tensor[] inputs, ExecutionContext ctx) {
        Tensor x = inputs[0];
        ConvAttributes.checkInput(x, cin);
        ConvGeometry2d g = attrs.geometry(x, cin);
        int tilesY = (g.oh() + 3) / 4;
        int tilesX = (g.ow() + 3) / 4;
        int tiles = tilesY * tilesX;
        int wp = tilesX * 4 + 2;
        int hp = tilesY * 4 + 2;
        int vSize = PackedMatrix.size(tiles, cin, MicroKernel.MR);
        float[] v = Scratch.of(3).get(36 * vSize);
        float[] m = Scratch.of(4).get(36 * tiles * cout);
        MemorySegment mSeg = MemorySegment.ofArray(m);
        Tensor out = ctx.allocateUninitialized(DType.F32, x.dim(0), cout, g.oh(), g.ow());
        MemorySegment xs = x.segment();
        MemorySegment os = out.segment();
        WinogradTransforms tr = WinogradTransforms.get();
        int threads = Math.max(1, ctx.threads());
        ExecutionContext serial = ExecutionContext.standalone();
        for (long img = 0; img < x.dim(0); img++) {
            long inBase = img * cin * g.h() * g.w();
            long outBase = img * cout * (long) g.oh() * g.ow();
            ctx.parallelFor(threads, t -> {
                float[] plane = Scratch.of(2).get(hp * wp);
                int[] laneBase = new int[WinogradTransforms.LANES];
                for (int c = cin * t / threads; c < cin * (t + 1) / threads; c++) {
                    padPlane(xs, inBase + (long) c * g.h() * g.w(), g, plane, hp, wp);
                    for (int t0 = 0; t0 < tiles; t0 += WinogradTransforms.LANES) {
                        for (int l = 0; l < laneBase.length; l++) {
                            int tile = Math.min(t0 + l, tiles - 1);
                            laneBase[l] = (tile / tilesX) * 4 * wp + (tile % tilesX) * 4;
                        }
                        tr.input(plane, wp, laneBase, v, PackedMatrix.index(t0, c, tiles, cin, MicroKernel.MR), vSize);
                    }
                }
            });
            ctx.parallelFor(36, p -> Gemm.run(new PackedMatrix(v, p * vSize, tiles, cin, MicroKernel.MR), u[p], mSeg,
                (long) p * tiles * cout, cout, Epilogue.NONE, serial));
            ctx.parallelFor(threads, t -> {
                float[] tile16 = Scratch.of(2).get(16 * cout);
                for (int tile = tiles * t / threads; tile < tiles * (t + 1) / threads; tile++) {
                    tr.output(m, tile * cout, tiles * cout, cout, bias, 0, act.min(), act.max(), tile16, cout);
                    writeTile(tile16, os, outBase, tile / tilesX * 4, tile % tilesX * 4, g);
                }
            });
        }
        return new Tensor[] {out};
    }

    /** The channel's input, zero-padded: plane[(iy + padTop) * wp + ix + padLeft] = x[iy][ix]. */
    private static void padPlane(MemorySegment xs, long at, ConvGeometry2d g, float[] plane, int hp, int wp) {
        java.util.Arrays.fill(plane, 0, hp * wp, 0f);
        int cols = Math.min(g.w(), wp - g.padLeft());
        for (int iy = 0; iy < g.h() && iy + g.padTop() < hp; iy++) {
            MemorySegment.copy(xs, ValueLayout.JAVA_FLOAT, (at + (long) iy * g.w()) * Float.BYTES, plane,
                (iy + g.padTop()) * wp + g.padLeft(), cols);
        }
    }

    /** Copies a 4×4 tile of every output channel into the NCHW output, dropping what falls outside. */
    private void writeTile(float[] tile16, MemorySegment os, long outBase, int oy0, int ox0, ConvGeometry2d g) {
        long planeSize = (long) g.oh() * g.ow();
        for (int i = 0; i < 4 && oy0 + i < g.oh(); i++) {
            for (int j = 0; j < 4 && ox0 + j < g.ow(); j++) {
                long pos = outBase + (long) (oy0 + i) * g.ow() + ox0 + j;
                int src = (i * 4 + j) * cout;
                for (int c = 0; c < cout; c++) {
                    os.setAtIndex(ValueLayout.JAVA_FLOAT, pos + c * planeSize, tile16[src + c]);
                }
            }
        }
    }
}
