package dev.sparq.backend.cpu.simd;

/**
 * Rows split into {@code count} panels of {@code min} to {@code max} rows: the first {@code extra / (max - min)}
 * take {@code max}, the next takes what is left of {@code extra}, the rest {@code min}.
 */
record RowPanels(int count, int min, int max, int extra) {

    /** {@code count} panels of {@code rows} rows each. */
    static RowPanels uniform(int count, int rows) {
        return new RowPanels(count, rows, rows, 0);
    }

    /**
     * {@code rows} in panels of 12 to 14 ({@link PanamaMicroKernel#run12}, {@link PanamaMicroKernel#run14}), with
     * no tail: 196 pixels as 14 panels of 14, 49 as 13 + 12 + 12 + 12. A tail of 1-4 rows costs a whole 12-row
     * panel on the packed path (4-7% of a 14×14 or 7×7 pointwise layer) and one more pass over B. Null where no
     * count of such panels sums to {@code rows} (15-23, 27-35, ...).
     */
    static RowPanels wide(int rows) {
        int min = ChannelsLastGemm.MR;
        int max = PanamaMicroKernel.WIDE_ROWS;
        int count = (rows + max - 1) / max;
        return count == 0 || count * min > rows ? null : new RowPanels(count, min, max, rows - count * min);
    }

    /** First row of panel {@code p}. */
    int start(int p) {
        return min * p + Math.min(extra, (max - min) * p);
    }

    /** Rows in panel {@code p}. */
    int size(int p) {
        return min + Math.min(max - min, Math.max(0, extra - (max - min) * p));
    }

    /** Rows in all panels. */
    int rows() {
        return count * min + extra;
    }
}
