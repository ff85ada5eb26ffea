package dev.sparq.backend.cpu.simd;

import dev.sparq.sparse.BlockedMatrix;
import dev.sparq.sparse.CsrMatrix;
import dev.sparq.sparse.SellMatrix;
import dev.sparq.sparse.TwoFourMatrix;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link SparseOps} on the Vector API. Matrix-vector products put rows on the lanes (a slice or block of V rows
 * accumulates in one vector, so no horizontal sums); products with a dense matrix put pixels on the lanes, as
 * XNNPACK's SpMM does: each nonzero is broadcast and multiplies a run of 4 vectors of its input row.
 */
final class PanamaSparseOps implements SparseOps {
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    // Static final: C2 turns Vector API calls into instructions only when the species is a constant.
    private static final VectorSpecies<Float> S = PanamaSpecies.floats(SimdConfig.BITS == 0 ? 128 : SimdConfig.BITS);
    private static final VectorSpecies<Integer> IS = VectorSpecies.of(int.class, S.vectorShape());
    private static final int V = S.length();
    /** Lane l shifts a slot's packed 2-bit indices right by 2l. */
    private static final IntVector INDEX_SHIFTS = IntVector.zero(IS).addIndex(2);

    @Override
    public int lanes() {
        return V;
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
        check(w.height());
        int[] start = w.sliceStart();
        int[] col = w.colIndex();
        float[] val = w.values();
        int[] rowOf = w.rowOf();
        for (int s = s0; s < s1; s++) {
            FloatVector acc = FloatVector.zero(S);
            for (int at = start[s]; at < start[s + 1]; at += V) {
                acc = FloatVector.fromArray(S, val, at).fma(FloatVector.fromArray(S, x, xOff, col, at), acc);
            }
            acc.intoArray(y, yOff, rowOf, s * V);
        }
    }

    @Override
    public void timesVector(BlockedMatrix w, int b0, int b1, float[] x, int xOff, float[] y, int yOff) {
        check(w.height());
        int[] start = w.blockStart();
        int[] col = w.blockCol();
        float[] val = w.values();
        for (int b = b0; b < b1; b++) {
            FloatVector acc = FloatVector.zero(S);
            for (int i = start[b]; i < start[b + 1]; i++) {
                acc = FloatVector.fromArray(S, val, i * V).fma(FloatVector.broadcast(S, x[xOff + col[i]]), acc);
            }
            acc.intoArray(y, yOff + b * V);
        }
    }

    @Override
    public void timesVector(TwoFourMatrix w, int s0, int s1, float[] x, int xOff, float[] y, int yOff) {
        check(w.height());
        int half = w.cols() / 2;
        float[] val = w.values();
        int[] meta = w.meta();
        int s = s0;
        // two slices at a time: two independent FMA chains hide the latency, each still summed in column order
        for (; s + 1 < s1; s += 2) {
            FloatVector a = FloatVector.zero(S);
            FloatVector b = FloatVector.zero(S);
            int qa = s * half * V;
            int qb = qa + half * V;
            for (int j = 0; j < half; j++, qa += V, qb += V) {
                FloatVector group = FloatVector.fromArray(S, x, xOff + 2 * (j & ~1));
                a = FloatVector.fromArray(S, val, qa).fma(select(meta, qa, group), a);
                b = FloatVector.fromArray(S, val, qb).fma(select(meta, qb, group), b);
            }
            a.intoArray(y, yOff + s * V);
            b.intoArray(y, yOff + (s + 1) * V);
        }
        for (; s < s1; s++) {
            FloatVector a = FloatVector.zero(S);
            int q = s * half * V;
            for (int j = 0; j < half; j++, q += V) {
                FloatVector group = FloatVector.fromArray(S, x, xOff + 2 * (j & ~1));
                a = FloatVector.fromArray(S, val, q).fma(select(meta, q, group), a);
            }
            a.intoArray(y, yOff + s * V);
        }
    }

