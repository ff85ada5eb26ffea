package dev.sparq.backend.cpu.simd;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * A Vector API tile for products whose B side has few rows: 16 rows × 1 vector of accumulators, so 16 columns
 * (512-bit) are a whole tile where {@link PanamaMicroKernel} would pad them to 32. One B load and 16 broadcasts of A
 * per k. Used by {@link WinogradConv} when a layer has few tiles (ResNet-18's 7×7 and 14×14 images); A must be
 * packed in panels of {@link #mr()} rows.
 */
final class PanamaNarrowKernel implements MicroKernel {
    static final int ROWS = 16;
    private static final VectorSpecies<Float> S = PanamaSpecies.floats(SimdConfig.BITS == 0 ? 128 : SimdConfig.BITS);
    private static final int V = S.length();
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    /** The accumulators' way to C, as {@link PanamaMicroKernel}'s: native memory, offsets in bytes. */
    private static final ThreadLocal<MemorySegment> TILE = ThreadLocal.withInitial(
        () -> Arena.ofAuto().allocate((long) ROWS * V * Float.BYTES, 64));

    @Override
    public int mr() {
        return ROWS;
    }

    @Override
    public int nr() {
        return V;
    }

    @Override
    public void run(int kc, float[] a, int aOff, float[] b, int bOff, MemorySegment c, long cIndex, long ldc, int rows,
                    int cols, boolean accumulate, Epilogue epilogue, int row0, int col0) {
        // fetched before the accumulators are live: a ThreadLocal miss is a call, across which all 16 would spill
        MemorySegment tile = TILE.get();
        FloatVector zero = FloatVector.zero(S);
        FloatVector c0 = zero;
        FloatVector c1 = zero;
        FloatVector c2 = zero;
        FloatVector c3 = zero;
        FloatVector c4 = zero;
        FloatVector c5 = zero;
        FloatVector c6 = zero;
        FloatVector c7 = zero;
        FloatVector c8 = zero;
        FloatVector c9 = zero;
        FloatVector c10 = zero;
        FloatVector c11 = zero;
        FloatVector c12 = zero;
        FloatVector c13 = zero;
        FloatVector c14 = zero;
        FloatVector c15 = zero;
        for (int k = 0; k < kc; k++) {
            int ak = aOff + k * ROWS;
            FloatVector b0 = FloatVector.fromArray(S, b, bOff + k * V);
            c0 = FloatVector.broadcast(S, a[ak + 0]).fma(b0, c0);
            c1 = FloatVector.broadcast(S, a[ak + 1]).fma(b0, c1);
            c2 = FloatVector.broadcast(S, a[ak + 2]).fma(b0, c2);
            c3 = FloatVector.broadcast(S, a[ak + 3]).fma(b0, c3);
            c4 = FloatVector.broadcast(S, a[ak + 4]).fma(b0, c4);
            c5 = FloatVector.broadcast(S, a[ak + 5]).fma(b0, c5);
            c6 = FloatVector.broadcast(S, a[ak + 6]).fma(b0, c6);
            c7 = FloatVector.broadcast(S, a[ak + 7]).fma(b0, c7);
            c8 = FloatVector.broadcast(S, a[ak + 8]).fma(b0, c8);
            c9 = FloatVector.broadcast(S, a[ak + 9]).fma(b0, c9);
            c10 = FloatVector.broadcast(S, a[ak + 10]).fma(b0, c10);
            c11 = FloatVector.broadcast(S, a[ak + 11]).fma(b0, c11);
            c12 = FloatVector.broadcast(S, a[ak + 12]).fma(b0, c12);
            c13 = FloatVector.broadcast(S, a[ak + 13]).fma(b0, c13);
            c14 = FloatVector.broadcast(S, a[ak + 14]).fma(b0, c14);
            c15 = FloatVector.broadcast(S, a[ak + 15]).fma(b0, c15);
        }
        c0.intoMemorySegment(tile, 4L * (0 * V), ORDER);
        c1.intoMemorySegment(tile, 4L * (1 * V), ORDER);
        c2.intoMemorySegment(tile, 4L * (2 * V), ORDER);
        c3.intoMemorySegment(tile, 4L * (3 * V), ORDER);
        c4.intoMemorySegment(tile, 4L * (4 * V), ORDER);
        c5.intoMemorySegment(tile, 4L * (5 * V), ORDER);
        c6.intoMemorySegment(tile, 4L * (6 * V), ORDER);
        c7.intoMemorySegment(tile, 4L * (7 * V), ORDER);
        c8.intoMemorySegment(tile, 4L * (8 * V), ORDER);
        c9.intoMemorySegment(tile, 4L * (9 * V), ORDER);
        c10.intoMemorySegment(tile, 4L * (10 * V), ORDER);
        c11.intoMemorySegment(tile, 4L * (11 * V), ORDER);
        c12.intoMemorySegment(tile, 4L * (12 * V), ORDER);
        c13.intoMemorySegment(tile, 4L * (13 * V), ORDER);
        c14.intoMemorySegment(tile, 4L * (14 * V), ORDER);
        c15.intoMemorySegment(tile, 4L * (15 * V), ORDER);
        store(tile, c, cIndex, ldc, rows, cols, accumulate, epilogue, row0, col0);
    }

    /**
     * {@link #run} with A row-major on the heap: row r of the panel at {@code aOff + r·lda}, not interleaved (a
     * channels-last image's pixel rows, copied as they are; {@link ChannelsLastGemm}). Always {@link #ROWS} rows.
     */
    static void runRows(int kc, float[] a, int aOff, int lda, float[] b, int bOff, MemorySegment c, long cIndex,
                        long ldc, int cols, boolean accumulate, Epilogue epilogue, int row0, int col0) {
        MemorySegment tile = TILE.get();
        FloatVector zero = FloatVector.zero(S);
        FloatVector c0 = zero;
        FloatVector c1 = zero;
        FloatVector c2 = zero;
        FloatVector c3 = zero;
        FloatVector c4 = zero;
        FloatVector c5 = zero;
        FloatVector c6 = zero;
        FloatVector c7 = zero;
        FloatVector c8 = zero;
        FloatVector c9 = zero;
        FloatVector c10 = zero;
        FloatVector c11 = zero;
        FloatVector c12 = zero;
        FloatVector c13 = zero;
        FloatVector c14 = zero;
        FloatVector c15 = zero;
        for (int k = 0; k < kc; k++) {
            int ak = aOff + k;
            FloatVector b0 = FloatVector.fromArray(S, b, bOff + k * V);
            c0 = FloatVector.broadcast(S, a[ak + 0 * lda]).fma(b0, c0);
            c1 = FloatVector.broadcast(S, a[ak + 1 * lda]).fma(b0, c1);
            c2 = FloatVector.broadcast(S, a[ak + 2 * lda]).fma(b0, c2);
            c3 = FloatVector.broadcast(S, a[ak + 3 * lda]).fma(b0, c3);
            c4 = FloatVector.broadcast(S, a[ak + 4 * lda]).fma(b0, c4);
            c5 = FloatVector.broadcast(S, a[ak + 5 * lda]).fma(b0, c5);
            c6 = FloatVector.broadcast(S, a[ak + 6 * lda]).fma(b0, c6);
            c7 = FloatVector.broadcast(S, a[ak + 7 * lda]).fma(b0, c7);
            c8 = FloatVector.broadcast(S, a[ak + 8 * lda]).fma(b0, c8);
            c9 = FloatVector.broadcast(S, a[ak + 9 * lda]).fma(b0, c9);
            c10 = FloatVector.broadcast(S, a[ak + 10 * lda]).fma(b0, c10);
            c11 = FloatVector.broadcast(S, a[ak + 11 * lda]).fma(b0, c11);
            c12 = FloatVector.broadcast(S, a[ak + 12 * lda]).fma(b0, c12);
            c13 = FloatVector.broadcast(S, a[ak + 13 * lda]).fma(b0, c13);
            c14 = FloatVector.broadcast(S, a[ak + 14 * lda]).fma(b0, c14);
            c15 = FloatVector.broadcast(S, a[ak + 15 * lda]).fma(b0, c15);
        }
        c0.intoMemorySegment(tile, 4L * (0 * V), ORDER);
        c1.intoMemorySegment(tile, 4L * (1 * V), ORDER);
        c2.intoMemorySegment(tile, 4L * (2 * V), ORDER);
        c3.intoMemorySegment(tile, 4L * (3 * V), ORDER);
        c4.intoMemorySegment(tile, 4L * (4 * V), ORDER);
        c5.intoMemorySegment(tile, 4L * (5 * V), ORDER);
        c6.intoMemorySegment(tile, 4L * (6 * V), ORDER);
        c7.intoMemorySegment(tile, 4L * (7 * V), ORDER);
        c8.intoMemorySegment(tile, 4L * (8 * V), ORDER);
        c9.intoMemorySegment(tile, 4L * (9 * V), ORDER);
        c10.intoMemorySegment(tile, 4L * (10 * V), ORDER);
        c11.intoMemorySegment(tile, 4L * (11 * V), ORDER);
        c12.intoMemorySegment(tile, 4L * (12 * V), ORDER);
        c13.intoMemorySegment(tile, 4L * (13 * V), ORDER);
        c14.intoMemorySegment(tile, 4L * (14 * V), ORDER);
        c15.intoMemorySegment(tile, 4L * (15 * V), ORDER);
        store(tile, c, cIndex, ldc, ROWS, cols, accumulate, epilogue, row0, col0);
    }

    private static void store(MemorySegment tile, MemorySegment c, long cIndex, long ldc, int rows, int cols,
                              boolean accumulate, Epilogue epilogue, int row0, int col0) {
        if (rows == ROWS && cols == V) {
            // unmasked, in one call: 16 masked row stores per tile cost more than the tile's FMAs at k = 32
            if (accumulate) {
                storeWholeAdd(tile, c, cIndex, ldc, epilogue, row0, col0);
            } else {
                storeWholeSet(tile, c, cIndex, ldc, epilogue, row0, col0);
            }
            return;
        }
        for (int r = 0; r < rows; r++) {
            PanamaMicroKernel.storeRow(tile, r * V, c, cIndex + r * ldc, cols, accumulate, epilogue, row0 + r, col0);
        }
    }

    /**
     * A whole tile from the tile buffer to C, unmasked, with the epilogue: PanamaMicroKernel.storeFull's store at one
     * vector per row. Not shared with it through a width parameter: with the width a variable, C2 no longer unrolled
     * the main tile's two vectors per row, and a 16-deep pointwise GEMM ran 25-30% slower (stop 19). Storing and
     * adding are separate methods for the reason storeFull's are.
     */
    private static void storeWholeSet(MemorySegment tile, MemorySegment c, long cIndex, long ldc, Epilogue epilogue,
                                      int row0, int col0) {
        Epilogue e = epilogue == null ? Epilogue.NONE : epilogue;
        float[] rowBias = e.rowBias();
        FloatVector colBias = e.colBias() == null ? null
            : FloatVector.fromArray(S, e.colBias(), col0, S.indexInRange(col0, e.colBias().length));
        boolean lo = e.min() != Float.NEGATIVE_INFINITY;
        boolean hi = e.max() != Float.POSITIVE_INFINITY;
        for (int r = 0; r < ROWS; r++) {
            FloatVector x = FloatVector.fromMemorySegment(S, tile, 4L * (r * V), ORDER);
            if (rowBias != null) {
                x = x.add(rowBias[row0 + r]);
            }
            if (colBias != null) {
                x = x.add(colBias);
            }
            if (lo) {
                x = x.lanewise(VectorOperators.MAX, e.min());
            }
            if (hi) {
                x = x.lanewise(VectorOperators.MIN, e.max());
            }
            x.intoMemorySegment(c, (cIndex + r * ldc) * Float.BYTES, ORDER);
        }
    }

    /** {@link #storeWholeSet} added to what C holds (a k block after the first). */
    private static void storeWholeAdd(MemorySegment tile, MemorySegment c, long cIndex, long ldc, Epilogue epilogue,
                                      int row0, int col0) {
        Epilogue e = epilogue == null ? Epilogue.NONE : epilogue;
        float[] rowBias = e.rowBias();
        FloatVector colBias = e.colBias() == null ? null
            : FloatVector.fromArray(S, e.colBias(), col0, S.indexInRange(col0, e.colBias().length));
        boolean lo = e.min() != Float.NEGATIVE_INFINITY;
        boolean hi = e.max() != Float.POSITIVE_INFINITY;
        for (int r = 0; r < ROWS; r++) {
            long at = (cIndex + r * ldc) * Float.BYTES;
            FloatVector x = FloatVector.fromMemorySegment(S, tile, 4L * (r * V), ORDER)
                .add(FloatVector.fromMemorySegment(S, c, at, ORDER));
            if (rowBias != null) {
                x = x.add(rowBias[row0 + r]);
            }
            if (colBias != null) {
                x = x.add(colBias);
            }
            if (lo) {
                x = x.lanewise(VectorOperators.MAX, e.min());
            }
            if (hi) {
                x = x.lanewise(VectorOperators.MIN, e.max());
            }
            x.intoMemorySegment(c, at, ORDER);
        }
    }
}
