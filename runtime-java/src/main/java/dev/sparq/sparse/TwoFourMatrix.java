package dev.sparq.sparse;

/**
 * A 2:4-sparse matrix packed as its kept values plus a 2-bit index per value: in every aligned group of 4 columns
 * a row has at most 2 nonzeros, so each row keeps exactly cols/2 values (a group with fewer is padded with zeros)
 * and each value records which of its group's 4 columns it sits in. Half the values of the dense matrix and 1/16
 * of its size in indices.
 *
 * <p>Layout, for vector kernels: rows are cut into slices of {@code height} rows (the vector length); value j of
 * row r = s·height + l (s the slice, l the lane) is {@code values[q]} with q = (s·half + j)·height + l, half =
 * cols/2; it belongs to group j/2, and its column is 4·(j/2) + idx with idx = {@code meta[q >>> 4] >>> 2(q & 15) & 3}.
 * So slot j of a slice is one vector of values and 2·height bits of indices in a single int (height ≤ 16), and all
 * its lanes read the same 4 columns of x.
 */
public final class TwoFourMatrix {
    private final int rows;
    private final int cols;
    private final int height;
    private final int nonzeros;
    private final float[] values;
    private final int[] meta;

    private TwoFourMatrix(int rows, int cols, int height, int nonzeros, float[] values, int[] meta) {
        this.rows = rows;
        this.cols = cols;
        this.height = height;
        this.nonzeros = nonzeros;
        this.values = values;
        this.meta = meta;
    }

    /** Whether every aligned group of 4 along each row has at most 2 nonzeros (and cols is a multiple of 4). */
    public static boolean fits(float[] dense, int rows, int cols) {
        DenseMatrices.check(dense, rows, cols);
        if (cols % 4 != 0 || cols == 0) {
            return false;
        }
        for (int i = 0; i < dense.length; i += 4) {
            int nz = (dense[i] != 0 ? 1 : 0) + (dense[i + 1] != 0 ? 1 : 0) + (dense[i + 2] != 0 ? 1 : 0)
                + (dense[i + 3] != 0 ? 1 : 0);
            if (nz > 2) {
                return false;
            }
        }
        return true;
    }

    /** Packs a dense row-major matrix that {@link #fits}, in slices of {@code height} rows (a power of two ≤ 16). */
    public static TwoFourMatrix of(float[] dense, int rows, int cols, int height) {
        if (!fits(dense, rows, cols)) {
            throw new IllegalArgumentException("a " + rows + "x" + cols + " matrix without the 2:4 pattern");
        }
        DenseMatrices.checkHeight(height);
        int half = cols / 2;
        int slices = (rows + height - 1) / height;
        float[] values = new float[Math.multiplyExact(slices * half, height)];
        int[] meta = new int[(values.length + 15) / 16];
        int nonzeros = 0;
        for (int r = 0; r < rows; r++) {
            int s = r / height;
            int l = r % height;
            for (int g = 0; g < cols / 4; g++) {
                int j = 2 * g;
                for (int c = 0; c < 4; c++) {
                    float v = dense[r * cols + 4 * g + c];
                    if (v != 0) {
                        int q = (s * half + j) * height + l;
                        values[q] = v;
                        meta[q >>> 4] |= c << (2 * (q & 15));
                        j++;
                        nonzeros++;
                    }
                }
            }
        }
        return new TwoFourMatrix(rows, cols, height, nonzeros, values, meta);
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
        return (rows + height - 1) / height;
    }

    public int nonzeros() {
        return nonzeros;
    }

    public float[] values() {
        return values;
    }

    public int[] meta() {
        return meta;
    }

    /** Column of value index q (see the class comment), decoded from its 2-bit index. */
    public int column(int q, int j) {
        return 4 * (j >>> 1) + (meta[q >>> 4] >>> (2 * (q & 15)) & 3);
    }

    public long bytes() {
        return 4L * (values.length + meta.length);
    }
}
