package dev.sparq.sparse;

/**
 * Block compressed rows with blocks of {@code height} consecutive rows × 1 column, {@code height} being the vector
 * length: a block is stored whenever any of its values is nonzero, as one full vector (zeros included). Products
 * then need no gather: a matrix-vector product multiplies each block by one broadcast x value, and a product with
 * a dense matrix updates {@code height} output rows from each loaded activation vector (a rank-1 update, like a
 * GEMM micro-kernel). Wins when the pruning left whole blocks (structured or channel-grouped sparsity); on
 * scattered zeros most blocks stay, and it is close to a dense product.
 *
 * <p>Block row b covers rows [b·height, b·height + height); its blocks are i in [{@code blockStart[b]},
 * {@code blockStart[b + 1]}), at column {@code blockCol[i]}, values {@code values[i * height + lane]} (rows past
 * the last are zero).
 */
public final class BlockedMatrix {
    private final int rows;
    private final int cols;
    private final int height;
    private final int nonzeros;
    private final int[] blockStart;
    private final int[] blockCol;
    private final float[] values;

    private BlockedMatrix(int rows, int cols, int height, int nonzeros, int[] blockStart, int[] blockCol, float[] values) {
        this.rows = rows;
        this.cols = cols;
        this.height = height;
        this.nonzeros = nonzeros;
        this.blockStart = blockStart;
        this.blockCol = blockCol;
        this.values = values;
    }

    /** Blocks of {@code height} rows (a power of two ≤ 16) of a dense row-major matrix. */
    public static BlockedMatrix of(float[] dense, int rows, int cols, int height) {
        DenseMatrices.check(dense, rows, cols);
        DenseMatrices.checkHeight(height);
        int blockRows = (rows + height - 1) / height;
        int[] start = new int[blockRows + 1];
        int nonzeros = 0;
        for (int b = 0; b < blockRows; b++) {
            int blocks = 0;
            for (int c = 0; c < cols; c++) {
                boolean any = false;
                for (int r = b * height; r < Math.min(rows, b * height + height); r++) {
                    boolean nz = dense[r * cols + c] != 0;
                    any |= nz;
                    nonzeros += nz ? 1 : 0;
                }
                blocks += any ? 1 : 0;
            }
            start[b + 1] = start[b] + blocks;
        }
        int[] blockCol = new int[start[blockRows]];
        float[] values = new float[Math.multiplyExact(start[blockRows], height)];
        int at = 0;
        for (int b = 0; b < blockRows; b++) {
            for (int c = 0; c < cols; c++) {
                boolean any = false;
                for (int r = b * height; r < Math.min(rows, b * height + height); r++) {
                    any |= dense[r * cols + c] != 0;
                }
                if (any) {
                    blockCol[at] = c;
                    for (int r = b * height; r < Math.min(rows, b * height + height); r++) {
                        values[at * height + r - b * height] = dense[r * cols + c];
                    }
                    at++;
                }
            }
        }
        return new BlockedMatrix(rows, cols, height, nonzeros, start, blockCol, values);
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

    public int blockRows() {
        return blockStart.length - 1;
    }

    public int nonzeros() {
        return nonzeros;
    }

    public int[] blockStart() {
        return blockStart;
    }

    public int[] blockCol() {
        return blockCol;
    }

    public float[] values() {
        return values;
    }

    /** Stored values over nonzeros (≥ 1). */
    public double paddingRatio() {
        return nonzeros == 0 ? 1 : (double) values.length / nonzeros;
    }

    public long bytes() {
        return 4L * (blockStart.length + blockCol.length + values.length);
    }
}
