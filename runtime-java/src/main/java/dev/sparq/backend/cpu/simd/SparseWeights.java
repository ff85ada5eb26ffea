package dev.sparq.backend.cpu.simd;

import dev.sparq.sparse.BlockedMatrix;
import dev.sparq.sparse.ChunkedSellMatrix;
import dev.sparq.sparse.CsrMatrix;
import dev.sparq.sparse.SellMatrix;
import dev.sparq.sparse.TwoFourMatrix;
import java.lang.foreign.MemorySegment;

/**
 * A pruned constant weight matrix W [rows = outputs, cols = reduction] in one sparse format, with the two products
 * the sparse kernels are made of, each split into {@code parts} independent shares for the worker threads.
 */
abstract sealed class SparseWeights {
    /** The formats, by the candidate names the tuner and {@code sparq inspect} show. */
    enum Format {
        CSR("sparse-csr", true), SELL("sparse-sell", false), BLOCKED("sparse-blocked", true),
        TWO_FOUR("sparse-2:4", true), CHUNKED_SELL("sparse-sell-chunked", false);

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
            case CHUNKED_SELL -> new ChunkedSell(ChunkedSellMatrix.of(dense, rows, cols, lanes));
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

    /**
     * y[r] = Σ_k W[r,k]·x[xOff+k], share {@code part} of {@code parts}; x needs 2·{@link SparseOps#lanes()} spare
     * floats.
     */
    abstract void timesVector(int part, int parts, float[] x, int xOff, float[] y, int yOff);

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
        void timesVector(int part, int parts, float[] x, int xOff, float[] y, int yOff) {
            SparseOps.get().timesVector(m, from(rows, part, parts), from(rows, part + 1, parts), x, xOff, y, yOff);
        }

        @Override
        void timesMatrix(int part, int parts, MemorySegment x, long xIndex, long ldx, int pixels, MemorySegment y,
                         long yIndex, long ldy, float[] bias, float min, float max) {
            SparseOps.get().timesMatrix(m, from(rows, part, parts), from(rows, part + 1, parts), x, xIndex, ldx, pixels,
                y, yIndex, ldy, bias, min, max);
        }
    }

    /**
     * The sliced ELLPACK formats: products with vectors only, split by slices. Their products apply the epilogue
     * themselves (rows are scattered back to order at the end of each slice, so they leave finished).
     */
    abstract static sealed class Sliced extends SparseWeights permits Sell, ChunkedSell {
        private final Format format;
        private final int slices;
        private final int height;
        private final int nonzeros;
        private final long bytes;

        Sliced(Format format, int rows, int cols, int slices, int height, int nonzeros, long bytes) {
            super(rows, cols);
            this.format = format;
            this.slices = slices;
            this.height = height;
            this.nonzeros = nonzeros;
            this.bytes = bytes;
        }

        @Override
        Format format() {
            return format;
        }

        @Override
        long bytes() {
            return bytes;
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
        void timesVector(int part, int parts, float[] x, int xOff, float[] y, int yOff) {
            timesVector(part, parts, x, xOff, null, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, y, yOff);
        }

        /**
         * The product with the epilogue: y[yOff + r] = clamp(W·x + bias, min, max) for this part's rows, the bias in
         * slice order ({@link #inSliceOrder}; may be null).
         */
        void timesVector(int part, int parts, float[] x, int xOff, float[] sliceBias, float min, float max, float[] y,
                         int yOff) {
            slicesTimesVector(from(slices, part, parts), from(slices, part + 1, parts), x, xOff, sliceBias, min, max, y,
                yOff);
        }

        /** A per-row vector (a bias) in the order of the slices' lanes, padding lanes 0; null stays null. */
        float[] inSliceOrder(float[] perRow) {
            if (perRow == null) {
                return null;
            }
            int[] rowOf = rowOf();
            float[] out = new float[paddedRows()];
            for (int i = 0; i < out.length; i++) {
                out[i] = rowOf[i] < rows ? perRow[rowOf[i]] : 0f;
            }
            return out;
        }

        abstract int[] rowOf();

        abstract void slicesTimesVector(int s0, int s1, float[] x, int xOff, float[] bias, float min, float max,
                                        float[] y, int yOff);

        @Override
        void timesMatrix(int part, int parts, MemorySegment x, long xIndex, long ldx, int pixels, MemorySegment y,
                         long yIndex, long ldy, float[] bias, float min, float max) {
            throw new UnsupportedOperationException("sliced ELLPACK has no product with a matrix");
        }
    }

    static final class Sell extends Sliced {
        final SellMatrix m;

        Sell(SellMatrix m) {
            super(Format.SELL, m.rows(), m.cols(), m.slices(), m.height(), m.nonzeros(), m.bytes());
            this.m = m;
        }

        @Override
        int[] rowOf() {
            return m.rowOf();
        }

        @Override
        void slicesTimesVector(int s0, int s1, float[] x, int xOff, float[] bias, float min, float max, float[] y,
                               int yOff) {
            SparseOps.get().timesVector(m, s0, s1, x, xOff, bias, min, max, y, yOff);
        }
    }

    static final class ChunkedSell extends Sliced {
        final ChunkedSellMatrix m;

        ChunkedSell(ChunkedSellMatrix m) {
            super(Format.CHUNKED_SELL, m.rows(), m.cols(), m.slices(), m.height(), m.nonzeros(), m.bytes());
            this.m = m;
        }

        @Override
        int[] rowOf() {
            return m.rowOf();
        }

        @Override
        void slicesTimesVector(int s0, int s1, float[] x, int xOff, float[] bias, float min, float max, float[] y,
                               int yOff) {
            SparseOps.get().timesVector(m, s0, s1, x, xOff, bias, min, max, y, yOff);
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
        void timesVector(int part, int parts, float[] x, int xOff, float[] y, int yOff) {
            SparseOps.get().timesVector(m, from(m.blockRows(), part, parts), from(m.blockRows(), part + 1, parts), x,
                xOff, y, yOff);
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
        void timesVector(int part, int parts, float[] x, int xOff, float[] y, int yOff) {
            SparseOps.get().timesVector(m, from(m.slices(), part, parts), from(m.slices(), part + 1, parts), x, xOff, y, yOff);
        }

        @Override
        void timesMatrix(int part, int parts, MemorySegment x, long xIndex, long ldx, int pixels, MemorySegment y,
                         long yIndex, long ldy, float[] bias, float min, float max) {
            SparseOps.get().timesMatrix(m, from(rows, part, parts), from(rows, part + 1, parts), x, xIndex, ldx, pixels,
                y, yIndex, ldy, bias, min, max);
        }
    }
}
