package dev.sparq.backend.cpu.simd;

import dev.sparq.sparse.BlockedMatrix;
import dev.sparq.sparse.ChunkedSellMatrix;
import dev.sparq.sparse.CsrMatrix;
import dev.sparq.sparse.SellMatrix;
import dev.sparq.sparse.TwoFourMatrix;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * A pruned constant weight matrix W [rows = outputs, cols = reduction] in one sparse format, with the two products
 * the sparse kernels are made of, each split into {@code parts} independent shares for the worker threads.
 */
abstract sealed class SparseWeights {
    /** The formats, by the candidate names the tuner and {@code sparq inspect} show. */
    enum Format {
        CSR("sparse-csr", true), SELL("sparse-sell", false), BLOCKED("sparse-blocked", true),
        TWO_FOUR("sparse-2:4", true), CHUNKED_SELL("sparse-sell-chunked", false),
        WIDE_CHUNKED_SELL("sparse-sell-chunked-wide", false);

        final String candidate;
        /** Whether the format has a product with a matrix (convolutions, large batches), not only with vectors. */
        final boolean matrixProduct;

        Format(String candidate, boolean matrixProduct) {
            this.candidate = candidate;
            this.matrixProduct = matrixProduct;
        }
    }

    final int rows;
    final int cols;

    SparseWeights(int rows, int cols) {
        this.rows = rows;
        this.cols = cols;
    }

    /** W in {@code format}, from its dense row-major values (2:4 needs a matrix with that pattern). */
    static SparseWeights of(Format format, float[] dense, int rows, int cols) {
        int lanes = SparseOps.get().lanes();
        return switch (format) {
            case CSR -> new Csr(CsrMatrix.of(dense, rows, cols));
            case SELL -> new Sell(SellMatrix.of(dense, rows, cols, lanes));
            case CHUNKED_SELL -> new ChunkedSell(Format.CHUNKED_SELL, ChunkedSellMatrix.of(dense, rows, cols, lanes));
            case WIDE_CHUNKED_SELL -> new ChunkedSell(Format.WIDE_CHUNKED_SELL,
                ChunkedSellMatrix.of(dense, rows, cols, lanes, 4));
            case BLOCKED -> new Blocked(BlockedMatrix.of(dense, rows, cols, lanes));
            case TWO_FOUR -> new TwoFour(TwoFourMatrix.of(dense, rows, cols, lanes));
        };
    }

    abstract Format format();

    /** Bytes the format holds. */
    abstract long bytes();

    abstract int nonzeros();

    /** Floats a {@link #timesVector} result needs (rows rounded up to whole slices or blocks). */
    abstract int paddedRows();

    /** y[r] = Σ_k W[r,k]·x[xIndex+k] for x in a tensor, share {@code part} of {@code parts}. */
    abstract void timesVector(int part, int parts, MemorySegment x, long xIndex, float[] y, int yOff);

    /**
     * x copied to the calling thread's scratch, with 2·{@link SparseOps#lanes()} zeros after it: for the products
     * that read arrays (the 2:4 kernel reads the spare floats as part of a vector).
     */
    final float[] inScratch(MemorySegment x, long xIndex) {
        int spare = 2 * SparseOps.get().lanes();
        float[] copy = Scratch.of(6).get(cols + spare);
        MemorySegment.copy(x, ValueLayout.JAVA_FLOAT, xIndex * Float.BYTES, copy, 0, cols);
        Arrays.fill(copy, cols, cols + spare, 0f);
        return copy;
    }

    /**
     * out[outIndex + r] = clamp(y[yOff + …] + bias[r], min, max) for every row r of a {@link #timesVector} result
     * at yOff; bias may be null.
     */
    void store(float[] y, int yOff, float[] bias, float min, float max, MemorySegment out, long outIndex) {
        SparseOps.get().store(y, yOff, rows, bias, 0, min, max, out, outIndex);
    }

    /** Whether {@link #timesMatrix} exists (see {@link Format#matrixProduct}). */
    boolean hasMatrixProduct() {
        return format().matrixProduct;
    }

    /** Y = clamp(W · X + bias) for share {@code part} of the rows, as {@link SparseOps#timesMatrix}. */
    abstract void timesMatrix(int part, int parts, MemorySegment x, long xIndex, long ldx, int pixels, MemorySegment y,
                              long yIndex, long ldy, float[] bias, float min, float max);

    static int from(int n, int part, int parts) {
        // one part (batch-1 layers on one thread): no 64-bit division, twice per sub-µs call
        return parts == 1 ? part * n : (int) ((long) n * part / parts);
    }

    static final class Csr extends SparseWeights {

        @Override
        long bytes() {
            return m.bytes();
        }
        final CsrMatrix m;

        Csr(CsrMatrix m) {
            super(m.rows(), m.cols());
            this.m = m;
        }

        @Override
        Format format() {
            return Format.CSR;
        }

        @Override
        int nonzeros() {
            return m.nonzeros();
        }

        @Override
        int paddedRows() {
            return rows;
        }

        @Override
        void timesVector(int part, int parts, MemorySegment x, long xIndex, float[] y, int yOff) {
            SparseOps.get().timesVector(m, from(rows, part, parts), from(rows, part + 1, parts), inScratch(x, xIndex), 0,
                y, yOff);
        }

        @Override
        void timesMatrix(int part, int parts, MemorySegment x, long xIndex, long ldx, int pixels, MemorySegment y,
                         long yIndex, long ldy, float[] bias, float min, float max) {
            SparseOps.get().timesMatrix(m, from(rows, part, parts), from(rows, part + 1, parts), x, xIndex, ldx, pixels,
                y, yIndex, ldy, bias, min, max);
        }
    }

