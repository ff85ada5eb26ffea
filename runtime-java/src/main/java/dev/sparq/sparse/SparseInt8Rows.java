package dev.sparq.sparse;

/**
 * Pruned 8-bit weights W[rows][cols] (rows: output channels or matmul columns; cols: the reduction axis, e.g.
 * (ci, ky, kx) of a convolution filter) in compressed sparse rows: the nonzeros of row r are {@code values[i]} at
 * reduction index {@code index(i)} for i in [{@code rowStart[r]}, {@code rowStart[r + 1]}), in index order. Indices
 * are 16-bit where the reduction axis fits (up to 65536), else 32-bit; values are the int8 weights (already centered
 * by their zero point). {@link #packedBytes()} is what the format holds.
 */
public final class SparseInt8Rows {
    private final int rows;
    private final int cols;
    private final int[] rowStart;
    private final short[] shortIndex;
    private final int[] intIndex;
    private final byte[] values;

    private SparseInt8Rows(int rows, int cols, int[] rowStart, short[] shortIndex, int[] intIndex, byte[] values) {
        this.rows = rows;
        this.cols = cols;
        this.rowStart = rowStart;
        this.shortIndex = shortIndex;
        this.intIndex = intIndex;
        this.values = values;
    }

    /**
     * The nonzeros of a dense row-major matrix of int8 values held as ints (each in [-128, 127]: weights minus their
     * zero point must stay 8-bit to be packed here).
     */
    public static SparseInt8Rows of(int[] dense, int rows, int cols) {
        if (rows < 0 || cols < 0 || dense.length != (long) rows * cols) {
            throw new IllegalArgumentException(dense.length + " values for " + rows + " x " + cols);
        }
        int[] start = new int[rows + 1];
        int nnz = 0;
        for (int i = 0; i < dense.length; i++) {
            if (dense[i] < -128 || dense[i] > 127) {
                throw new IllegalArgumentException("weight " + dense[i] + " at " + i + " is not 8-bit");
            }
            nnz += dense[i] != 0 ? 1 : 0;
        }
        boolean narrow = cols <= 65536;
        short[] si = narrow ? new short[nnz] : null;
        int[] ii = narrow ? null : new int[nnz];
        byte[] v = new byte[nnz];
        int at = 0;
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                int x = dense[r * cols + c];
                if (x != 0) {
                    if (narrow) {
                        si[at] = (short) c;
                    } else {
                        ii[at] = c;
                    }
                    v[at++] = (byte) x;
                }
            }
            start[r + 1] = at;
        }
        return new SparseInt8Rows(rows, cols, start, si, ii, v);
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    public int nonzeros() {
        return values.length;
    }

    public int rowStart(int r) {
        return rowStart[r];
    }

    /** The reduction index of nonzero i. */
    public int index(int i) {
        return shortIndex != null ? Short.toUnsignedInt(shortIndex[i]) : intIndex[i];
    }

    public int value(int i) {
        return values[i];
    }

    /** Bytes the format holds: values, indices and row starts. */
    public long packedBytes() {
        return values.length + (shortIndex != null ? 2L * shortIndex.length : 4L * intIndex.length)
            + 4L * rowStart.length;
    }
}