    /** Lane l gets lane idx(q + l) (0..3) of {@code group}: the inputs its value multiplies. */
    private static FloatVector select(int[] meta, int q, FloatVector group) {
        int bits = meta[q >>> 4] >>> (2 * (q & 15));
        FloatVector idx = (FloatVector) IntVector.broadcast(IS, bits).lanewise(VectorOperators.LSHR, INDEX_SHIFTS)
            .and(3).convert(VectorOperators.I2F, 0);
        return idx.selectFrom(group);
    }

    @Override
    public void timesMatrix(CsrMatrix w, int row0, int row1, MemorySegment x, long xIndex, long ldx, int pixels,
                            MemorySegment y, long yIndex, long ldy, float[] bias, float min, float max) {
        int[] start = w.rowStart();
        int[] col = w.colIndex();
        float[] val = w.values();
        int p = 0;
        for (; p + 4 * V <= pixels; p += 4 * V) {
            for (int r = row0; r < row1; r++) {
                FloatVector a0 = FloatVector.zero(S);
                FloatVector a1 = a0;
                FloatVector a2 = a0;
                FloatVector a3 = a0;
                for (int i = start[r]; i < start[r + 1]; i++) {
                    FloatVector wv = FloatVector.broadcast(S, val[i]);
                    long off = (xIndex + col[i] * ldx + p) * Float.BYTES;
                    a0 = wv.fma(FloatVector.fromMemorySegment(S, x, off, ORDER), a0);
                    a1 = wv.fma(FloatVector.fromMemorySegment(S, x, off + 4L * V, ORDER), a1);
                    a2 = wv.fma(FloatVector.fromMemorySegment(S, x, off + 8L * V, ORDER), a2);
                    a3 = wv.fma(FloatVector.fromMemorySegment(S, x, off + 12L * V, ORDER), a3);
                }
                store4(a0, a1, a2, a3, bias == null ? 0f : bias[r], min, max, y, (yIndex + r * ldy + p) * Float.BYTES);
            }
        }
        for (; p < pixels; p += V) {
            VectorMask<Float> m = S.indexInRange(p, pixels);
            for (int r = row0; r < row1; r++) {
                FloatVector a = FloatVector.zero(S);
                for (int i = start[r]; i < start[r + 1]; i++) {
                    long off = (xIndex + col[i] * ldx + p) * Float.BYTES;
                    a = FloatVector.broadcast(S, val[i]).fma(FloatVector.fromMemorySegment(S, x, off, ORDER, m), a);
                }
                finish(a, bias == null ? 0f : bias[r], min, max)
                    .intoMemorySegment(y, (yIndex + r * ldy + p) * Float.BYTES, ORDER, m);
            }
        }
    }

    @Override
    public void timesMatrix(BlockedMatrix w, int b0, int b1, MemorySegment x, long xIndex, long ldx, int pixels,
                            MemorySegment y, long yIndex, long ldy, float[] bias, float min, float max) {
        check(w.height());
        // 4 rows of a block row at a time, 4 vectors of pixels: 16 accumulators fed by 4 loads and 4 broadcasts
        for (int b = b0; b < b1; b++) {
            for (int q = 0; q < V && b * V + q < w.rows(); q += 4) {
                fourRows(w, b, q, x, xIndex, ldx, pixels, y, yIndex, ldy, bias, min, max);
            }
        }
    }

