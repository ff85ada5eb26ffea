package dev.sparq.sparse;

/**
 * A sparse matrix W[rows][cols] in compressed sparse rows: the nonzeros of row r are {@code values[i]} at column
 * {@code colIndex[i]} for i in [{@code rowStart[r]}, {@code rowStart[r + 1]}), in column order. Built once from
 * pruned weights; the arrays are shared with kernels, not copied, and never change.
 */
public final class CsrMatrix {
    private final int rows;
    private final int cols;
    private final int[] rowStart;
    private final int[] colIndex;
    private final float[] values;

    private CsrMatrix(int rows, int cols, int[] rowStart, int[] colIndex, float[] values) {
        this.rows = rows;
        this.cols = cols;
        this.rowStart = rowStart;
        this.colIndex = colIndex;
        this.values = values;
    }

    /** The nonzeros of a dense row-major matrix. */
    public static CsrMatrix of(float[] dense, int rows, int cols) {
        DenseMatrices.check(dense, rows, cols);
        int[] start = new int[rows + 1];
        int nnz = 0;
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                nnz += dense[r * cols + c] != 0 ? 1 : 0;
            }
            start[r + 1] = nnz;
        }
        int[] colIndex = new int[nnz];
        float[] values = new float[nnz];
        int at = 0;
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                float v = dense[r * cols + c];
                if (v != 0) {
                    colIndex[at] = c;
                    values[at++] = v;
                }
            }
        }
        return new CsrMatrix(rows, cols, start, colIndex, values);
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

    public int[] rowStart() {
        return rowStart;
    }

    public int[] colIndex() {
        return colIndex;
    }

    public float[] values() {
        return values;
    }

    public long bytes() {
        return 4L * (rowStart.length + colIndex.length + values.length);
    }
}
