package dev.sparq.sparse;

/**
 * Sliced ELLPACK (SELL-C-σ with σ = all rows): rows sorted by their number of nonzeros, longest first, cut into
 * slices of {@code height} rows (the vector length), each slice stored column-major and padded to its longest row.
 * A matrix-vector product then runs one vector of {@code height} outputs at a time: per slot, one load of values,
 * one gather of x by column, one FMA, with no horizontal sums; sorting keeps the padding small. Lane l of slice s
 * is row {@code rowOf[s * height + l]} (padding lanes past the last row get the distinct indices rows, rows+1, ...
 * so their results can be scattered to a buffer of {@code slices * height} floats and dropped).
 *
 * <p>Slot j of slice s, lane l: value {@code values[sliceStart[s] + j * height + l]} at column
 * {@code colIndex[...]}; padding has value 0 at column 0.
 */
public final class SellMatrix {
    private final int rows;
    private final int cols;
    private final int height;
    private final int nonzeros;
    private final int[] rowOf;
    private final int[] sliceStart;
    private final int[] colIndex;
    private final float[] values;

    private SellMatrix(int rows, int cols, int height, int nonzeros, int[] rowOf, int[] sliceStart, int[] colIndex,
                       float[] values) {
        this.rows = rows;
        this.cols = cols;
        this.height = height;
        this.nonzeros = nonzeros;
        this.rowOf = rowOf;
        this.sliceStart = sliceStart;
        this.colIndex = colIndex;
        this.values = values;
    }

    /** The nonzeros of a dense row-major matrix in slices of {@code height} rows (a power of two ≤ 16). */
    public static SellMatrix of(float[] dense, int rows, int cols, int height) {
        DenseMatrices.check(dense, rows, cols);
        DenseMatrices.checkHeight(height);
        int[] nnz = new int[rows];
        int total = 0;
        for (int r = 0; r < rows; r++) {
            nnz[r] = DenseMatrices.nonzeros(dense, r, cols);
            total += nnz[r];
        }
        int[] order = DenseMatrices.byNonzerosDescending(nnz);
        int slices = (rows + height - 1) / height;
        int[] rowOf = new int[slices * height];
        int[] start = new int[slices + 1];
        for (int s = 0; s < slices; s++) {
            int width = 0;
            for (int l = 0; l < height; l++) {
                int i = s * height + l;
                rowOf[i] = i < rows ? order[i] : i;
                width = Math.max(width, i < rows ? nnz[order[i]] : 0);
            }
            start[s + 1] = Math.addExact(start[s], Math.multiplyExact(width, height));
        }
        int[] colIndex = new int[start[slices]];
        float[] values = new float[start[slices]];
        for (int i = 0; i < rows; i++) {
            int r = order[i];
            int at = start[i / height] + i % height;
            for (int c = 0; c < cols; c++) {
                float v = dense[r * cols + c];
                if (v != 0) {
                    colIndex[at] = c;
                    values[at] = v;
                    at += height;
                }
            }
        }
        return new SellMatrix(rows, cols, height, total, rowOf, start, colIndex, values);
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    public int height() {
        return height;
    }

    public int slices() {
        return sliceStart.length - 1;
    }

    public int nonzeros() {
        return nonzeros;
    }

    public int[] rowOf() {
        return rowOf;
    }

    public int[] sliceStart() {
        return sliceStart;
    }

    public int[] colIndex() {
        return colIndex;
    }

    public float[] values() {
        return values;
    }

    /** Stored slots over nonzeros (≥ 1): the cost of the padding. */
    public double paddingRatio() {
        return nonzeros == 0 ? 1 : (double) values.length / nonzeros;
    }

    public long bytes() {
        return 4L * (rowOf.length + sliceStart.length + colIndex.length + values.length);
    }
}
