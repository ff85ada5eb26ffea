package dev.sparq.backend.cpu.simd;

/**
 * A constant operand (weights) packed once into panels of a fixed width, block by block of {@link Gemm#KC} along K,
 * so every GEMM call reads it sequentially with no packing cost. Layout: for the k block starting at k0 (size kb),
 * panel p starts at {@code k0 * paddedRows + p * width * kb}. Or panel-major ({@code panelMajor}): panel p holds all
 * of K at {@code p * width * depth}, and a k block of it is a slice: for weights read panel by panel from memory
 * (fully connected layers, whose GEMM with one row of A runs each panel through all of K at once, {@link
 * #depthBlock}; pointwise layers taken weight panel by weight panel, {@link ChannelsLastGemm}).
 */
final class PackedMatrix implements PanelSource {
    private final int rows;
    private final int depth;
    private final int width;
    private final int paddedRows;
    private final float[] data;
    private final int offset;
    /** Each panel whole along K, instead of k block by k block. */
    private final boolean panelMajor;

    /** Element (r, k) of the logical matrix X[rows][depth]. */
    @FunctionalInterface
    interface Element {
        float at(int r, int k);
    }

    PackedMatrix(int rows, int depth, int width, Element x) {
        this(rows, depth, width, x, false);
    }

    /** Packed k block by k block, or panel by panel ({@code panelMajor}). */
    PackedMatrix(int rows, int depth, int width, Element x, boolean panelMajor) {
        this.rows = rows;
        this.depth = depth;
        this.width = width;
        this.paddedRows = (rows + width - 1) / width * width;
        this.data = new float[Math.multiplyExact(paddedRows, depth)];
        this.offset = 0;
        this.panelMajor = panelMajor;
        if (panelMajor) {
            for (int r = 0; r < paddedRows; r++) {
                int base = r / width * width * depth + r % width;
                for (int k = 0; k < depth; k++) {
                    data[base + k * width] = r < rows ? x.at(r, k) : 0f;
                }
            }
            return;
        }
        for (int k0 = 0; k0 < depth; k0 += Gemm.KC) {
            int kb = Math.min(Gemm.KC, depth - k0);
            for (int p = 0; p < paddedRows / width; p++) {
                int base = k0 * paddedRows + p * width * kb;
                for (int k = 0; k < kb; k++) {
                    for (int lane = 0; lane < width; lane++) {
                        int r = p * width + lane;
                        data[base + k * width + lane] = r < rows ? x.at(r, k0 + k) : 0f;
                    }
                }
            }
        }
    }

    /**
     * A view of panels someone else wrote into {@code data} at {@code offset}, in this class's layout (see
     * {@link #index}); for operands produced already packed, such as Winograd-transformed inputs.
     */
    PackedMatrix(float[] data, int offset, int rows, int depth, int width) {
        this.rows = rows;
        this.depth = depth;
        this.width = width;
        this.paddedRows = (rows + width - 1) / width * width;
        this.data = data;
        this.offset = offset;
        this.panelMajor = false;
    }

    /** Floats a packed matrix of this shape occupies. */
    static int size(int rows, int depth, int width) {
        return Math.multiplyExact((rows + width - 1) / width * width, depth);
    }

    /** Where element (row r, depth k) lives in the layout, relative to the matrix's start. */
    static int index(int r, int k, int rows, int depth, int width) {
        int paddedRows = (rows + width - 1) / width * width;
        int k0 = k / Gemm.KC * Gemm.KC;
        int kb = Math.min(Gemm.KC, depth - k0);
        return k0 * paddedRows + (r / width) * width * kb + (k - k0) * width + r % width;
    }

    @Override
    public int rows() {
        return rows;
    }

    @Override
    public int depth() {
        return depth;
    }

    int width() {
        return width;
    }

    long bytes() {
        return (long) data.length * Float.BYTES;
    }

    /** Reads every cache line of the packed matrix ({@link CacheWarmer}). */
    void warm() {
        CacheWarmer.lines(data, offset, offset + paddedRows * depth);
    }

    /** Reads every cache line of panel {@code p} (rows p·width on), in every k block. */
    void warmPanel(int p) {
        if (panelMajor) {
            CacheWarmer.lines(data, offset + p * width * depth, offset + (p + 1) * width * depth);
            return;
        }
        for (int k0 = 0; k0 < depth; k0 += Gemm.KC) {
            int kb = Math.min(Gemm.KC, depth - k0);
            int from = offset + k0 * paddedRows + p * width * kb;
            CacheWarmer.lines(data, from, from + width * kb);
        }
    }

    @Override
    public Panels panels(int k0, int kb, int row0, int count, int w, Scratch scratch) {
        if (w != width) {
            throw new IllegalStateException("packed for width " + width + ", asked for " + w);
        }
        // one allocation site, so that C2 can still replace the record by its fields (with one per layout, every
        // call allocated: 53 KB a MobileNetV2 run)
        int base = panelMajor ? offset + row0 * depth + k0 * width : offset + k0 * paddedRows + row0 * kb;
        return new Panels(data, base, panelMajor ? width * depth : width * kb);
    }

    /**
     * All of K for one row of A on panel-major weights: one FMA chain per output over the whole panel, each panel
     * read as one stream. A batch-1 classifier's weights come from memory, and k block by k block MobileNetV2's
     * 1280 × 1000 read 9% slower cold (ResNet-18's 512 × 1000, 15%). Two or more rows keep the k blocks, which they
     * share; whole, each row would stream all the weights again.
     */
    @Override
    public int depthBlock(int aRows) {
        return panelMajor && aRows == 1 ? Math.max(1, depth) : Gemm.KC;
    }
}