    /**
     * The sliced ELLPACK formats: products with vectors only, split by slices. Rows come out in slice order, and
     * {@link #store} gathers them back.
     */
    abstract static sealed class Sliced extends SparseWeights permits Sell, ChunkedSell {
        private final Format format;
        private final int slices;
        private final int height;
        private final int nonzeros;
        private final long bytes;
        /** Where row r lands in a product's output (n rounded up to the lanes, for whole-vector gathers). */
        private final int[] position;

        Sliced(Format format, int rows, int cols, int slices, int height, int nonzeros, long bytes, int[] rowOf) {
            super(rows, cols);
            this.format = format;
            this.slices = slices;
            this.height = height;
            this.nonzeros = nonzeros;
            this.bytes = bytes;
            int lanes = SparseOps.get().lanes();
            this.position = new int[(rows + lanes - 1) / lanes * lanes];
            for (int at = 0; at < rowOf.length; at++) {
                if (rowOf[at] < rows) {
                    position[rowOf[at]] = at;
                }
            }
        }

        @Override
        Format format() {
            return format;
        }

        @Override
        long bytes() {
            return bytes + 4L * position.length;
        }

        @Override
        int nonzeros() {
            return nonzeros;
        }

        @Override
        int paddedRows() {
            return slices * height;
        }

        @Override
        void timesVector(int part, int parts, MemorySegment x, long xIndex, float[] y, int yOff) {
            slicesTimesVector(from(slices, part, parts), from(slices, part + 1, parts), x, xIndex, y, yOff);
        }

        abstract void slicesTimesVector(int s0, int s1, MemorySegment x, long xIndex, float[] y, int yOff);

        @Override
        void store(float[] y, int yOff, float[] bias, float min, float max, MemorySegment out, long outIndex) {
            SparseOps.get().store(y, yOff, position, rows, bias, min, max, out, outIndex);
        }

        @Override
        void timesMatrix(int part, int parts, MemorySegment x, long xIndex, long ldx, int pixels, MemorySegment y,
                         long yIndex, long ldy, float[] bias, float min, float max) {
            throw new UnsupportedOperationException("sliced ELLPACK has no product with a matrix");
        }
    }

    static final class Sell extends Sliced {
        final SellMatrix m;

        Sell(SellMatrix m) {
            super(Format.SELL, m.rows(), m.cols(), m.slices(), m.height(), m.nonzeros(), m.bytes(), m.rowOf());
            this.m = m;
        }

        @Override
        void slicesTimesVector(int s0, int s1, MemorySegment x, long xIndex, float[] y, int yOff) {
            SparseOps.get().timesVector(m, s0, s1, inScratch(x, xIndex), 0, y, yOff);
        }
    }

    static final class ChunkedSell extends Sliced {
        final ChunkedSellMatrix m;

        ChunkedSell(Format format, ChunkedSellMatrix m) {
            super(format, m.rows(), m.cols(), m.slices(), m.height(), m.nonzeros(), m.bytes(), m.rowOf());
            this.m = m;
        }

        @Override
        void slicesTimesVector(int s0, int s1, MemorySegment x, long xIndex, float[] y, int yOff) {
            // in place: the product loads each chunk of x once
            SparseOps.get().timesVector(m, s0, s1, x, xIndex, y, yOff);
        }
    }

    static final class Blocked extends SparseWeights {

        @Override
        long bytes() {
            return m.bytes();
        }
        final BlockedMatrix m;

        Blocked(BlockedMatrix m) {
            super(m.rows(), m.cols());
            this.m = m;
        }

        @Override
        Format format() {
            return Format.BLOCKED;
        }

        @Override
        int nonzeros() {
            return m.nonzeros();
        }

        @Override
        int paddedRows() {
            return m.blockRows() * m.height();
        }

        @Override
        void timesVector(int part, int parts, MemorySegment x, long xIndex, float[] y, int yOff) {
            SparseOps.get().timesVector(m, from(m.blockRows(), part, parts), from(m.blockRows(), part + 1, parts),
                inScratch(x, xIndex), 0, y, yOff);
        }

        @Override
        void timesMatrix(int part, int parts, MemorySegment x, long xIndex, long ldx, int pixels, MemorySegment y,
                         long yIndex, long ldy, float[] bias, float min, float max) {
            SparseOps.get().timesMatrix(m, from(m.blockRows(), part, parts), from(m.blockRows(), part + 1, parts), x,
                xIndex, ldx, pixels, y, yIndex, ldy, bias, min, max);
        }
    }

    static final class TwoFour extends SparseWeights {

        @Override
        long bytes() {
            return m.bytes();
        }
        final TwoFourMatrix m;

        TwoFour(TwoFourMatrix m) {
            super(m.rows(), m.cols());
            this.m = m;
        }

        @Override
        Format format() {
            return Format.TWO_FOUR;
        }

        @Override
        int nonzeros() {
            return m.nonzeros();
        }

        @Override
        int paddedRows() {
            return m.slices() * m.height();
        }

        @Override
        void timesVector(int part, int parts, MemorySegment x, long xIndex, float[] y, int yOff) {
            SparseOps.get().timesVector(m, from(m.slices(), part, parts), from(m.slices(), part + 1, parts),
                inScratch(x, xIndex), 0, y, yOff);
        }

        @Override
        void timesMatrix(int part, int parts, MemorySegment x, long xIndex, long ldx, int pixels, MemorySegment y,
                         long yIndex, long ldy, float[] bias, float min, float max) {
            SparseOps.get().timesMatrix(m, from(rows, part, parts), from(rows, part + 1, parts), x, xIndex, ldx, pixels,
                y, yIndex, ldy, bias, min, max);
        }
    }
}