    private static void fourRows(BlockedMatrix w, int b, int q, MemorySegment x, long xIndex, long ldx, int pixels,
                                 MemorySegment y, long yIndex, long ldy, float[] bias, float min, float max) {
        int[] start = w.blockStart();
        int[] col = w.blockCol();
        float[] val = w.values();
        int r0 = b * V + q;
        int rows = Math.min(4, w.rows() - r0);
        int p = 0;
        for (; p + 4 * V <= pixels; p += 4 * V) {
            FloatVector z = FloatVector.zero(S);
            FloatVector a00 = z, a01 = z, a02 = z, a03 = z, a10 = z, a11 = z, a12 = z, a13 = z;
            FloatVector a20 = z, a21 = z, a22 = z, a23 = z, a30 = z, a31 = z, a32 = z, a33 = z;
            for (int i = start[b]; i < start[b + 1]; i++) {
                long off = (xIndex + col[i] * ldx + p) * Float.BYTES;
                FloatVector x0 = FloatVector.fromMemorySegment(S, x, off, ORDER);
                FloatVector x1 = FloatVector.fromMemorySegment(S, x, off + 4L * V, ORDER);
                FloatVector x2 = FloatVector.fromMemorySegment(S, x, off + 8L * V, ORDER);
                FloatVector x3 = FloatVector.fromMemorySegment(S, x, off + 12L * V, ORDER);
                int v = i * V + q;
                FloatVector w0 = FloatVector.broadcast(S, val[v]);
                a00 = w0.fma(x0, a00);
                a01 = w0.fma(x1, a01);
                a02 = w0.fma(x2, a02);
                a03 = w0.fma(x3, a03);
                FloatVector w1 = FloatVector.broadcast(S, val[v + 1]);
                a10 = w1.fma(x0, a10);
                a11 = w1.fma(x1, a11);
                a12 = w1.fma(x2, a12);
                a13 = w1.fma(x3, a13);
                FloatVector w2 = FloatVector.broadcast(S, val[v + 2]);
                a20 = w2.fma(x0, a20);
                a21 = w2.fma(x1, a21);
                a22 = w2.fma(x2, a22);
                a23 = w2.fma(x3, a23);
                FloatVector w3 = FloatVector.broadcast(S, val[v + 3]);
                a30 = w3.fma(x0, a30);
                a31 = w3.fma(x1, a31);
                a32 = w3.fma(x2, a32);
                a33 = w3.fma(x3, a33);
            }
            long out = (yIndex + r0 * ldy + p) * Float.BYTES;
            long step = ldy * Float.BYTES;
            store4(a00, a01, a02, a03, bias == null ? 0f : bias[r0], min, max, y, out);
            if (rows > 1) {
                store4(a10, a11, a12, a13, bias == null ? 0f : bias[r0 + 1], min, max, y, out + step);
            }
            if (rows > 2) {
                store4(a20, a21, a22, a23, bias == null ? 0f : bias[r0 + 2], min, max, y, out + 2 * step);
            }
            if (rows > 3) {
                store4(a30, a31, a32, a33, bias == null ? 0f : bias[r0 + 3], min, max, y, out + 3 * step);
            }
        }
        for (; p < pixels; p += V) {
            VectorMask<Float> m = S.indexInRange(p, pixels);
            FloatVector a0 = FloatVector.zero(S);
            FloatVector a1 = a0;
            FloatVector a2 = a0;
            FloatVector a3 = a0;
            for (int i = start[b]; i < start[b + 1]; i++) {
                FloatVector xv = FloatVector.fromMemorySegment(S, x, (xIndex + col[i] * ldx + p) * Float.BYTES, ORDER, m);
                int v = i * V + q;
                a0 = FloatVector.broadcast(S, val[v]).fma(xv, a0);
                a1 = FloatVector.broadcast(S, val[v + 1]).fma(xv, a1);
                a2 = FloatVector.broadcast(S, val[v + 2]).fma(xv, a2);
                a3 = FloatVector.broadcast(S, val[v + 3]).fma(xv, a3);
            }
            FloatVector[] acc = {a0, a1, a2, a3};
            for (int l = 0; l < rows; l++) {
                finish(acc[l], bias == null ? 0f : bias[r0 + l], min, max)
                    .intoMemorySegment(y, (yIndex + (r0 + l) * ldy + p) * Float.BYTES, ORDER, m);
            }
        }
    }

