package dev.sparq.backend.cpu.simd;

import java.lang.foreign.MemorySegment;

/**
 * The data transforms of Winograd F(m×m, 3×3) (Lavin &amp; Gray's matrices; m = {@link #tile()}, 4 or 2, on
 * α×α = (m+2)² patches), the hardware-specific half of {@link WinogradConv}: a Vector API version and a scalar one of
 * each, chosen at startup. Both work on a group of
 * {@link #lanes()} tiles of one channel at a time, one tile per vector lane, so a tile row's worth of work is a few
 * vector operations whatever the channel count.
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
    /**
     * Tiles per {@link #input} call; divides the GEMM's panel width {@link MicroKernel#nr()}. {@link #outputRow}
     * may read and write as if its count were rounded up to a multiple of it.
     */
    int lanes();

    /** Output tile side m: F(4×4, 3×3) or F(2×2, 3×3); the input patch is m + 2 wide. */
    int tile();

    /**
     * V = Bᵀ d B for {@link #lanes()} tiles of one channel: tile {@code l}'s α×α input patch starts at
     * {@code plane[laneBase[l]]} with row stride {@code wp}. Writes element p (of α²) of lane l to
     * {@code dst[dstBase + p * pStride + l]}.
     */
    void input(float[] plane, int wp, int[] laneBase, float[] dst, int dstBase, int pStride);

    /**
     * Y = Aᵀ M A for {@code count} consecutive tiles of one tile row of one output channel: element p of tile x is
     * float {@code mBase + p·pStride + x} of the native segment {@code m}. Adds {@code bias}, clamps to [min, max]
     * and writes output (i, j) of tile x to {@code out[outAt + i·wo + x·m + j]}. With n = {@code count} rounded up
     * to {@link #lanes()}, it may read tiles up to n (the segment must hold them) and write outputs up to column
     * {@code outAt + n·m} of each row.
     */
    void outputRow(MemorySegment m, long mBase, int pStride, int count, float bias, float min, float max, float[] out,
                   int outAt, int wo);

    /** The transforms of F(m×m, 3×3), m = 4 or 2. */
    static WinogradTransforms get(int m) {
        return m == 4 ? Holder.F4 : Holder.F2;
    }

    final class Holder {
        static final WinogradTransforms F4 = SimdConfig.BITS >= 256 ? new PanamaWinograd() : new ScalarWinograd();
        static final WinogradTransforms F2 = SimdConfig.BITS >= 256 ? new PanamaWinograd2() : new ScalarWinograd2();

        private Holder() {
        }
    }
}
