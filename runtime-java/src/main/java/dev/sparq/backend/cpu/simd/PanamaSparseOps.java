package dev.sparq.backend.cpu.simd;

import dev.sparq.sparse.BlockedMatrix;
import dev.sparq.sparse.ChunkedSellMatrix;
import dev.sparq.sparse.CsrMatrix;
import dev.sparq.sparse.SellMatrix;
import dev.sparq.sparse.TwoFourMatrix;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link SparseOps} on the Vector API. Matrix-vector products put rows on the lanes (a slice or block of V rows
 * accumulates in one vector, so no horizontal sums); sliced ELLPACK gathers each lane's input, its chunked form picks
 * it from two registers with a permute (vpermi2d), 2:4 from the group's four. Products with a dense matrix put pixels
 * on the lanes, as XNNPACK's SpMM does: each nonzero is broadcast and multiplies a run of 4 vectors of its input row.
 *
 * <p>Results are stored where they are computed, never through a helper method taking vectors: a vector passed to a
 * method C2 does not inline is boxed, once per call (measured: the blocked product 6× slower that way).
 */
final class PanamaSparseOps implements SparseOps {
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    // Static final: C2 turns Vector API calls into instructions only when the species is a constant.
    private static final VectorSpecies<Float> S = PanamaSpecies.floats(SimdConfig.BITS == 0 ? 128 : SimdConfig.BITS);
    private static final VectorSpecies<Integer> IS = VectorSpecies.of(int.class, S.vectorShape());
    private static final int V = S.length();
    /** V byte offsets in one load (8 bytes at least: there is no narrower byte vector). */
    private static final VectorSpecies<Byte> OFFSETS = VectorSpecies.of(byte.class,
        VectorShape.forBitSize(Math.max(64, 8 * V)));
    /** Lane l shifts a slot's packed 2-bit indices right by 2l. */
    private static final IntVector INDEX_SHIFTS = IntVector.zero(IS).addIndex(2);
    /** Lane l picks element 2l of the pair of vectors (a, b): the even elements of 2V consecutive floats. */
    private static final FloatVector EVEN = FloatVector.zero(S).addIndex(2);

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
        for (int s = s0; s < s1; s++) {
            FloatVector acc = FloatVector.zero(S);
            for (int at = start[s]; at < start[s + 1]; at += V) {
                acc = FloatVector.fromArray(S, val, at).fma(FloatVector.fromArray(S, x, xOff, col, at), acc);
            }
            acc.intoArray(y, yOff + s * V);
        }
    }

    @Override
    public void timesVector(ChunkedSellMatrix w, int s0, int s1, MemorySegment x, long xIndex, float[] y, int yOff) {
        check(w.lanes());
        // a slice is two vectors of rows: two independent FMA chains (one chain would run at the FMA latency).
        // Chunks outside, slices inside: a chunk's inputs are loaded once, and the partial sums wait in y (in slice
        // order: a gather at the store puts rows back for less than a scatter here costs). Rows are still summed
        // chunk by chunk in column order, so the bits are those of slices outside.
        if (w.chunks() == 0) {
            Arrays.fill(y, yOff + 2 * V * s0, yOff + 2 * V * s1, 0f);
        } else if (w.chunkWidth() == 4 * V) {
            wideChunksTimesVector(w, s0, s1, x, xIndex, y, yOff);
        } else {
            chunksTimesVector(w, s0, s1, x, xIndex, y, yOff);
        }
    }

    /** Chunks of two vectors: each lane picks its input from (lo, hi) with one two-table permute. */
    private static void chunksTimesVector(ChunkedSellMatrix w, int s0, int s1, MemorySegment x, long xIndex,
                                          float[] y, int yOff) {
        int chunks = w.chunks();
        int[] start = w.runStart();
        byte[] off = w.offsets();
        float[] val = w.values();
        int cols = w.cols();
        for (int c = 0; c < chunks; c++) {
            IntVector lo = chunkInputs(x, xIndex, 2 * V * c, cols);
            IntVector hi = chunkInputs(x, xIndex, 2 * V * c + V, cols);
            for (int s = s0; s < s1; s++) {
                int at = yOff + 2 * V * s;
                FloatVector a = partialSums(c, y, at);
                FloatVector b = partialSums(c, y, at + V);
                for (int q = start[s * chunks + c], end = start[s * chunks + c + 1]; q < end; q += 2 * V) {
                    // lane l's input: offset off[q + l] into the chunk held in (lo, hi), picked in the int domain
                    IntVector ia = offsets(off, q);
                    IntVector ib = offsets(off, q + V);
                    a = FloatVector.fromArray(S, val, q).fma(ia.selectFrom(lo, hi).reinterpretAsFloats(), a);
                    b = FloatVector.fromArray(S, val, q + V).fma(ib.selectFrom(lo, hi).reinterpretAsFloats(), b);
                }
                a.intoArray(y, at);
                b.intoArray(y, at + V);
            }
        }
    }

    /**
     * Chunks of four vectors: each lane picks from both halves (selectFrom wraps the offset into [0, 2V)) and keeps
     * the one its offset's 2V bit names. Twice the picking per slot, but half the runs and less padding.
     */
    private static void wideChunksTimesVector(ChunkedSellMatrix w, int s0, int s1, MemorySegment x, long xIndex,
                                              float[] y, int yOff) {
        int chunks = w.chunks();
        int[] start = w.runStart();
        byte[] off = w.offsets();
        float[] val = w.values();
        int cols = w.cols();
        for (int c = 0; c < chunks; c++) {
            IntVector x0 = chunkInputs(x, xIndex, 4 * V * c, cols);
            IntVector x1 = chunkInputs(x, xIndex, 4 * V * c + V, cols);
            IntVector x2 = chunkInputs(x, xIndex, 4 * V * c + 2 * V, cols);
            IntVector x3 = chunkInputs(x, xIndex, 4 * V * c + 3 * V, cols);
            for (int s = s0; s < s1; s++) {
                int at = yOff + 2 * V * s;
                FloatVector a = partialSums(c, y, at);
                FloatVector b = partialSums(c, y, at + V);
                for (int q = start[s * chunks + c], end = start[s * chunks + c + 1]; q < end; q += 2 * V) {
                    IntVector ia = offsets(off, q);
                    IntVector ib = offsets(off, q + V);
                    IntVector pa = ia.selectFrom(x0, x1).blend(ia.selectFrom(x2, x3),
                        ia.compare(VectorOperators.GE, 2 * V));
                    IntVector pb = ib.selectFrom(x0, x1).blend(ib.selectFrom(x2, x3),
                        ib.compare(VectorOperators.GE, 2 * V));
                    a = FloatVector.fromArray(S, val, q).fma(pa.reinterpretAsFloats(), a);
                    b = FloatVector.fromArray(S, val, q + V).fma(pb.reinterpretAsFloats(), b);
                }
                a.intoArray(y, at);
                b.intoArray(y, at + V);
            }
        }
    }

    /** The V byte offsets of a slot from {@code q}, widened to ints. */
    private static IntVector offsets(byte[] off, int q) {
        return (IntVector) ByteVector.fromArray(OFFSETS, off, q).convertShape(VectorOperators.B2I, IS, 0);
    }

    /** A slice's sums over the chunks before chunk c: none yet for the first. */
    private static FloatVector partialSums(int c, float[] y, int at) {
        return c == 0 ? FloatVector.zero(S) : FloatVector.fromArray(S, y, at);
    }

    /** x[from, from + V) of a row of {@code cols}, zero past its end, as ints for the pick. */
    private static IntVector chunkInputs(MemorySegment x, long xIndex, int from, int cols) {
        long at = (xIndex + from) * Float.BYTES;
        FloatVector v = from + V <= cols ? FloatVector.fromMemorySegment(S, x, at, ORDER)
            : FloatVector.fromMemorySegment(S, x, at, ORDER, S.indexInRange(from, cols));
        return v.reinterpretAsInts();
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
        // in the int domain: float lane indices would be converted to ints and back on every selection
        IntVector idx = IntVector.broadcast(IS, bits).lanewise(VectorOperators.LSHR, INDEX_SHIFTS).and(3);
        return idx.selectFrom(group.reinterpretAsInts()).reinterpretAsFloats();
    }

    @Override
    public void timesMatrix(CsrMatrix w, int row0, int row1, MemorySegment x, long xIndex, long ldx, int pixels,
                            MemorySegment y, long yIndex, long ldy, float[] bias, float min, float max) {
        // tiles and tail in methods of their own: together they were too big for C1 ("out of virtual registers"),
        // which left the product interpreted until C2 came round, seconds later. Sources are native (images,
        // NativeScratch): a load site that sees heap and native segments is not intrinsified (2-4× slower)
        int full = pixels - pixels % (4 * V);
        csrTiles(w, row0, row1, x, xIndex, ldx, full, y, yIndex, ldy, bias, min, max);
        if (full < pixels && !csrWholeTail(w, row0, row1, x, xIndex, ldx, full, pixels, y, yIndex, ldy, bias, min,
                max)) {
            csrTail(w, row0, row1, x, xIndex, ldx, full, pixels, y, yIndex, ldy, bias, min, max);
        }
    }

    /**
     * The tail [{@code p}, {@code pixels}) (fewer than 4 vectors) as whole vectors, lanes past the last pixel dropped
     * by a masked store: no mask per load, and a row's vectors in independent accumulators instead of one pass per
     * vector. False (nothing done) when the whole vectors would run past the end of {@code x}.
     */
    private static boolean csrWholeTail(CsrMatrix w, int row0, int row1, MemorySegment x, long xIndex, long ldx,
                                        int p, int pixels, MemorySegment y, long yIndex, long ldy, float[] bias,
                                        float min, float max) {
        int vectors = (pixels - p + V - 1) / V;
        int read = vectors == 3 ? 4 : vectors;
        if ((xIndex + Math.max(0, w.cols() - 1) * ldx + p + (long) read * V) * Float.BYTES > x.byteSize()) {
            return false;
        }
        if (vectors == 1) {
            csrTail1(w, row0, row1, x, xIndex, ldx, p, pixels, y, yIndex, ldy, bias, min, max);
        } else if (vectors == 2) {
            csrTail2(w, row0, row1, x, xIndex, ldx, p, pixels, y, yIndex, ldy, bias, min, max);
        } else {
            csrFourVectors(w, row0, row1, x, xIndex, ldx, p, pixels, y, yIndex, ldy, bias, min, max);
        }
        return true;
    }

    /**
     * A tail of one vector, over-read: two rows at a time, so two independent FMA chains (one chain alone waits on
     * the FMA latency at every nonzero).
     */
    private static void csrTail1(CsrMatrix w, int row0, int row1, MemorySegment x, long xIndex, long ldx, int p,
                                 int pixels, MemorySegment y, long yIndex, long ldy, float[] bias, float min,
                                 float max) {
        int[] start = w.rowStart();
        int[] col = w.colIndex();
        float[] val = w.values();
        VectorMask<Float> m = S.indexInRange(p, pixels);
        long base = xIndex + p;
        int r = row0;
        for (; r + 1 < row1; r += 2) {
            FloatVector a = FloatVector.zero(S);
            FloatVector b = a;
            int i = start[r];
            int j = start[r + 1];
            int n = Math.min(j - i, start[r + 2] - j);
            for (int e = i + n; i < e; i++, j++) {
                a = FloatVector.broadcast(S, val[i])
                    .fma(FloatVector.fromMemorySegment(S, x, (base + col[i] * ldx) * Float.BYTES, ORDER), a);
                b = FloatVector.broadcast(S, val[j])
                    .fma(FloatVector.fromMemorySegment(S, x, (base + col[j] * ldx) * Float.BYTES, ORDER), b);
            }
            for (; i < start[r + 1]; i++) {
                a = FloatVector.broadcast(S, val[i])
                    .fma(FloatVector.fromMemorySegment(S, x, (base + col[i] * ldx) * Float.BYTES, ORDER), a);
            }
            for (; j < start[r + 2]; j++) {
                b = FloatVector.broadcast(S, val[j])
                    .fma(FloatVector.fromMemorySegment(S, x, (base + col[j] * ldx) * Float.BYTES, ORDER), b);
            }
            long at = (yIndex + r * ldy + p) * Float.BYTES;
            a.add(bias == null ? 0f : bias[r]).lanewise(VectorOperators.MAX, min).lanewise(VectorOperators.MIN, max)
                .intoMemorySegment(y, at, ORDER, m);
            b.add(bias == null ? 0f : bias[r + 1]).lanewise(VectorOperators.MAX, min)
                .lanewise(VectorOperators.MIN, max).intoMemorySegment(y, at + ldy * Float.BYTES, ORDER, m);
        }
        if (r < row1) {
            FloatVector a = FloatVector.zero(S);
            for (int i = start[r]; i < start[r + 1]; i++) {
                a = FloatVector.broadcast(S, val[i])
                    .fma(FloatVector.fromMemorySegment(S, x, (base + col[i] * ldx) * Float.BYTES, ORDER), a);
            }
            a.add(bias == null ? 0f : bias[r]).lanewise(VectorOperators.MAX, min).lanewise(VectorOperators.MIN, max)
                .intoMemorySegment(y, (yIndex + r * ldy + p) * Float.BYTES, ORDER, m);
        }
    }

    /** A tail of two vectors, over-read: one accumulator each, the second stored masked. */
    private static void csrTail2(CsrMatrix w, int row0, int row1, MemorySegment x, long xIndex, long ldx, int p,
                                 int pixels, MemorySegment y, long yIndex, long ldy, float[] bias, float min,
                                 float max) {
        int[] start = w.rowStart();
        int[] col = w.colIndex();
        float[] val = w.values();
        VectorMask<Float> m = S.indexInRange(p + V, pixels);
        for (int r = row0; r < row1; r++) {
            FloatVector a0 = FloatVector.zero(S);
            FloatVector a1 = a0;
            for (int i = start[r]; i < start[r + 1]; i++) {
                FloatVector wv = FloatVector.broadcast(S, val[i]);
                long off = xIndex + col[i] * ldx + p;
                a0 = wv.fma(FloatVector.fromMemorySegment(S, x, off * Float.BYTES, ORDER), a0);
                a1 = wv.fma(FloatVector.fromMemorySegment(S, x, (off + V) * Float.BYTES, ORDER), a1);
            }
            FloatVector bv = FloatVector.broadcast(S, bias == null ? 0f : bias[r]);
            long at = (yIndex + r * ldy + p) * Float.BYTES;
            a0.add(bv).lanewise(VectorOperators.MAX, min).lanewise(VectorOperators.MIN, max)
                .intoMemorySegment(y, at, ORDER);
            a1.add(bv).lanewise(VectorOperators.MAX, min).lanewise(VectorOperators.MIN, max)
                .intoMemorySegment(y, at + 4L * V, ORDER, m);
        }
    }

    /**
     * Pixels [p, p + 4 vectors) of rows [row0, row1), four accumulators per row; lanes from {@code pixels} on are read
     * but not stored (a whole tile, or a tail of three or four vectors over-read as four).
     */
    private static void csrFourVectors(CsrMatrix w, int row0, int row1, MemorySegment x, long xIndex, long ldx,
                                       int p, int pixels, MemorySegment y, long yIndex, long ldy, float[] bias,
                                       float min, float max) {
        int[] start = w.rowStart();
        int[] col = w.colIndex();
        float[] val = w.values();
        VectorMask<Float> m2 = S.indexInRange(p + 2 * V, pixels);
        VectorMask<Float> m3 = S.indexInRange(p + 3 * V, pixels);
        for (int r = row0; r < row1; r++) {
            FloatVector a0 = FloatVector.zero(S);
            FloatVector a1 = a0;
            FloatVector a2 = a0;
            FloatVector a3 = a0;
            for (int i = start[r]; i < start[r + 1]; i++) {
                FloatVector wv = FloatVector.broadcast(S, val[i]);
                long off = xIndex + col[i] * ldx + p;
                a0 = wv.fma(FloatVector.fromMemorySegment(S, x, off * Float.BYTES, ORDER), a0);
                a1 = wv.fma(FloatVector.fromMemorySegment(S, x, (off + V) * Float.BYTES, ORDER), a1);
                a2 = wv.fma(FloatVector.fromMemorySegment(S, x, (off + 2 * V) * Float.BYTES, ORDER), a2);
                a3 = wv.fma(FloatVector.fromMemorySegment(S, x, (off + 3 * V) * Float.BYTES, ORDER), a3);
            }
            FloatVector bv = FloatVector.broadcast(S, bias == null ? 0f : bias[r]);
            long at = (yIndex + r * ldy + p) * Float.BYTES;
            a0.add(bv).lanewise(VectorOperators.MAX, min).lanewise(VectorOperators.MIN, max)
                .intoMemorySegment(y, at, ORDER);
            a1.add(bv).lanewise(VectorOperators.MAX, min).lanewise(VectorOperators.MIN, max)
                .intoMemorySegment(y, at + 4L * V, ORDER);
            a2.add(bv).lanewise(VectorOperators.MAX, min).lanewise(VectorOperators.MIN, max)
                .intoMemorySegment(y, at + 8L * V, ORDER, m2);
            a3.add(bv).lanewise(VectorOperators.MAX, min).lanewise(VectorOperators.MIN, max)
                .intoMemorySegment(y, at + 12L * V, ORDER, m3);
        }
    }

    /** Whole tiles of 4 vectors of pixels, in [0, {@code pixels}) ({@code pixels} a multiple of 4 vectors). */
    private static void csrTiles(CsrMatrix w, int row0, int row1, MemorySegment x, long xIndex, long ldx,
                                 int pixels, MemorySegment y, long yIndex, long ldy, float[] bias, float min,
                                 float max) {
        for (int p = 0; p + 4 * V <= pixels; p += 4 * V) {
            csrFourVectors(w, row0, row1, x, xIndex, ldx, p, p + 4 * V, y, yIndex, ldy, bias, min, max);
        }
    }

    /** The pixels [{@code p}, {@code pixels}), fewer than 4 vectors, read masked (no whole vector to spare). */
    private static void csrTail(CsrMatrix w, int row0, int row1, MemorySegment x, long xIndex, long ldx, int p,
                                int pixels, MemorySegment y, long yIndex, long ldy, float[] bias, float min,
                                float max) {
        int[] start = w.rowStart();
        int[] col = w.colIndex();
        float[] val = w.values();
        // one masked vector at a time: with 4 masks at once C1 ran out of registers and left it interpreted
        for (; p < pixels; p += V) {
            VectorMask<Float> m = S.indexInRange(p, pixels);
            for (int r = row0; r < row1; r++) {
                FloatVector a = FloatVector.zero(S);
                for (int i = start[r]; i < start[r + 1]; i++) {
                    long off = (xIndex + col[i] * ldx + p) * Float.BYTES;
                    a = FloatVector.broadcast(S, val[i]).fma(FloatVector.fromMemorySegment(S, x, off, ORDER, m), a);
                }
                a.add(bias == null ? 0f : bias[r]).lanewise(VectorOperators.MAX, min).lanewise(VectorOperators.MIN, max)
                    .intoMemorySegment(y, (yIndex + r * ldy + p) * Float.BYTES, ORDER, m);
            }
        }
    }

    @Override
    public void timesMatrix(BlockedMatrix w, int b0, int b1, MemorySegment x, long xIndex, long ldx, int pixels,
                            MemorySegment y, long yIndex, long ldy, float[] bias, float min, float max) {
        check(w.height());
        // 4 rows of a block row at a time
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
        long step = ldy * Float.BYTES;
        int p = 0;
        // 4 rows × 2 vectors of pixels: 8 accumulators fed by 2 loads and 4 broadcasts per block
        for (; p + 2 * V <= pixels; p += 2 * V) {
            FloatVector z = FloatVector.zero(S);
            FloatVector a00 = z, a01 = z, a10 = z, a11 = z, a20 = z, a21 = z, a30 = z, a31 = z;
            for (int i = start[b]; i < start[b + 1]; i++) {
                long off = (xIndex + col[i] * ldx + p) * Float.BYTES;
                FloatVector x0 = FloatVector.fromMemorySegment(S, x, off, ORDER);
                FloatVector x1 = FloatVector.fromMemorySegment(S, x, off + 4L * V, ORDER);
                int v = i * V + q;
                FloatVector w0 = FloatVector.broadcast(S, val[v]);
                a00 = w0.fma(x0, a00);
                a01 = w0.fma(x1, a01);
                FloatVector w1 = FloatVector.broadcast(S, val[v + 1]);
                a10 = w1.fma(x0, a10);
                a11 = w1.fma(x1, a11);
                FloatVector w2 = FloatVector.broadcast(S, val[v + 2]);
                a20 = w2.fma(x0, a20);
                a21 = w2.fma(x1, a21);
                FloatVector w3 = FloatVector.broadcast(S, val[v + 3]);
                a30 = w3.fma(x0, a30);
                a31 = w3.fma(x1, a31);
            }
            long out = (yIndex + r0 * ldy + p) * Float.BYTES;
            FloatVector ba00 = FloatVector.broadcast(S, bias == null ? 0f : bias[r0]);
            a00.add(ba00).lanewise(VectorOperators.MAX, min).lanewise(VectorOperators.MIN, max)
                .intoMemorySegment(y, out, ORDER);
            a01.add(ba00).lanewise(VectorOperators.MAX, min).lanewise(VectorOperators.MIN, max)
                .intoMemorySegment(y, out + 4L * V, ORDER);
            if (rows > 1) {
                FloatVector ba10 = FloatVector.broadcast(S, bias == null ? 0f : bias[r0 + 1]);
                a10.add(ba10).lanewise(VectorOperators.MAX, min).lanewise(VectorOperators.MIN, max)
                    .intoMemorySegment(y, out + step, ORDER);
                a11.add(ba10).lanewise(VectorOperators.MAX, min).lanewise(VectorOperators.MIN, max)
                    .intoMemorySegment(y, out + step + 4L * V, ORDER);
            }
            if (rows > 2) {
                FloatVector ba20 = FloatVector.broadcast(S, bias == null ? 0f : bias[r0 + 2]);
                a20.add(ba20).lanewise(VectorOperators.MAX, min).lanewise(VectorOperators.MIN, max)
                    .intoMemorySegment(y, out + 2 * step, ORDER);
                a21.add(ba20).lanewise(VectorOperators.MAX, min).lanewise(VectorOperators.MIN, max)
                    .intoMemorySegment(y, out + 2 * step + 4L * V, ORDER);
            }
            if (rows > 3) {
                FloatVector ba30 = FloatVector.broadcast(S, bias == null ? 0f : bias[r0 + 3]);
                a30.add(ba30).lanewise(VectorOperators.MAX, min).lanewise(VectorOperators.MIN, max)
                    .intoMemorySegment(y, out + 3 * step, ORDER);
                a31.add(ba30).lanewise(VectorOperators.MAX, min).lanewise(VectorOperators.MIN, max)
                    .intoMemorySegment(y, out + 3 * step + 4L * V, ORDER);
            }
        }
        if (p < pixels) {
            fourRowsTail(w, b, q, x, xIndex, ldx, p, pixels, y, yIndex, ldy, bias, min, max);
        }
    }

    private static void fourRowsTail(BlockedMatrix w, int b, int q, MemorySegment x, long xIndex, long ldx, int from,
                                     int pixels, MemorySegment y, long yIndex, long ldy, float[] bias, float min,
                                     float max) {
        int[] start = w.blockStart();
        int[] col = w.blockCol();
        float[] val = w.values();
        int r0 = b * V + q;
        int rows = Math.min(4, w.rows() - r0);
        long step = ldy * Float.BYTES;
        int p = from;
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
            // written out, not through an array: a vector stored into an array is boxed
            long out = (yIndex + r0 * ldy + p) * Float.BYTES;
            a0.add(bias == null ? 0f : bias[r0]).lanewise(VectorOperators.MAX, min).lanewise(VectorOperators.MIN, max)
                .intoMemorySegment(y, out, ORDER, m);
            if (rows > 1) {
                a1.add(bias == null ? 0f : bias[r0 + 1]).lanewise(VectorOperators.MAX, min).lanewise(VectorOperators.MIN, max)
                    .intoMemorySegment(y, out + step, ORDER, m);
            }
            if (rows > 2) {
                a2.add(bias == null ? 0f : bias[r0 + 2]).lanewise(VectorOperators.MAX, min).lanewise(VectorOperators.MIN, max)
                    .intoMemorySegment(y, out + 2 * step, ORDER, m);
            }
            if (rows > 3) {
                a3.add(bias == null ? 0f : bias[r0 + 3]).lanewise(VectorOperators.MAX, min).lanewise(VectorOperators.MIN, max)
                    .intoMemorySegment(y, out + 3 * step, ORDER, m);
            }
        }
    }

    @Override
    public void timesMatrix(TwoFourMatrix w, int row0, int row1, MemorySegment x, long xIndex, long ldx, int pixels,
                            MemorySegment y, long yIndex, long ldy, float[] bias, float min, float max) {
        check(w.height());
        // tiles and tail in methods of their own: together they were too big for C1 ("out of virtual registers"),
        // which left the product interpreted until C2 came round, seconds later
        int full = pixels - pixels % (4 * V);
        twoFourTiles(w, row0, row1, x, xIndex, ldx, full, y, yIndex, ldy, bias, min, max);
        if (full < pixels) {
            twoFourTail(w, row0, row1, x, xIndex, ldx, full, pixels, y, yIndex, ldy, bias, min, max);
        }
    }

    /** Whole tiles of 4 vectors of pixels, in [0, {@code pixels}) ({@code pixels} a multiple of 4 vectors). */
    private static void twoFourTiles(TwoFourMatrix w, int row0, int row1, MemorySegment x, long xIndex, long ldx,
                                 int pixels, MemorySegment y, long yIndex, long ldy, float[] bias, float min,
                                 float max) {
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
                {
                    FloatVector bv = FloatVector.broadcast(S, bias == null ? 0f : bias[r]);
                    long at = (yIndex + r * ldy + p) * Float.BYTES;
                    a0.add(bv).lanewise(VectorOperators.MAX, min).lanewise(VectorOperators.MIN, max)
                        .intoMemorySegment(y, at, ORDER);
                    a1.add(bv).lanewise(VectorOperators.MAX, min).lanewise(VectorOperators.MIN, max)
                        .intoMemorySegment(y, at + 4L * V, ORDER);
                    a2.add(bv).lanewise(VectorOperators.MAX, min).lanewise(VectorOperators.MIN, max)
                        .intoMemorySegment(y, at + 8L * V, ORDER);
                    a3.add(bv).lanewise(VectorOperators.MAX, min).lanewise(VectorOperators.MIN, max)
                        .intoMemorySegment(y, at + 12L * V, ORDER);
                }
            }
        }
    }

    private static void twoFourTail(TwoFourMatrix w, int row0, int row1, MemorySegment x, long xIndex, long ldx, int p,
                                int pixels, MemorySegment y, long yIndex, long ldy, float[] bias, float min,
                                float max) {
        int half = w.cols() / 2;
        float[] val = w.values();
        int[] meta = w.meta();
        // one masked vector at a time: with 4 masks at once C1 ran out of registers and left it interpreted
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
                a.add(bias == null ? 0f : bias[r]).lanewise(VectorOperators.MAX, min).lanewise(VectorOperators.MIN, max)
                    .intoMemorySegment(y, (yIndex + r * ldy + p) * Float.BYTES, ORDER, m);
            }
        }
    }

    @Override
    public void store(float[] acc, int accOff, int n, float[] bias, int biasOff, float min, float max,
                      MemorySegment out, long outIndex) {
        storeRows(acc, accOff, null, n, bias, biasOff, min, max, out, outIndex);
    }

    @Override
    public void store(float[] acc, int accOff, int[] at, int n, float[] bias, float min, float max, MemorySegment out,
                      long outIndex) {
        storeRows(acc, accOff, at, n, bias, 0, min, max, out, outIndex);
    }

    /** Both stores: row i from acc[accOff + i], or gathered from acc[accOff + at[i]] when {@code at} is given. */
    private static void storeRows(float[] acc, int accOff, int[] at, int n, float[] bias, int biasOff, float min,
                                  float max, MemorySegment out, long outIndex) {
        // an infinite bound is skipped (it changes no bit): Math.max/min semantics cost several instructions each
        boolean lower = min != Float.NEGATIVE_INFINITY;
        boolean upper = max != Float.POSITIVE_INFINITY;
        int i = 0;
        for (; i <= n - V; i += V) {
            FloatVector a = at == null ? FloatVector.fromArray(S, acc, accOff + i)
                : FloatVector.fromArray(S, acc, accOff, at, i);
            if (bias != null) {
                a = a.add(FloatVector.fromArray(S, bias, biasOff + i));
            }
            if (lower) {
                a = a.lanewise(VectorOperators.MAX, min);
            }
            if (upper) {
                a = a.lanewise(VectorOperators.MIN, max);
            }
            a.intoMemorySegment(out, (outIndex + i) * Float.BYTES, ORDER);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector a = at == null ? FloatVector.fromArray(S, acc, accOff + i, m)
                : FloatVector.fromArray(S, acc, accOff, at, i, m);
            if (bias != null) {
                a = a.add(FloatVector.fromArray(S, bias, biasOff + i, m));
            }
            if (lower) {
                a = a.lanewise(VectorOperators.MAX, min);
            }
            if (upper) {
                a = a.lanewise(VectorOperators.MIN, max);
            }
            a.intoMemorySegment(out, (outIndex + i) * Float.BYTES, ORDER, m);
        }
    }

    @Override
    public void evenElements(MemorySegment x, long xIndex, int n, MemorySegment dst, long dstIndex) {
        int whole = (n + V - 1) / V;
        if (n == 0 || (xIndex + 2L * whole * V) * Float.BYTES > x.byteSize()) {
            evenElementsNearEnd(x, xIndex, n, dst, dstIndex);
            return;
        }
        // whole vectors, over-reading past the row (inside the source, checked above): two loads and one two-source
        // permute (vpermi2ps) per vector; only the last store is masked, so nothing lands past dst[dstIndex + n)
        long off = xIndex * Float.BYTES;
        long to = dstIndex * Float.BYTES;
        int i = 0;
        for (; i + V < n; i += V, off += 8L * V, to += 4L * V) {
            EVEN.selectFrom(FloatVector.fromMemorySegment(S, x, off, ORDER),
                FloatVector.fromMemorySegment(S, x, off + 4L * V, ORDER)).intoMemorySegment(dst, to, ORDER);
        }
        EVEN.selectFrom(FloatVector.fromMemorySegment(S, x, off, ORDER),
            FloatVector.fromMemorySegment(S, x, off + 4L * V, ORDER)).intoMemorySegment(dst, to, ORDER,
            S.indexInRange(i, n));
    }

    /** The same for a row too close to the end of the source for whole vectors: element by element. */
    private static void evenElementsNearEnd(MemorySegment x, long xIndex, int n, MemorySegment dst, long dstIndex) {
        for (int i = 0; i < n; i++) {
            dst.setAtIndex(ValueLayout.JAVA_FLOAT, dstIndex + i, x.getAtIndex(ValueLayout.JAVA_FLOAT, xIndex + 2L * i));
        }
    }

    private static void check(int height) {
        if (height != V) {
            throw new IllegalStateException("format built for " + height + " lanes, vectors have " + V);
        }
    }
}
