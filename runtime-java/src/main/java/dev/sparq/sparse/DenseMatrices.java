package dev.sparq.sparse;

/** Checks shared by the sparse formats' builders. */
final class DenseMatrices {
    private DenseMatrices() {
    }

    static void check(float[] dense, int rows, int cols) {
        if (rows < 0 || cols < 0 || (long) rows * cols != dense.length) {
            throw new IllegalArgumentException(dense.length + " values do not make a " + rows + "x" + cols + " matrix");
        }
    }

    static void checkHeight(int height) {
        if (height < 1 || height > 16 || Integer.bitCount(height) != 1) {
            throw new IllegalArgumentException("slice height " + height + " is not a power of two in [1, 16]");
        }
    }

    static int nonzeros(float[] dense, int row, int cols) {
        int n = 0;
        for (int c = 0; c < cols; c++) {
            n += dense[row * cols + c] != 0 ? 1 : 0;
        }
        return n;
    }
}
