package dev.sparq.backend.cpu.simd;

/**
 * The data transforms of Winograd F(4×4, 3×3) (Lavin &amp; Gray's matrices), the hardware-specific half of
 * {@link WinogradConv}: a Vector API version and a scalar one chosen at startup.
 *
 * <pre>
 * Bᵀ = [4  0 −5  0 1 0]   Aᵀ = [1 1  1 1  1 0]
 *      [0 −4 −4  1 1 0]        [0 1 −1 2 −2 0]
 *      [0  4 −4 −1 1 0]        [0 1  1 4  4 0]
 *      [0 −2 −1  2 1 0]        [0 1 −1 8 −8 1]
 *      [0  2 −1 −2 1 0]
 *      [0  4  0 −5 0 1]
 * </pre>
 */
interface WinogradTransforms {
    /** Tiles per input transform call: one GEMM row panel. */
    int LANES = MicroKernel.MR;

    /**
     * V = Bᵀ d B for up to {@link #LANES} tiles of one channel: tile {@code l}'s 6×6 input patch starts at
     * {@code plane[laneBase[l]]} with row stride {@code wp}. Writes element p (of 36) of lane l to
     * {@code dst[dstBase + p * pStride + l]}.
     */
    void input(float[] plane, int wp, int[] laneBase, float[] dst, int dstBase, int pStride);

    /**
     * Y = Aᵀ m A for {@code count} output channels of one tile: m element p of channel j is
     * {@code m[mBase + p * pStride + j]}. Adds {@code bias[c0 + j]}, clamps to [min, max] and writes output (i, j) of
     * channel lane j to {@code out[(i * 4 + jj) * stride + j]} with {@code stride} ≥ count.
     */
    void output(float[] m, int mBase, int pStride, int count, float[] bias, int c0, float min, float max, float[] out,
                int stride);

    static WinogradTransforms get() {
        return Holder.INSTANCE;
    }

    final class Holder {
        static final WinogradTransforms INSTANCE = SimdConfig.BITS >= 256 ? new PanamaWinograd() : new ScalarWinograd();

        private Holder() {
        }
    }
}
