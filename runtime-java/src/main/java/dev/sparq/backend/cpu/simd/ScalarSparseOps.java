package dev.sparq.backend.cpu.simd;

import dev.sparq.sparse.BlockedMatrix;
import dev.sparq.sparse.ChunkedSellMatrix;
import dev.sparq.sparse.CsrMatrix;
import dev.sparq.sparse.SellMatrix;
import dev.sparq.sparse.TwoFourMatrix;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** {@link SparseOps} in plain Java, for JVMs without the Vector API; same sums in the same order. */
final class ScalarSparseOps implements SparseOps {
    static final int LANES = 4;

    @Override
    public int lanes() {
        return LANES;
    }

    @Override
    public void timesVector(CsrMatrix w, int row0, int row1, float[] x, int xOff, float[] y, int yOff) {
        int[] start = w.rowStart();
        int[] col = w.colIndex();
        float[] val = w.values();
        for (int r = row0; r < row1; r++) {
            float s = 0;
            for (int i = start[r]; i < start[r + 1]; i++) {
                s = Math.fma(val[i], x[xOff + col[i]], s);
            }
            y[yOff + r] = s;
        }
    }

    @Override
    public void timesVector(SellMatrix w, int s0, int s1, float[] x, int xOff, float[] y, int yOff) {
        int h = w.height();
        int[] start = w.sliceStart();
        int[] col = w.colIndex();
        float[] val = w.values();
        for (int s = s0; s < s1; s++) {
            int width = (start[s + 1] - start[s]) / h;
            for (int l = 0; l < h; l++) {
                float acc = 0;
                for (int j = 0, at = start[s] + l; j < width; j++, at += h) {
                    acc = Math.fma(val[at], x[xOff + col[at]], acc);
                }
                y[yOff + s * h + l] = acc;
            }
        }
    }

    @Override
    public void timesVector(ChunkedSellMatrix w, int s0, int s1, MemorySegment x, long xIndex, float[] y, int yOff) {
        int h = w.height(); // rows per slice, the stride between a lane's slots
        int chunks = w.chunks();
        int[] start = w.runStart();
        byte[] off = w.offsets();
        float[] val = w.values();
        for (int s = s0; s < s1; s++) {
            for (int l = 0; l < h; l++) {
                float acc = 0;
                for (int c = 0; c < chunks; c++) {
                    long base = xIndex + (long) w.chunkWidth() * c;
                    for (int at = start[s * chunks + c] + l; at < start[s * chunks + c + 1]; at += h) {
                        acc = Math.fma(val[at], x.getAtIndex(ValueLayout.JAVA_FLOAT, base + off[at]), acc);
                    }
                }
                y[yOff + s * h + l] = acc;
            }
        }
    }

    @Override
    public void timesVector(BlockedMatrix w, int b0, int b1, float[] x, int xOff, float[] y, int yOff) {
        int h = w.height();
        int[] start = w.blockStart();
        int[] col = w.blockCol();
        float[] val = w.values();
        for (int b = b0; b < b1; b++) {
            for (int l = 0; l < h; l++) {
                float acc = 0;
                for (int i = start[b]; i < start[b + 1]; i++) {
                    acc = Math.fma(val[i * h + l], x[xOff + col[i]], acc);
                }
                y[yOff + b * h + l] = acc;
            }
        }
    }

    @Override
    public void timesVector(TwoFourMatrix w, int s0, int s1, float[] x, int xOff, float[] y, int yOff) {
        int h = w.height();
        int half = w.cols() / 2;
        float[] val = w.values();
        for (int s = s0; s < s1; s++) {
            for (int l = 0; l < h; l++) {
                float acc = 0;
                for (int j = 0; j < half; j++) {
                    int q = (s * half + j) * h + l;
                    acc = Math.fma(val[q], x[xOff + w.column(q, j)], acc);
                }
                y[yOff + s * h + l] = acc;
            }
        }
    }

