package dev.sparq.backend.cpu.simd;

import dev.sparq.sparse.BlockedMatrix;
import dev.sparq.sparse.ChunkedSellMatrix;
import dev.sparq.sparse.CsrMatrix;
import dev.sparq.sparse.SellMatrix;
import dev.sparq.sparse.TwoFourMatrix;
import java.lang.foreign.MemorySegment;

/**
 * The inner loops of the sparse kernels: a sparse weight matrix W [rows, cols] times one dense vector (the row of
 * a fully connected layer's input) or times a dense matrix X [cols, pixels] (a 1×1 convolution's NCHW image, an
 * im2col matrix, or a transposed batch). One Vector API implementation and a scalar one, picked at startup like
 * {@link SimdOps}. Every output is one fused multiply-add chain over its row's nonzeros in column order, whatever
 * the format, width or thread split, so all formats give the same bits.
 */
interface SparseOps {
    /** The slice / block height the formats must be built with for these loops (the vector length; 4 in scalar). */
    int lanes();

    /** y[yOff + r] = Σ_k W[r,k]·x[xOff+k] for rows [row0, row1). */
    void timesVector(CsrMatrix w, int row0, int row1, float[] x, int xOff, float[] y, int yOff);

    /**
     * For slices [s0, s1) of h rows: y[yOff + s·h + l] = Σ_k W[r,k]·x[xOff+k] for row r = rowOf[s·h + l], in slice
     * order (slices·h floats from yOff); {@link #store(float[], int, int[], int, float[], float, float, MemorySegment,
     * long)} gathers the rows back.
     */
    void timesVector(SellMatrix w, int s0, int s1, float[] x, int xOff, float[] y, int yOff);

    /**
     * The same for slices [s0, s1) of {@link ChunkedSellMatrix#height()} rows, x read in place: cols floats from
     * element {@code xIndex} of a tensor.
     */
    void timesVector(ChunkedSellMatrix w, int s0, int s1, MemorySegment x, long xIndex, float[] y, int yOff);

    /** The same for block rows [b0, b1), row b·h + l into y[yOff + b·h + l] (blockRows·h floats from yOff). */
    void timesVector(BlockedMatrix w, int b0, int b1, float[] x, int xOff, float[] y, int yOff);

    /**
     * The same for slices [s0, s1), row s·h + l into y[yOff + s·h + l]. {@code x} must have {@link #lanes()} readable floats
     * past {@code xOff + cols} (each group's 4 inputs are read as one vector).
     */
    void timesVector(TwoFourMatrix w, int s0, int s1, float[] x, int xOff, float[] y, int yOff);

    /**
     * Y[r][p] = clamp(Σ_k W[r,k]·X[k][p] + bias[r], min, max) for rows [row0, row1) and pixels [0, pixels):
     * X[k][p] at element {@code xIndex + k·ldx + p} of {@code x}, Y[r][p] at {@code yIndex + r·ldy + p} of
     * {@code y}; {@code bias} may be null. Reads up to 4 vectors past a row's last pixel when {@code x} holds
     * them (lanes dropped at the store), so a source with {@link #lanes()}·4 floats to spare runs faster.
     */
    void timesMatrix(CsrMatrix w, int row0, int row1, MemorySegment x, long xIndex, long ldx, int pixels,
                     MemorySegment y, long yIndex, long ldy, float[] bias, float min, float max);

    /** The same for block rows [b0, b1). */
    void timesMatrix(BlockedMatrix w, int b0, int b1, MemorySegment x, long xIndex, long ldx, int pixels,
                     MemorySegment y, long yIndex, long ldy, float[] bias, float min, float max);

    /** The same for rows [row0, row1). */
    void timesMatrix(TwoFourMatrix w, int row0, int row1, MemorySegment x, long xIndex, long ldx, int pixels,
                     MemorySegment y, long yIndex, long ldy, float[] bias, float min, float max);

    /**
     * dst[dstIndex + i] = x[xIndex + 2i] for i in [0, n): one output row of a stride-2 1×1 convolution's input, read
     * straight from the image. May read past x[xIndex + 2n - 2] (never past the segment); writes nothing past
     * dst[dstIndex + n - 1].
     */
    void evenElements(MemorySegment x, long xIndex, int n, MemorySegment dst, long dstIndex);

    /** out[outIndex + i] = clamp(acc[accOff + i] + bias[biasOff + i], min, max) for i in [0, n); bias may be null. */
    void store(float[] acc, int accOff, int n, float[] bias, int biasOff, float min, float max, MemorySegment out,
               long outIndex);

    /**
     * out[outIndex + i] = clamp(acc[accOff + at[i]] + bias[i], min, max) for i in [0, n): the rows of a product in
     * slice order, gathered back. {@code at} has n rounded up to {@link #lanes()} entries; bias may be null.
     */
    void store(float[] acc, int accOff, int[] at, int n, float[] bias, float min, float max, MemorySegment out,
               long outIndex);

    static SparseOps get() {
        return Holder.INSTANCE;
    }

    final class Holder {
        static final SparseOps INSTANCE = SimdConfig.BITS == 0 ? new ScalarSparseOps() : new PanamaSparseOps();

        private Holder() {
        }
    }
}
