package dev.sparq.sparse;

import java.util.Arrays;
import java.util.Comparator;

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
        return nonzeros(dense, row * cols, 0, cols);
    }

    /** Nonzeros among columns [from, to) of the row starting at {@code base}. */
    static int nonzeros(float[] dense, int base, int from, int to) {
        int n = 0;
        for (int c = from; c < to; c++) {
            n += dense[base + c] != 0 ? 1 : 0;
        }
        return n;
    }

    /** Row indices by descending nonzero count; ties keep row order (the sort is stable). */
    static int[] byNonzerosDescending(int[] nnz) {
        Integer[] order = new Integer[nnz.length];
        Arrays.setAll(order, r -> r);
        Arrays.sort(order, Comparator.comparingInt((Integer r) -> -nnz[r]));
        return Arrays.stream(order).mapToInt(Integer::intValue).toArray();
    }
}
