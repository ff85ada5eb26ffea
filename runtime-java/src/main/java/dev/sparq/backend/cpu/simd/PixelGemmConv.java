package dev.sparq.backend.cpu.simd;

import dev.sparq.backend.ExecutionContext;
import dev.sparq.backend.Kernel;
import dev.sparq.backend.geometry.ConvAttributes;
import dev.sparq.backend.geometry.ConvGeometry2d;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import java.lang.foreign.MemorySegment;

/**
 * Convolution as a GEMM the other way round, for short reductions such as a network's first layer (3 input
 * channels): pixels are the broadcast side, read in place from the flat im2col planes (no packing), and the weights
 * the vector side, packed once into panels of {@link MicroKernel#nr()} output channels that stay in L1. Row by row
 * of the output, the pixel-major product is transposed to channel rows (16 × 16 blocks in registers) while it is in
 * L1, then stored with bias and clamp. The im2col GEMM instead broadcasts the weights, pads 64 channels to 72 (tiles of
 * 12) and packs every pixel panel. Each output is one chain of FMAs over k in order, as in the im2col GEMM for a
 * reduction of at most {@link Gemm#KC}: the same bits.
 */
final class PixelGemmConv implements Kernel {
    private final ConvAttributes attrs;
    private final int cin;
    private final int cout;
    private final int depth;
    private final float[] bias;
    private final Activation act;
    private final MicroKernel tile;
    /** Panel p holds channels p·nr .. p·nr + nr − 1 as [k][nr], zero past cout. */
    private final float[] packed;
    private final int panels;

    PixelGemmConv(ConvAttributes attrs, float[] weights, float[] bias, Activation act, int cin) {
        this.attrs = attrs;
        this.cin = cin;
        this.cout = bias.length;
        this.depth = weights.length / cout;
        this.bias = bias;
        this.act = act;
        this.tile = MicroKernel.get();
        int nr = tile.nr();
        this.panels = (cout + nr - 1) / nr;
        this.packed = new float[panels * depth * nr];
        for (int c = 0; c < cout; c++) {
            for (int k = 0; k < depth; k++) {
                packed[(c / nr) * depth * nr + k * nr + c % nr] = weights[c * depth + k];
            }
        }
    }

    /** Whether the reduction is short enough that the weight panels stay cached and sum in one chain. */
    static boolean fits(int depth) {
        return depth <= Gemm.KC;
    }

    @Override
    public Tensor[] run(Tensor[] inputs, ExecutionContext ctx) {
        Tensor x = inputs[0];
        ConvAttributes.checkInput(x, cin);
        ConvGeometry2d g = attrs.geometry(x, cin);
        Tensor out = ctx.allocateUninitialized(DType.F32, x.dim(0), cout, g.oh(), g.ow());
        MemorySegment xs = x.segment();
        MemorySegment os = out.segment();
        int mr = tile.mr();
        int nr = tile.nr();
        int stride = PaddedPlane.flatStride(g);
        int n = g.oh() * stride;
        int ow = g.ow();
        // one output row at a time: its ow pixels (rounded up to whole pixel panels) against every weight panel,
        // then transposed to channel rows while it is in L1 and stored, so no flat garbage columns are computed
        int rowPanels = (ow + mr - 1) / mr;
        int width = panels * nr;
        SimdOps ops = SimdOps.get();
        for (long img = 0; img < x.dim(0); img++) {
            long outImage = img * cout;
            PaddedIm2colSource src = new PaddedIm2colSource(xs, img * cin * g.h() * g.w(), g, ctx).flat();
            float[] planes = src.flatArray();
            int[] starts = src.flatStarts();
            int threads = ctx.threadsFor((long) g.oh() * ow * width * depth / Gemm.WORK_PER_THREAD);
            ctx.parallelFor(threads, t -> {
                float[] product = Scratch.of(7).get(rowPanels * mr * width);
                float[] channels = Scratch.of(6).get(width * ow);
                int[] packedStarts = new int[depth];
                for (int k = 0; k < depth; k++) {
                    packedStarts[k] = k * mr;
                }
                for (int oy = g.oh() * t / threads; oy < g.oh() * (t + 1) / threads; oy++) {
                    for (int q = 0; q < rowPanels; q++) {
                        int i = oy * stride + q * mr;
                        // the image's last pixels: packed with zeros after them, so nothing reads past the planes
                        boolean inside = i + mr <= n;
                        float[] from = inside ? planes : lastPanel(planes, starts, i, n, mr);
                        for (int p = 0; p < panels; p++) {
                            tile.runInPlace(depth, from, inside ? starts : packedStarts, inside ? i : 0, packed,
                                p * depth * nr, product, q * mr * width + p * nr, width);
                        }
                    }
                    ops.transpose(product, 0, width, ow, cout, channels, 0, ow);
                    for (int c = 0; c < cout; c++) {
                        ops.storeRow(channels, c * ow, ow, bias[c], act.min(), act.max(), os,
                            ((outImage + c) * g.oh() + oy) * ow);
                    }
                }
            });
        }
        return new Tensor[] {out};
    }

    /** The pixels i .. n − 1 of every im2col row, packed [k][mr] with zeros past n. */
    private float[] lastPanel(float[] planes, int[] starts, int i, int n, int mr) {
        float[] a = new float[depth * mr];
        for (int k = 0; k < depth; k++) {
            System.arraycopy(planes, starts[k] + i, a, k * mr, n - i);
        }
        return a;
    }
}
