package dev.sparq.sparse;

/**
 * Sliced ELLPACK for vectors of {@code lanes} floats, whose columns are cut into chunks of {@code 2 × lanes}: rows in
 * slices of {@code height = 2 × lanes} (two vectors, so a product runs two FMA chains), and within a slice each column
 * chunk has its own run of slots, padded to the slice's longest row in that chunk. A slot's column is one byte, its
 * offset in the chunk, so a matrix-vector product can hold the chunk's inputs in two vector registers and pick each
 * lane's input with a two-table permute instead of a gather (16 loads per 512-bit gather), and reads 5 bytes per slot
 * instead of 8. Chunks run in column order, so every row is still summed in column order. Both vectors of a slice
 * share its runs: one loop per run, where slices of one vector taken in pairs had a tail loop for the longer one.
 *
 * <p>The runs are padded per chunk, so rows are grouped into slices by their per-chunk counts, not by length alone
 * as {@link SellMatrix} sorts them: each slice starts from the longest row left and takes, among the next
 * {@link #WINDOW} × height rows by length, the one that lengthens its runs least. On random 90%-pruned matrices this
 * stores 1.1-1.6× fewer slots than rows in their order (256×64 in 32-row slices: 2624 against 3776).
 *
 * <p>Chunks may also be four vectors wide ({@link #of(float[], int, int, int, int)}): a slot then picks from four
 * registers (two permutes and a blend), which costs more per slot but pads less (per chunk) and runs half as many
 * runs; the product timing decides (on a 256×64 layer at 90%: 118 slot-vectors against 156).
 *
 * <p>Slot j of the run of slice s, chunk c, lane l: value {@code values[runStart[s · chunks + c] + j · height + l]}
 * at column {@code c · chunkWidth() + offsets[...]}; padding has value 0 at the chunk's first column. Lane l of slice
 * s is row {@code rowOf[s · height + l]}; padding lanes past the last row get the distinct indices rows, rows+1, ...
 * {@code offsets} has {@link #OFFSET_SLACK} bytes to spare at its end, so a vector of offsets may always be read with
 * an 8-byte load.
 */
public final class ChunkedSellMatrix {
    /** Bytes readable past the last slot's offset. */
    public static final int OFFSET_SLACK = 8;
    /** Rows (in slice heights) a slice picks its next row from; grouping costs rows × WINDOW × height × chunks. */
    static final int WINDOW = 8;
    private final int rows;
    private final int cols;
    private final int lanes;
    private final int height;
    private final int chunkWidth;
    private final int nonzeros;
    private final int[] rowOf;
    private final int[] runStart;
    private final byte[] offsets;
    private final float[] values;

    private ChunkedSellMatrix(int rows, int cols, int lanes, int chunkWidth, int nonzeros, int[] rowOf, int[] runStart,
                              byte[] offsets, float[] values) {
        this.rows = rows;
        this.cols = cols;
        this.lanes = lanes;
        this.height = 2 * lanes;
        this.chunkWidth = chunkWidth;
        this.nonzeros = nonzeros;
        this.rowOf = rowOf;
        this.runStart = runStart;
        this.offsets = offsets;
        this.values = values;
    }

    /** The nonzeros of a dense row-major matrix, for vectors of {@code lanes} floats (a power of two ≤ 16). */
    public static ChunkedSellMatrix of(float[] dense, int rows, int cols, int lanes) {
        return of(dense, rows, cols, lanes, 2);
    }

