package dev.sparq.sparse;

/**
 * Sliced ELLPACK whose columns are cut into chunks of {@code 2 × height}: rows in slices of {@code height}, and
 * within a slice each column chunk has its own run of slots, padded to the slice's longest row in that chunk. Rows
 * keep their order: sorting them by length, as {@link SellMatrix} does, hardly shortens the runs (their length is
 * set per chunk) and would cost a scatter per slice to put the results back (measured: no faster). A slot's column is one byte, its offset
 * in the chunk, so a matrix-vector product can hold the chunk's 2·height inputs in two vector registers and pick
 * each lane's input with a two-table permute instead of a gather (16 loads per 512-bit gather), and reads 5 bytes
 * per slot instead of 8. Chunks run in column order, so every row is still summed in column order.
 *
 * <p>Slot j of the run of slice s, chunk c, lane l: value {@code values[runStart[s · chunks + c] + j · height + l]}
 * at column {@code c · 2 · height + offsets[...]}; padding has value 0 at the chunk's first column. Lane l of slice
 * s is row {@code s · height + l} (lanes past the last row are padding). {@code offsets} has {@link #OFFSET_SLACK} bytes to spare at its end, so a vector of offsets may always be read
 * with an 8-byte load.
 */
public final class ChunkedSellMatrix {
    /** Bytes readable past the last slot's offset. */
    public static final int OFFSET_SLACK = 8;
    private final int rows;
    private final int cols;
    private final int height;
    private final int nonzeros;
    private final int slices;
    private final int[] runStart;
    private final byte[] offsets;
    private final float[] values;

    private ChunkedSellMatrix(int rows, int cols, int height, int nonzeros, int slices, int[] runStart,
                              byte[] offsets, float[] values) {
        this.rows = rows;
        this.cols = cols;
        this.height = height;
        this.nonzeros = nonzeros;
        this.slices = slices;
        this.runStart = runStart;
        this.offsets = offsets;
        this.values = values;
    }

    /** The nonzeros of a dense row-major matrix in slices of {@code height} rows (a power of two ≤ 16). */
    public static ChunkedSellMatrix of(float[] dense, int rows, int cols, int height) {
        DenseMatrices.check(dense, rows, cols);
        DenseMatrices.checkHeight(height);
        int chunk = 2 * height;
        int chunks = chunksOf(cols, height);
        int total = 0;
        for (int r = 0; r < rows; r++) {
            total += DenseMatrices.nonzeros(dense, r, cols);
        }
        int slices = (rows + height - 1) / height;
        int[] start = new int[slices * chunks + 1];
        for (int s = 0; s < slices; s++) {
            for (int c = 0; c < chunks; c++) {
                int width = 0;
                for (int i = s * height; i < Math.min(rows, (s + 1) * height); i++) {
                    width = Math.max(width, nonzeros(dense, i * cols, c * chunk, Math.min(cols, (c + 1) * chunk)));
                }
                int run = s * chunks + c;
                start[run + 1] = Math.addExact(start[run], Math.multiplyExact(width, height));
            }
        }
        int slots = start[slices * chunks];
        byte[] offsets = new byte[Math.addExact(slots, OFFSET_SLACK)];
        float[] values = new float[slots];
        for (int i = 0; i < rows; i++) {
            int base = i * cols;
            for (int c = 0; c < chunks; c++) {
                int at = start[(i / height) * chunks + c] + i % height;
                for (int col = c * chunk; col < Math.min(cols, (c + 1) * chunk); col++) {
                    float v = dense[base + col];
                    if (v != 0) {
                        offsets[at] = (byte) (col - c * chunk);
                        values[at] = v;
                        at += height;
                    }
                }
            }
        }
        return new ChunkedSellMatrix(rows, cols, height, total, slices, start, offsets, values);
    }

    private static int nonzeros(float[] dense, int base, int from, int to) {
        int n = 0;
        for (int c = from; c < to; c++) {
            n += dense[base + c] != 0 ? 1 : 0;
        }
        return n;
    }

    /** Column chunks of a matrix with {@code cols} columns, for slices of {@code height} rows. */
    public static int chunksOf(int cols, int height) {
        return (cols + 2 * height - 1) / (2 * height);
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
        return slices;
    }

    public int chunks() {
        return chunksOf(cols, height);
    }

    public int nonzeros() {
        return nonzeros;
    }

    /** Where the run of slice s, chunk c starts: {@code runStart()[s · chunks() + c]}; one more entry ends the last. */
    public int[] runStart() {
        return runStart;
    }

    public byte[] offsets() {
        return offsets;
    }

    public float[] values() {
        return values;
    }

    /** Stored slots over nonzeros (≥ 1): the cost of the padding. */
    public double paddingRatio() {
        return nonzeros == 0 ? 1 : (double) values.length / nonzeros;
    }

    public long bytes() {
        return 4L * (runStart.length + values.length) + offsets.length;
    }
}