    @Override
    public void timesMatrix(CsrMatrix w, int row0, int row1, MemorySegment x, long xIndex, long ldx, int pixels,
                            MemorySegment y, long yIndex, long ldy, float[] bias, float min, float max) {
        int[] start = w.rowStart();
        int[] col = w.colIndex();
        float[] val = w.values();
        float[] acc = new float[pixels];
        for (int r = row0; r < row1; r++) {
            java.util.Arrays.fill(acc, 0f);
            for (int i = start[r]; i < start[r + 1]; i++) {
                axpy(acc, val[i], x, xIndex + col[i] * ldx, pixels);
            }
            store(acc, 0, pixels, bias == null ? 0 : bias[r], min, max, y, yIndex + r * ldy);
        }
    }

    @Override
    public void timesMatrix(BlockedMatrix w, int b0, int b1, MemorySegment x, long xIndex, long ldx, int pixels,
                            MemorySegment y, long yIndex, long ldy, float[] bias, float min, float max) {
        int h = w.height();
        int[] start = w.blockStart();
        int[] col = w.blockCol();
        float[] val = w.values();
        float[] acc = new float[pixels];
        for (int b = b0; b < b1; b++) {
            for (int l = 0; l < h && b * h + l < w.rows(); l++) {
                int r = b * h + l;
                java.util.Arrays.fill(acc, 0f);
                for (int i = start[b]; i < start[b + 1]; i++) {
                    axpy(acc, val[i * h + l], x, xIndex + col[i] * ldx, pixels);
                }
                store(acc, 0, pixels, bias == null ? 0 : bias[r], min, max, y, yIndex + r * ldy);
            }
        }
    }

    @Override
    public void timesMatrix(TwoFourMatrix w, int row0, int row1, MemorySegment x, long xIndex, long ldx, int pixels,
                            MemorySegment y, long yIndex, long ldy, float[] bias, float min, float max) {
        int h = w.height();
        int half = w.cols() / 2;
        float[] val = w.values();
        float[] acc = new float[pixels];
        for (int r = row0; r < row1; r++) {
            java.util.Arrays.fill(acc, 0f);
            for (int j = 0; j < half; j++) {
                int q = ((r / h) * half + j) * h + r % h;
                axpy(acc, val[q], x, xIndex + w.column(q, j) * ldx, pixels);
            }
            store(acc, 0, pixels, bias == null ? 0 : bias[r], min, max, y, yIndex + r * ldy);
        }
    }

    private static void axpy(float[] acc, float a, MemorySegment x, long xIndex, int n) {
        for (int p = 0; p < n; p++) {
            acc[p] = Math.fma(a, x.getAtIndex(ValueLayout.JAVA_FLOAT, xIndex + p), acc[p]);
        }
    }

    private static void store(float[] acc, int accOff, int n, float bias, float min, float max, MemorySegment out,
                              long outIndex) {
        for (int i = 0; i < n; i++) {
            out.setAtIndex(ValueLayout.JAVA_FLOAT, outIndex + i, Math.min(Math.max(acc[accOff + i] + bias, min), max));
        }
    }

    @Override
    public void store(float[] acc, int accOff, int n, float[] bias, int biasOff, float min, float max,
                      MemorySegment out, long outIndex) {
        for (int i = 0; i < n; i++) {
            out.setAtIndex(ValueLayout.JAVA_FLOAT, outIndex + i, finish(acc[accOff + i], bias, biasOff + i, min, max));
        }
    }

    @Override
    public void store(float[] acc, int accOff, int[] at, int n, float[] bias, float min, float max, MemorySegment out,
                      long outIndex) {
        for (int i = 0; i < n; i++) {
            out.setAtIndex(ValueLayout.JAVA_FLOAT, outIndex + i, finish(acc[accOff + at[i]], bias, i, min, max));
        }
    }

    /** clamp(acc + bias[i], min, max), the epilogue every sparse product ends with; bias may be null. */
    private static float finish(float acc, float[] bias, int i, float min, float max) {
        return Math.min(Math.max(bias == null ? acc : acc + bias[i], min), max);
    }

    @Override
    public void evenElements(MemorySegment x, long xIndex, int n, MemorySegment dst, long dstIndex) {
        for (int i = 0; i < n; i++) {
            dst.setAtIndex(ValueLayout.JAVA_FLOAT, dstIndex + i, x.getAtIndex(ValueLayout.JAVA_FLOAT, xIndex + 2L * i));
        }
    }
}