    /** The same with chunks of {@code vectorsPerChunk} (2 or 4) vectors. */
    public static ChunkedSellMatrix of(float[] dense, int rows, int cols, int lanes, int vectorsPerChunk) {
        DenseMatrices.check(dense, rows, cols);
        DenseMatrices.checkHeight(lanes);
        if (vectorsPerChunk != 2 && vectorsPerChunk != 4) {
            throw new IllegalArgumentException("chunks of " + vectorsPerChunk + " vectors: 2 or 4");
        }
        int height = 2 * lanes;
        int chunk = vectorsPerChunk * lanes;
        int chunks = chunksOf(cols, chunk);
        int[] counts = new int[Math.multiplyExact(rows, chunks)];
        int total = 0;
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < chunks; c++) {
                counts[r * chunks + c] = DenseMatrices.nonzeros(dense, r * cols, c * chunk,
                    Math.min(cols, (c + 1) * chunk));
                total += counts[r * chunks + c];
            }
        }
        int slices = (rows + height - 1) / height;
        int[] rowOf = group(counts, rows, chunks, height, slices);
        int[] start = new int[slices * chunks + 1];
        for (int s = 0; s < slices; s++) {
            for (int c = 0; c < chunks; c++) {
                int width = 0;
                for (int i = s * height; i < Math.min(rows, (s + 1) * height); i++) {
                    width = Math.max(width, counts[rowOf[i] * chunks + c]);
                }
                int run = s * chunks + c;
                start[run + 1] = Math.addExact(start[run], Math.multiplyExact(width, height));
            }
        }
        int slots = start[slices * chunks];
        byte[] offsets = new byte[Math.addExact(slots, OFFSET_SLACK)];
        float[] values = new float[slots];
        for (int i = 0; i < rows; i++) {
            int base = rowOf[i] * cols;
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
        return new ChunkedSellMatrix(rows, cols, lanes, chunk, total, rowOf, start, offsets, values);
    }

    /** The row of each lane: slices grouped as the class comment says, padding lanes numbered from rows on. */
    private static int[] group(int[] counts, int rows, int chunks, int height, int slices) {
        int[] length = new int[rows];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < chunks; c++) {
                length[r] += counts[r * chunks + c];
            }
        }
        int[] byLength = DenseMatrices.byNonzerosDescending(length);
        boolean[] taken = new boolean[rows];
        int[] rowOf = new int[slices * height];
        int[] widths = new int[chunks];
        int head = 0;
        int n = 0;
        while (n < rows) {
            while (taken[byLength[head]]) {
                head++;
            }
            int seed = byLength[head];
            taken[seed] = true;
            rowOf[n++] = seed;
            System.arraycopy(counts, seed * chunks, widths, 0, chunks);
            for (int lane = 1; lane < height && n < rows; lane++) {
                int best = -1;
                long bestCost = Long.MAX_VALUE;
                for (int i = head, seen = 0; i < rows && seen < WINDOW * height; i++) {
                    int r = byLength[i];
                    if (taken[r]) {
                        continue;
                    }
                    seen++;
                    int longer = 0;
                    for (int c = 0; c < chunks; c++) {
                        longer += Math.max(0, counts[r * chunks + c] - widths[c]);
                    }
                    // fewest added slots first; then the longer row, so short rows are left to fill later slices
                    long cost = ((long) longer << 32) - length[r];
                    if (cost < bestCost) {
                        bestCost = cost;
                        best = r;
                    }
                }
                taken[best] = true;
                rowOf[n++] = best;
                for (int c = 0; c < chunks; c++) {
                    widths[c] = Math.max(widths[c], counts[best * chunks + c]);
                }
            }
        }
        for (int i = rows; i < rowOf.length; i++) {
            rowOf[i] = i;
        }
        return rowOf;
    }

    private static int chunksOf(int cols, int chunkWidth) {
        return (cols + chunkWidth - 1) / chunkWidth;
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    /** The vector length the matrix was built for. */
    public int lanes() {
        return lanes;
    }

    /** Rows per slice: two vectors. */
    public int height() {
        return height;
    }

    /** Columns per chunk (two or four vectors), the inputs one slot can pick from. */
    public int chunkWidth() {
        return chunkWidth;
    }

    public int slices() {
        return rowOf.length / height;
    }

    public int chunks() {
        return chunksOf(cols, chunkWidth);
    }

    public int nonzeros() {
        return nonzeros;
    }

    public int[] rowOf() {
        return rowOf;
    }

    /** Where the run of slice s, chunk c starts: {@code runStart()[s · chunks() + c]}; an extra entry ends the last. */
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
        return 4L * (rowOf.length + runStart.length + values.length) + offsets.length;
    }
}