    @Override
    public void timesMatrix(TwoFourMatrix w, int row0, int row1, MemorySegment x, long xIndex, long ldx, int pixels,
                            MemorySegment y, long yIndex, long ldy, float[] bias, float min, float max) {
        check(w.height());
        int half = w.cols() / 2;
        float[] val = w.values();
        int[] meta = w.meta();
        int p = 0;
        for (; p + 4 * V <= pixels; p += 4 * V) {
            for (int r = row0; r < row1; r++) {
                FloatVector a0 = FloatVector.zero(S);
                FloatVector a1 = a0;
                FloatVector a2 = a0;
                FloatVector a3 = a0;
                int q = (r / V) * half * V + r % V;
                for (int j = 0; j < half; j++, q += V) {
                    FloatVector wv = FloatVector.broadcast(S, val[q]);
                    int c = 4 * (j >>> 1) + (meta[q >>> 4] >>> (2 * (q & 15)) & 3);
                    long off = (xIndex + c * ldx + p) * Float.BYTES;
                    a0 = wv.fma(FloatVector.fromMemorySegment(S, x, off, ORDER), a0);
                    a1 = wv.fma(FloatVector.fromMemorySegment(S, x, off + 4L * V, ORDER), a1);
                    a2 = wv.fma(FloatVector.fromMemorySegment(S, x, off + 8L * V, ORDER), a2);
                    a3 = wv.fma(FloatVector.fromMemorySegment(S, x, off + 12L * V, ORDER), a3);
                }
                store4(a0, a1, a2, a3, bias == null ? 0f : bias[r], min, max, y, (yIndex + r * ldy + p) * Float.BYTES);
            }
        }
        for (; p < pixels; p += V) {
            VectorMask<Float> m = S.indexInRange(p, pixels);
            for (int r = row0; r < row1; r++) {
                FloatVector a = FloatVector.zero(S);
                int q = (r / V) * half * V + r % V;
                for (int j = 0; j < half; j++, q += V) {
                    int c = 4 * (j >>> 1) + (meta[q >>> 4] >>> (2 * (q & 15)) & 3);
                    long off = (xIndex + c * ldx + p) * Float.BYTES;
                    a = FloatVector.broadcast(S, val[q]).fma(FloatVector.fromMemorySegment(S, x, off, ORDER, m), a);
                }
                finish(a, bias == null ? 0f : bias[r], min, max)
                    .intoMemorySegment(y, (yIndex + r * ldy + p) * Float.BYTES, ORDER, m);
            }
        }
    }

    private static FloatVector finish(FloatVector a, float bias, float min, float max) {
        return a.add(bias).lanewise(VectorOperators.MAX, min).lanewise(VectorOperators.MIN, max);
    }

    private static void store4(FloatVector a0, FloatVector a1, FloatVector a2, FloatVector a3, float bias, float min,
                               float max, MemorySegment y, long offset) {
        finish(a0, bias, min, max).intoMemorySegment(y, offset, ORDER);
        finish(a1, bias, min, max).intoMemorySegment(y, offset + 4L * V, ORDER);
        finish(a2, bias, min, max).intoMemorySegment(y, offset + 8L * V, ORDER);
        finish(a3, bias, min, max).intoMemorySegment(y, offset + 12L * V, ORDER);
    }

    @Override
    public void store(float[] acc, int accOff, int n, float[] bias, int biasOff, float min, float max,
                      MemorySegment out, long outIndex) {
        int i = 0;
        for (; i <= n - V; i += V) {
            FloatVector a = FloatVector.fromArray(S, acc, accOff + i);
            if (bias != null) {
                a = a.add(FloatVector.fromArray(S, bias, biasOff + i));
            }
            a.lanewise(VectorOperators.MAX, min).lanewise(VectorOperators.MIN, max)
                .intoMemorySegment(out, (outIndex + i) * Float.BYTES, ORDER);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector a = FloatVector.fromArray(S, acc, accOff + i, m);
            if (bias != null) {
                a = a.add(FloatVector.fromArray(S, bias, biasOff + i, m));
            }
            a.lanewise(VectorOperators.MAX, min).lanewise(VectorOperators.MIN, max)
                .intoMemorySegment(out, (outIndex + i) * Float.BYTES, ORDER, m);
        }
    }

    private static void check(int height) {
        if (height != V) {
            throw new IllegalStateException("format built for " + height + " lanes, vectors have " + V);
        }
    }
}
