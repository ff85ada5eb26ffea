package dev.sparq.sparse;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** Every format holds exactly the matrix it was built from, on awkward shapes and slice heights. */
class SparseFormatsTest {
    private final Random rnd = new Random(7);

    private float[] pruned(int rows, int cols, double sparsity) {
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) {
            w[i] = rnd.nextDouble() < sparsity ? 0f : (float) rnd.nextGaussian();
        }
        return w;
    }

    /** Keeps the 2 largest magnitudes of every aligned group of 4 along each row. */
    static float[] twoOfFour(float[] dense) {
        float[] w = dense.clone();
        for (int g = 0; g < w.length; g += 4) {
            for (int drop = 0; drop < 2; drop++) {
                int min = -1;
                for (int i = g; i < g + 4; i++) {
                    if (w[i] != 0 && (min < 0 || Math.abs(w[i]) < Math.abs(w[min]))) {
                        min = i;
                    }
                }
                if (min >= 0 && count(w, g) > 2) {
                    w[min] = 0;
                }
            }
        }
        return w;
    }

    private static int count(float[] w, int g) {
        int n = 0;
        for (int i = g; i < g + 4; i++) {
            n += w[i] != 0 ? 1 : 0;
        }
        return n;
    }

    private static float[] fromCsr(CsrMatrix m) {
        float[] d = new float[m.rows() * m.cols()];
        for (int r = 0; r < m.rows(); r++) {
            for (int i = m.rowStart()[r]; i < m.rowStart()[r + 1]; i++) {
                d[r * m.cols() + m.colIndex()[i]] += m.values()[i];
            }
        }
        return d;
    }

    /** Also checks each slot stays in its chunk and each lane's columns rise along its runs. */
    private static float[] fromChunkedSell(ChunkedSellMatrix m) {
        float[] d = new float[m.rows() * m.cols()];
        int h = m.height();
        int chunks = m.chunks();
        assertEquals(m.values().length + ChunkedSellMatrix.OFFSET_SLACK, m.offsets().length);
        for (int s = 0; s < m.slices(); s++) {
            for (int l = 0; l < h; l++) {
                int row = m.rowOf()[s * h + l];
                int last = -1;
                for (int c = 0; c < chunks; c++) {
                    int run = s * chunks + c;
                    for (int at = m.runStart()[run] + l; at < m.runStart()[run + 1]; at += h) {
                        int off = m.offsets()[at];
                        assertTrue(off >= 0 && off < m.chunkWidth(), "offset " + off + " outside its chunk");
                        float v = m.values()[at];
                        if (v == 0) {
                            assertEquals(0, off, "padding points at the chunk's first column");
                            continue;
                        }
                        int col = c * m.chunkWidth() + off;
                        assertTrue(row < m.rows() && col > last && col < m.cols(), "row " + row + " column " + col);
                        last = col;
                        d[row * m.cols() + col] += v;
                    }
                }
            }
        }
        return d;
    }

    private static float[] fromSell(SellMatrix m) {
        float[] d = new float[m.rows() * m.cols()];
        int h = m.height();
        for (int s = 0; s < m.slices(); s++) {
            for (int at = m.sliceStart()[s]; at < m.sliceStart()[s + 1]; at++) {
                int row = m.rowOf()[s * h + (at - m.sliceStart()[s]) % h];
                float v = m.values()[at];
                if (row >= m.rows()) {
                    assertEquals(0f, v, "padding lane holds a value");
                } else {
                    d[row * m.cols() + m.colIndex()[at]] += v;
                }
            }
        }
        return d;
    }

    private static float[] fromBlocked(BlockedMatrix m) {
        float[] d = new float[m.rows() * m.cols()];
        int h = m.height();
        for (int b = 0; b < m.blockRows(); b++) {
            for (int i = m.blockStart()[b]; i < m.blockStart()[b + 1]; i++) {
                for (int l = 0; l < h; l++) {
                    int row = b * h + l;
                    if (row < m.rows()) {
                        d[row * m.cols() + m.blockCol()[i]] += m.values()[i * h + l];
                    } else {
                        assertEquals(0f, m.values()[i * h + l], "row past the end holds a value");
                    }
                }
            }
        }
        return d;
    }

    private static float[] fromTwoFour(TwoFourMatrix m) {
        float[] d = new float[m.rows() * m.cols()];
        int h = m.height();
        int half = m.cols() / 2;
        for (int r = 0; r < m.rows(); r++) {
            for (int j = 0; j < half; j++) {
                int q = ((r / h) * half + j) * h + r % h;
                int c = m.column(q, j);
                assertEquals(j / 2, c / 4, "value " + j + " of row " + r + " left its group");
                d[r * m.cols() + c] += m.values()[q];
            }
        }
        return d;
    }

    @Test
    void everyFormatRoundTrips() {
        int[][] shapes = {{1, 1}, {1, 4}, {3, 5}, {7, 13}, {16, 16}, {17, 64}, {33, 100}, {129, 8}};
        for (int[] sh : shapes) {
            for (double sparsity : new double[] {0, 0.5, 0.9, 1}) {
                float[] w = pruned(sh[0], sh[1], sparsity);
                String what = sh[0] + "x" + sh[1] + " at " + sparsity;
                CsrMatrix csr = CsrMatrix.of(w, sh[0], sh[1]);
                assertArrayEquals(w, fromCsr(csr), "CSR " + what);
                for (int h : new int[] {1, 4, 8, 16}) {
                    SellMatrix sell = SellMatrix.of(w, sh[0], sh[1], h);
                    assertArrayEquals(w, fromSell(sell), "SELL-" + h + " " + what);
                    assertEquals(csr.nonzeros(), sell.nonzeros());
                    ChunkedSellMatrix chunked = ChunkedSellMatrix.of(w, sh[0], sh[1], h);
                    assertArrayEquals(w, fromChunkedSell(chunked), "chunked SELL-" + h + " " + what);
                    ChunkedSellMatrix wide = ChunkedSellMatrix.of(w, sh[0], sh[1], h, 4);
                    assertEquals(4 * h, wide.chunkWidth());
                    assertArrayEquals(w, fromChunkedSell(wide), "wide chunked SELL-" + h + " " + what);
                    assertEquals(csr.nonzeros(), chunked.nonzeros());
                    BlockedMatrix blocked = BlockedMatrix.of(w, sh[0], sh[1], h);
                    assertArrayEquals(w, fromBlocked(blocked), "blocked " + h + " " + what);
                    assertEquals(csr.nonzeros(), blocked.nonzeros());
                    if (sh[1] % 4 == 0) {
                        float[] w24 = twoOfFour(w);
                        TwoFourMatrix tf = TwoFourMatrix.of(w24, sh[0], sh[1], h);
                        assertArrayEquals(w24, fromTwoFour(tf), "2:4 " + h + " " + what);
                    }
                }
            }
        }
    }

    @Test
    void sortedSlicesKeepThePaddingSmall() {
        float[] w = pruned(1000, 512, 0.9);
        SellMatrix sell = SellMatrix.of(w, 1000, 512, 16);
        assertTrue(sell.paddingRatio() < 1.1, "padding ratio " + sell.paddingRatio());
    }

    @Test
    void groupedSlicesShortenTheChunkRuns() {
        // rows in their order store ~2.2 slots per nonzero here (each chunk's run is as long as its longest row)
        float[] w = pruned(256, 64, 0.9);
        ChunkedSellMatrix m = ChunkedSellMatrix.of(w, 256, 64, 16);
        assertTrue(m.paddingRatio() < 1.75, "padding ratio " + m.paddingRatio());
        // one chunk of four vectors per row here: grouping by length alone pads little (~1.15)
        ChunkedSellMatrix wide = ChunkedSellMatrix.of(w, 256, 64, 16, 4);
        assertEquals(1, wide.chunks());
        assertTrue(wide.paddingRatio() < 1.25, "wide padding ratio " + wide.paddingRatio());
        int[] lanes = m.rowOf().clone();
        java.util.Arrays.sort(lanes);
        for (int i = 0; i < lanes.length; i++) {
            assertEquals(i, lanes[i], "every row (and padding lane) once");
        }
    }

    @Test
    void blocksOfScatteredZerosStayAndWholeZeroBlocksGo() {
        float[] w = new float[32 * 8];
        w[3 * 8 + 5] = 1f; // one value: one block of 16 rows at column 5
        w[20 * 8 + 5] = 2f;
        BlockedMatrix m = BlockedMatrix.of(w, 32, 8, 16);
        assertArrayEquals(new int[] {0, 1, 2}, m.blockStart());
        assertArrayEquals(new int[] {5, 5}, m.blockCol());
        assertEquals(16.0, m.paddingRatio());
    }

    @Test
    void twoFourNeedsThePattern() {
        float[] w = {1, 2, 3, 0, 0, 0, 0, 0};
        assertFalse(TwoFourMatrix.fits(w, 1, 8));
        assertThrows(IllegalArgumentException.class, () -> TwoFourMatrix.of(w, 1, 8, 4));
        assertFalse(TwoFourMatrix.fits(new float[6], 1, 6), "columns not a multiple of 4");
        assertTrue(TwoFourMatrix.fits(new float[] {0, 1, 0, 2, 3, 0, 0, 0}, 1, 8));
        TwoFourMatrix m = TwoFourMatrix.of(new float[] {0, 1, 0, 2, 3, 0, 0, 0}, 1, 8, 4);
        assertEquals(3, m.nonzeros());
        assertEquals(4 * 4, m.values().length, "one slice of 4 rows, 4 values each");
    }

    @Test
    void badShapesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> CsrMatrix.of(new float[5], 2, 3));
        assertThrows(IllegalArgumentException.class, () -> SellMatrix.of(new float[6], 2, 3, 3));
        assertThrows(IllegalArgumentException.class, () -> ChunkedSellMatrix.of(new float[6], 2, 3, 32));
        assertThrows(IllegalArgumentException.class, () -> ChunkedSellMatrix.of(new float[5], 2, 3, 4));
        assertThrows(IllegalArgumentException.class, () -> ChunkedSellMatrix.of(new float[6], 2, 3, 4, 3));
        assertThrows(IllegalArgumentException.class, () -> BlockedMatrix.of(new float[6], 2, 3, 32));
    }
}
