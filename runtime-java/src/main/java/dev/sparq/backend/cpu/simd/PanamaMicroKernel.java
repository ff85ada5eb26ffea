package dev.sparq.backend.cpu.simd;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API tile: {@link #ROWS} rows × 2 vectors of accumulators, one broadcast of A and two loads of B per row
 * and k. 12 rows (24 accumulators) at 512 bits, where AVX-512 gives 32 vector registers; 8 rows (16) at narrower
 * widths, which may run on AVX2's 16 registers. Written out by hand because the JIT keeps only named locals in
 * registers. The accumulators go through a small per-thread tile buffer, so no vector crosses a call (which would
 * box it); full tiles then copy to C unmasked, edge tiles with masks. Storing straight from the
 * registers was as fast but made the method too big for C1 (out of virtual registers), which left it interpreted
 * in profiling tier code on some warm-up paths: 60x slower.
 */
final class PanamaMicroKernel implements MicroKernel {
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    // Static final: C2 turns Vector API calls into instructions only when the species is a constant.
    private static final VectorSpecies<Float> S = PanamaSpecies.floats(SimdConfig.BITS == 0 ? 128 : SimdConfig.BITS);
    private static final int V = S.length();
    private static final int NR = 2 * V;
    /** Tile rows of the main kernel: the A panel width. */
    static final int ROWS = V >= 16 ? 12 : 8;
    /** Rows of {@link #run14}'s tile: with 12-row panels it covers 7·7·2ⁿ pixels without a tail. */
    static final int WIDE_ROWS = 14;
    /**
     * The accumulators' way to C, per thread, offsets in bytes: native memory. Through a float[] (at any of its 16
     * offsets against a cache line) the same stores and reloads made a 14 × 32 tile at k = 16 run 108 ns instead of 90
     * in a probe (RESULTS, stop 29).
     */
    private static final ThreadLocal<MemorySegment> TILE = ThreadLocal.withInitial(
        () -> Arena.ofAuto().allocate((long) Math.max(ROWS, WIDE_ROWS) * NR * Float.BYTES, 64));

    private final int rows;
    /** Where run12's reads of the panel ahead end up when their sum is NaN: a use the JIT must keep. */
    @SuppressWarnings("unused")
    private static float sink;

    /** The main tile, {@link #ROWS} rows. */
    PanamaMicroKernel() {
        this(ROWS);
    }

    /**
     * {@link #ROWS} rows, or 1 for products with very few rows (a fully connected layer at batch 1), which the
     * main tile would pad to 12 rows, wasting 11/12 of its FMAs.
     */
    PanamaMicroKernel(int rows) {
        if (rows != ROWS && rows != 1) {
            throw new IllegalArgumentException("no " + rows + "-row tile");
        }
        this.rows = rows;
    }

    @Override
    public int mr() {
        return rows;
    }

    @Override
    public int nr() {
        return NR;
    }

    @Override
    public void run(int kc, float[] a, int aOff, float[] b, int bOff, MemorySegment c, long cIndex, long ldc, int rows,
                    int cols, boolean accumulate, Epilogue epilogue, int row0, int col0) {
        run(kc, a, aOff, b, bOff, c, cIndex, ldc, rows, cols, accumulate, epilogue, row0, col0, -1);
    }

    @Override
    public void run(int kc, float[] a, int aOff, float[] b, int bOff, MemorySegment c, long cIndex, long ldc, int rows,
                    int cols, boolean accumulate, Epilogue epilogue, int row0, int col0, int ahead) {
        if (this.rows == 1) {
            run1(kc, a, aOff, b, bOff, c, cIndex, ldc, cols, accumulate, epilogue, row0, col0);
        } else if (ROWS == 12) {
            run12(kc, a, aOff, b, bOff, c, cIndex, ldc, rows, cols, accumulate, epilogue, row0, col0, ahead);
        } else {
            run8(kc, a, aOff, b, bOff, c, cIndex, ldc, rows, cols, accumulate, epilogue, row0, col0);
        }
    }

    private static void run12(int kc, float[] a, int aOff, float[] b, int bOff, MemorySegment c, long cIndex, long ldc,
                             int rows, int cols, boolean accumulate, Epilogue epilogue, int row0, int col0, int ahead) {
        final int mr = 12;
        // one read per k of the panel ahead (or, without one, of this panel's first value: a cached no-op)
        final int tOff = ahead < 0 ? aOff : ahead;
        final int tStep = ahead < 0 ? 0 : mr / 2;
        float touched = 0;
        // fetched before the accumulators are live: a ThreadLocal miss is a call, across which all 24 would spill
        MemorySegment tile = TILE.get();
        FloatVector zero = FloatVector.zero(S);
        FloatVector c00 = zero, c01 = zero;
        FloatVector c10 = zero, c11 = zero;
        FloatVector c20 = zero, c21 = zero;
        FloatVector c30 = zero, c31 = zero;
        FloatVector c40 = zero, c41 = zero;
        FloatVector c50 = zero, c51 = zero;
        FloatVector c60 = zero, c61 = zero;
        FloatVector c70 = zero, c71 = zero;
        FloatVector c80 = zero, c81 = zero;
        FloatVector c90 = zero, c91 = zero;
        FloatVector c100 = zero, c101 = zero;
        FloatVector c110 = zero, c111 = zero;
        for (int k = 0; k < kc; k++) {
            int ak = aOff + k * mr;
            int bk = bOff + k * NR;
            FloatVector b0 = FloatVector.fromArray(S, b, bk);
            FloatVector b1 = FloatVector.fromArray(S, b, bk + V);
            FloatVector a0 = FloatVector.broadcast(S, a[ak + 0]);
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(S, a[ak + 1]);
            c10 = a1.fma(b0, c10);
            c11 = a1.fma(b1, c11);
            FloatVector a2 = FloatVector.broadcast(S, a[ak + 2]);
            c20 = a2.fma(b0, c20);
            c21 = a2.fma(b1, c21);
            FloatVector a3 = FloatVector.broadcast(S, a[ak + 3]);
            c30 = a3.fma(b0, c30);
            c31 = a3.fma(b1, c31);
            FloatVector a4 = FloatVector.broadcast(S, a[ak + 4]);
            c40 = a4.fma(b0, c40);
            c41 = a4.fma(b1, c41);
            FloatVector a5 = FloatVector.broadcast(S, a[ak + 5]);
            c50 = a5.fma(b0, c50);
            c51 = a5.fma(b1, c51);
            FloatVector a6 = FloatVector.broadcast(S, a[ak + 6]);
            c60 = a6.fma(b0, c60);
            c61 = a6.fma(b1, c61);
            FloatVector a7 = FloatVector.broadcast(S, a[ak + 7]);
            c70 = a7.fma(b0, c70);
            c71 = a7.fma(b1, c71);
            FloatVector a8 = FloatVector.broadcast(S, a[ak + 8]);
            c80 = a8.fma(b0, c80);
            c81 = a8.fma(b1, c81);
            FloatVector a9 = FloatVector.broadcast(S, a[ak + 9]);
            c90 = a9.fma(b0, c90);
            c91 = a9.fma(b1, c91);
            FloatVector a10 = FloatVector.broadcast(S, a[ak + 10]);
            c100 = a10.fma(b0, c100);
            c101 = a10.fma(b1, c101);
            FloatVector a11 = FloatVector.broadcast(S, a[ak + 11]);
            c110 = a11.fma(b0, c110);
            c111 = a11.fma(b1, c111);
            touched += a[tOff + k * tStep];
        }
        if (Float.isNaN(touched)) {
            sink = touched; // a use the JIT cannot drop, so the reads above stay
        }
        c00.intoMemorySegment(tile, 4L * (0 * NR), ORDER);
        c01.intoMemorySegment(tile, 4L * (0 * NR + V), ORDER);
        c10.intoMemorySegment(tile, 4L * (1 * NR), ORDER);
        c11.intoMemorySegment(tile, 4L * (1 * NR + V), ORDER);
        c20.intoMemorySegment(tile, 4L * (2 * NR), ORDER);
        c21.intoMemorySegment(tile, 4L * (2 * NR + V), ORDER);
        c30.intoMemorySegment(tile, 4L * (3 * NR), ORDER);
        c31.intoMemorySegment(tile, 4L * (3 * NR + V), ORDER);
        c40.intoMemorySegment(tile, 4L * (4 * NR), ORDER);
        c41.intoMemorySegment(tile, 4L * (4 * NR + V), ORDER);
        c50.intoMemorySegment(tile, 4L * (5 * NR), ORDER);
        c51.intoMemorySegment(tile, 4L * (5 * NR + V), ORDER);
        c60.intoMemorySegment(tile, 4L * (6 * NR), ORDER);
        c61.intoMemorySegment(tile, 4L * (6 * NR + V), ORDER);
        c70.intoMemorySegment(tile, 4L * (7 * NR), ORDER);
        c71.intoMemorySegment(tile, 4L * (7 * NR + V), ORDER);
        c80.intoMemorySegment(tile, 4L * (8 * NR), ORDER);
        c81.intoMemorySegment(tile, 4L * (8 * NR + V), ORDER);
        c90.intoMemorySegment(tile, 4L * (9 * NR), ORDER);
        c91.intoMemorySegment(tile, 4L * (9 * NR + V), ORDER);
        c100.intoMemorySegment(tile, 4L * (10 * NR), ORDER);
        c101.intoMemorySegment(tile, 4L * (10 * NR + V), ORDER);
        c110.intoMemorySegment(tile, 4L * (11 * NR), ORDER);
        c111.intoMemorySegment(tile, 4L * (11 * NR + V), ORDER);
        storeTile(tile, mr, rows, cols, c, cIndex, ldc, accumulate, epilogue, row0, col0);
    }

    /** {@link #run12} with A row-major on the heap: row r of the panel at {@code aOff + r·lda}, not interleaved. */
    static void run12(int kc, float[] a, int aOff, int lda, float[] b, int bOff, MemorySegment c,
                      long cIndex, long ldc, int cols, boolean accumulate, Epilogue epilogue, int row0, int col0) {
        final int mr = 12;
        final int rows = mr;
        // fetched before the accumulators are live: a ThreadLocal miss is a call, across which all 24 would spill
        MemorySegment tile = TILE.get();
        FloatVector zero = FloatVector.zero(S);
        FloatVector c00 = zero, c01 = zero;
        FloatVector c10 = zero, c11 = zero;
        FloatVector c20 = zero, c21 = zero;
        FloatVector c30 = zero, c31 = zero;
        FloatVector c40 = zero, c41 = zero;
        FloatVector c50 = zero, c51 = zero;
        FloatVector c60 = zero, c61 = zero;
        FloatVector c70 = zero, c71 = zero;
        FloatVector c80 = zero, c81 = zero;
        FloatVector c90 = zero, c91 = zero;
        FloatVector c100 = zero, c101 = zero;
        FloatVector c110 = zero, c111 = zero;
        for (int k = 0; k < kc; k++) {
            int ak = aOff + k;
            int bk = bOff + k * NR;
            FloatVector b0 = FloatVector.fromArray(S, b, bk);
            FloatVector b1 = FloatVector.fromArray(S, b, bk + V);
            FloatVector a0 = FloatVector.broadcast(S, a[ak + 0 * lda]);
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(S, a[ak + 1 * lda]);
            c10 = a1.fma(b0, c10);
            c11 = a1.fma(b1, c11);
            FloatVector a2 = FloatVector.broadcast(S, a[ak + 2 * lda]);
            c20 = a2.fma(b0, c20);
            c21 = a2.fma(b1, c21);
            FloatVector a3 = FloatVector.broadcast(S, a[ak + 3 * lda]);
            c30 = a3.fma(b0, c30);
            c31 = a3.fma(b1, c31);
            FloatVector a4 = FloatVector.broadcast(S, a[ak + 4 * lda]);
            c40 = a4.fma(b0, c40);
            c41 = a4.fma(b1, c41);
            FloatVector a5 = FloatVector.broadcast(S, a[ak + 5 * lda]);
            c50 = a5.fma(b0, c50);
            c51 = a5.fma(b1, c51);
            FloatVector a6 = FloatVector.broadcast(S, a[ak + 6 * lda]);
            c60 = a6.fma(b0, c60);
            c61 = a6.fma(b1, c61);
            FloatVector a7 = FloatVector.broadcast(S, a[ak + 7 * lda]);
            c70 = a7.fma(b0, c70);
            c71 = a7.fma(b1, c71);
            FloatVector a8 = FloatVector.broadcast(S, a[ak + 8 * lda]);
            c80 = a8.fma(b0, c80);
            c81 = a8.fma(b1, c81);
            FloatVector a9 = FloatVector.broadcast(S, a[ak + 9 * lda]);
            c90 = a9.fma(b0, c90);
            c91 = a9.fma(b1, c91);
            FloatVector a10 = FloatVector.broadcast(S, a[ak + 10 * lda]);
            c100 = a10.fma(b0, c100);
            c101 = a10.fma(b1, c101);
            FloatVector a11 = FloatVector.broadcast(S, a[ak + 11 * lda]);
            c110 = a11.fma(b0, c110);
            c111 = a11.fma(b1, c111);
        }
        c00.intoMemorySegment(tile, 4L * (0 * NR), ORDER);
        c01.intoMemorySegment(tile, 4L * (0 * NR + V), ORDER);
        c10.intoMemorySegment(tile, 4L * (1 * NR), ORDER);
        c11.intoMemorySegment(tile, 4L * (1 * NR + V), ORDER);
        c20.intoMemorySegment(tile, 4L * (2 * NR), ORDER);
        c21.intoMemorySegment(tile, 4L * (2 * NR + V), ORDER);
        c30.intoMemorySegment(tile, 4L * (3 * NR), ORDER);
        c31.intoMemorySegment(tile, 4L * (3 * NR + V), ORDER);
        c40.intoMemorySegment(tile, 4L * (4 * NR), ORDER);
        c41.intoMemorySegment(tile, 4L * (4 * NR + V), ORDER);
        c50.intoMemorySegment(tile, 4L * (5 * NR), ORDER);
        c51.intoMemorySegment(tile, 4L * (5 * NR + V), ORDER);
        c60.intoMemorySegment(tile, 4L * (6 * NR), ORDER);
        c61.intoMemorySegment(tile, 4L * (6 * NR + V), ORDER);
        c70.intoMemorySegment(tile, 4L * (7 * NR), ORDER);
        c71.intoMemorySegment(tile, 4L * (7 * NR + V), ORDER);
        c80.intoMemorySegment(tile, 4L * (8 * NR), ORDER);
        c81.intoMemorySegment(tile, 4L * (8 * NR + V), ORDER);
        c90.intoMemorySegment(tile, 4L * (9 * NR), ORDER);
        c91.intoMemorySegment(tile, 4L * (9 * NR + V), ORDER);
        c100.intoMemorySegment(tile, 4L * (10 * NR), ORDER);
        c101.intoMemorySegment(tile, 4L * (10 * NR + V), ORDER);
        c110.intoMemorySegment(tile, 4L * (11 * NR), ORDER);
        c111.intoMemorySegment(tile, 4L * (11 * NR + V), ORDER);
        storeTile(tile, mr, rows, cols, c, cIndex, ldc, accumulate, epilogue, row0, col0);
    }

    /**
     * {@link #run12}'s row-major twin with 14 rows (28 accumulators, 31 of the 32 registers with B and the
     * broadcast), storing the first {@code rows} (13 or 14; all 14 rows of A must be readable). Measured as fast as
     * the 12-row tile on L1 data; it lets {@link RowPanels} split 196 or 49 pixels without a tail panel.
     */
    static void run14(int kc, float[] a, int aOff, int lda, float[] b, int bOff, MemorySegment c, long cIndex,
                      long ldc, int rows, int cols, boolean accumulate, Epilogue epilogue, int row0, int col0) {
        MemorySegment tile = TILE.get();
        FloatVector zero = FloatVector.zero(S);
        FloatVector c00 = zero, c01 = zero;
        FloatVector c10 = zero, c11 = zero;
        FloatVector c20 = zero, c21 = zero;
        FloatVector c30 = zero, c31 = zero;
        FloatVector c40 = zero, c41 = zero;
        FloatVector c50 = zero, c51 = zero;
        FloatVector c60 = zero, c61 = zero;
        FloatVector c70 = zero, c71 = zero;
        FloatVector c80 = zero, c81 = zero;
        FloatVector c90 = zero, c91 = zero;
        FloatVector c100 = zero, c101 = zero;
        FloatVector c110 = zero, c111 = zero;
        FloatVector c120 = zero, c121 = zero;
        FloatVector c130 = zero, c131 = zero;
        for (int k = 0; k < kc; k++) {
            int ak = aOff + k;
            int bk = bOff + k * NR;
            FloatVector b0 = FloatVector.fromArray(S, b, bk);
            FloatVector b1 = FloatVector.fromArray(S, b, bk + V);
            FloatVector a0 = FloatVector.broadcast(S, a[ak + 0 * lda]);
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(S, a[ak + 1 * lda]);
            c10 = a1.fma(b0, c10);
            c11 = a1.fma(b1, c11);
            FloatVector a2 = FloatVector.broadcast(S, a[ak + 2 * lda]);
            c20 = a2.fma(b0, c20);
            c21 = a2.fma(b1, c21);
            FloatVector a3 = FloatVector.broadcast(S, a[ak + 3 * lda]);
            c30 = a3.fma(b0, c30);
            c31 = a3.fma(b1, c31);
            FloatVector a4 = FloatVector.broadcast(S, a[ak + 4 * lda]);
            c40 = a4.fma(b0, c40);
            c41 = a4.fma(b1, c41);
            FloatVector a5 = FloatVector.broadcast(S, a[ak + 5 * lda]);
            c50 = a5.fma(b0, c50);
            c51 = a5.fma(b1, c51);
            FloatVector a6 = FloatVector.broadcast(S, a[ak + 6 * lda]);
            c60 = a6.fma(b0, c60);
            c61 = a6.fma(b1, c61);
            FloatVector a7 = FloatVector.broadcast(S, a[ak + 7 * lda]);
            c70 = a7.fma(b0, c70);
            c71 = a7.fma(b1, c71);
            FloatVector a8 = FloatVector.broadcast(S, a[ak + 8 * lda]);
            c80 = a8.fma(b0, c80);
            c81 = a8.fma(b1, c81);
            FloatVector a9 = FloatVector.broadcast(S, a[ak + 9 * lda]);
            c90 = a9.fma(b0, c90);
            c91 = a9.fma(b1, c91);
            FloatVector a10 = FloatVector.broadcast(S, a[ak + 10 * lda]);
            c100 = a10.fma(b0, c100);
            c101 = a10.fma(b1, c101);
            FloatVector a11 = FloatVector.broadcast(S, a[ak + 11 * lda]);
            c110 = a11.fma(b0, c110);
            c111 = a11.fma(b1, c111);
            FloatVector a12 = FloatVector.broadcast(S, a[ak + 12 * lda]);
            c120 = a12.fma(b0, c120);
            c121 = a12.fma(b1, c121);
            FloatVector a13 = FloatVector.broadcast(S, a[ak + 13 * lda]);
            c130 = a13.fma(b0, c130);
            c131 = a13.fma(b1, c131);
        }
        c00.intoMemorySegment(tile, 4L * (0 * NR), ORDER);
        c01.intoMemorySegment(tile, 4L * (0 * NR + V), ORDER);
        c10.intoMemorySegment(tile, 4L * (1 * NR), ORDER);
        c11.intoMemorySegment(tile, 4L * (1 * NR + V), ORDER);
        c20.intoMemorySegment(tile, 4L * (2 * NR), ORDER);
        c21.intoMemorySegment(tile, 4L * (2 * NR + V), ORDER);
        c30.intoMemorySegment(tile, 4L * (3 * NR), ORDER);
        c31.intoMemorySegment(tile, 4L * (3 * NR + V), ORDER);
        c40.intoMemorySegment(tile, 4L * (4 * NR), ORDER);
        c41.intoMemorySegment(tile, 4L * (4 * NR + V), ORDER);
        c50.intoMemorySegment(tile, 4L * (5 * NR), ORDER);
        c51.intoMemorySegment(tile, 4L * (5 * NR + V), ORDER);
        c60.intoMemorySegment(tile, 4L * (6 * NR), ORDER);
        c61.intoMemorySegment(tile, 4L * (6 * NR + V), ORDER);
        c70.intoMemorySegment(tile, 4L * (7 * NR), ORDER);
        c71.intoMemorySegment(tile, 4L * (7 * NR + V), ORDER);
        c80.intoMemorySegment(tile, 4L * (8 * NR), ORDER);
        c81.intoMemorySegment(tile, 4L * (8 * NR + V), ORDER);
        c90.intoMemorySegment(tile, 4L * (9 * NR), ORDER);
        c91.intoMemorySegment(tile, 4L * (9 * NR + V), ORDER);
        c100.intoMemorySegment(tile, 4L * (10 * NR), ORDER);
        c101.intoMemorySegment(tile, 4L * (10 * NR + V), ORDER);
        c110.intoMemorySegment(tile, 4L * (11 * NR), ORDER);
        c111.intoMemorySegment(tile, 4L * (11 * NR + V), ORDER);
        c120.intoMemorySegment(tile, 4L * (12 * NR), ORDER);
        c121.intoMemorySegment(tile, 4L * (12 * NR + V), ORDER);
        c130.intoMemorySegment(tile, 4L * (13 * NR), ORDER);
        c131.intoMemorySegment(tile, 4L * (13 * NR + V), ORDER);
        storeTile(tile, rows, rows, cols, c, cIndex, ldc, accumulate, epilogue, row0, col0);
    }

    @Override
    public void runInPlace(int kc, float[] x, int[] starts, int i, float[] b, int bOff, float[] y, int yOff,
                           int ldy) {
        if (rows == 8 && ROWS == 8) {
            runInPlace8(kc, x, starts, i, b, bOff, y, yOff, ldy);
            return;
        }
        if (rows != 12 || ROWS != 12) {
            MicroKernel.super.runInPlace(kc, x, starts, i, b, bOff, y, yOff, ldy);
            return;
        }
        FloatVector zero = FloatVector.zero(S);
        FloatVector c00 = zero, c01 = zero;
        FloatVector c10 = zero, c11 = zero;
        FloatVector c20 = zero, c21 = zero;
        FloatVector c30 = zero, c31 = zero;
        FloatVector c40 = zero, c41 = zero;
        FloatVector c50 = zero, c51 = zero;
        FloatVector c60 = zero, c61 = zero;
        FloatVector c70 = zero, c71 = zero;
        FloatVector c80 = zero, c81 = zero;
        FloatVector c90 = zero, c91 = zero;
        FloatVector c100 = zero, c101 = zero;
        FloatVector c110 = zero, c111 = zero;
        for (int k = 0; k < kc; k++) {
            int s = starts[k] + i;
            int bk = bOff + k * NR;
            FloatVector b0 = FloatVector.fromArray(S, b, bk);
            FloatVector b1 = FloatVector.fromArray(S, b, bk + V);
            FloatVector a0 = FloatVector.broadcast(S, x[s + 0]);
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(S, x[s + 1]);
            c10 = a1.fma(b0, c10);
            c11 = a1.fma(b1, c11);
            FloatVector a2 = FloatVector.broadcast(S, x[s + 2]);
            c20 = a2.fma(b0, c20);
            c21 = a2.fma(b1, c21);
            FloatVector a3 = FloatVector.broadcast(S, x[s + 3]);
            c30 = a3.fma(b0, c30);
            c31 = a3.fma(b1, c31);
            FloatVector a4 = FloatVector.broadcast(S, x[s + 4]);
            c40 = a4.fma(b0, c40);
            c41 = a4.fma(b1, c41);
            FloatVector a5 = FloatVector.broadcast(S, x[s + 5]);
            c50 = a5.fma(b0, c50);
            c51 = a5.fma(b1, c51);
            FloatVector a6 = FloatVector.broadcast(S, x[s + 6]);
            c60 = a6.fma(b0, c60);
            c61 = a6.fma(b1, c61);
            FloatVector a7 = FloatVector.broadcast(S, x[s + 7]);
            c70 = a7.fma(b0, c70);
            c71 = a7.fma(b1, c71);
            FloatVector a8 = FloatVector.broadcast(S, x[s + 8]);
            c80 = a8.fma(b0, c80);
            c81 = a8.fma(b1, c81);
            FloatVector a9 = FloatVector.broadcast(S, x[s + 9]);
            c90 = a9.fma(b0, c90);
            c91 = a9.fma(b1, c91);
            FloatVector a10 = FloatVector.broadcast(S, x[s + 10]);
            c100 = a10.fma(b0, c100);
            c101 = a10.fma(b1, c101);
            FloatVector a11 = FloatVector.broadcast(S, x[s + 11]);
            c110 = a11.fma(b0, c110);
            c111 = a11.fma(b1, c111);
        }
        c00.intoArray(y, yOff + 0 * ldy);
        c01.intoArray(y, yOff + 0 * ldy + V);
        c10.intoArray(y, yOff + 1 * ldy);
        c11.intoArray(y, yOff + 1 * ldy + V);
        c20.intoArray(y, yOff + 2 * ldy);
        c21.intoArray(y, yOff + 2 * ldy + V);
        c30.intoArray(y, yOff + 3 * ldy);
        c31.intoArray(y, yOff + 3 * ldy + V);
        c40.intoArray(y, yOff + 4 * ldy);
        c41.intoArray(y, yOff + 4 * ldy + V);
        c50.intoArray(y, yOff + 5 * ldy);
        c51.intoArray(y, yOff + 5 * ldy + V);
        c60.intoArray(y, yOff + 6 * ldy);
        c61.intoArray(y, yOff + 6 * ldy + V);
        c70.intoArray(y, yOff + 7 * ldy);
        c71.intoArray(y, yOff + 7 * ldy + V);
        c80.intoArray(y, yOff + 8 * ldy);
        c81.intoArray(y, yOff + 8 * ldy + V);
        c90.intoArray(y, yOff + 9 * ldy);
        c91.intoArray(y, yOff + 9 * ldy + V);
        c100.intoArray(y, yOff + 10 * ldy);
        c101.intoArray(y, yOff + 10 * ldy + V);
        c110.intoArray(y, yOff + 11 * ldy);
        c111.intoArray(y, yOff + 11 * ldy + V);
    }

    /** {@link #runInPlace} for the 8-row tile of the narrower widths: the same chains, 16 accumulators. */
    private static void runInPlace8(int kc, float[] x, int[] starts, int i, float[] b, int bOff, float[] y, int yOff,
                                    int ldy) {
        FloatVector zero = FloatVector.zero(S);
        FloatVector c00 = zero, c01 = zero;
        FloatVector c10 = zero, c11 = zero;
        FloatVector c20 = zero, c21 = zero;
        FloatVector c30 = zero, c31 = zero;
        FloatVector c40 = zero, c41 = zero;
        FloatVector c50 = zero, c51 = zero;
        FloatVector c60 = zero, c61 = zero;
        FloatVector c70 = zero, c71 = zero;
        for (int k = 0; k < kc; k++) {
            int s = starts[k] + i;
            int bk = bOff + k * NR;
            FloatVector b0 = FloatVector.fromArray(S, b, bk);
            FloatVector b1 = FloatVector.fromArray(S, b, bk + V);
            FloatVector a0 = FloatVector.broadcast(S, x[s + 0]);
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(S, x[s + 1]);
            c10 = a1.fma(b0, c10);
            c11 = a1.fma(b1, c11);
            FloatVector a2 = FloatVector.broadcast(S, x[s + 2]);
            c20 = a2.fma(b0, c20);
            c21 = a2.fma(b1, c21);
            FloatVector a3 = FloatVector.broadcast(S, x[s + 3]);
            c30 = a3.fma(b0, c30);
            c31 = a3.fma(b1, c31);
            FloatVector a4 = FloatVector.broadcast(S, x[s + 4]);
            c40 = a4.fma(b0, c40);
            c41 = a4.fma(b1, c41);
            FloatVector a5 = FloatVector.broadcast(S, x[s + 5]);
            c50 = a5.fma(b0, c50);
            c51 = a5.fma(b1, c51);
            FloatVector a6 = FloatVector.broadcast(S, x[s + 6]);
            c60 = a6.fma(b0, c60);
            c61 = a6.fma(b1, c61);
            FloatVector a7 = FloatVector.broadcast(S, x[s + 7]);
            c70 = a7.fma(b0, c70);
            c71 = a7.fma(b1, c71);
        }
        c00.intoArray(y, yOff + 0 * ldy);
        c01.intoArray(y, yOff + 0 * ldy + V);
        c10.intoArray(y, yOff + 1 * ldy);
        c11.intoArray(y, yOff + 1 * ldy + V);
        c20.intoArray(y, yOff + 2 * ldy);
        c21.intoArray(y, yOff + 2 * ldy + V);
        c30.intoArray(y, yOff + 3 * ldy);
        c31.intoArray(y, yOff + 3 * ldy + V);
        c40.intoArray(y, yOff + 4 * ldy);
        c41.intoArray(y, yOff + 4 * ldy + V);
        c50.intoArray(y, yOff + 5 * ldy);
        c51.intoArray(y, yOff + 5 * ldy + V);
        c60.intoArray(y, yOff + 6 * ldy);
        c61.intoArray(y, yOff + 6 * ldy + V);
        c70.intoArray(y, yOff + 7 * ldy);
        c71.intoArray(y, yOff + 7 * ldy + V);
    }

    @Override
    public void runRow(int k0, int k1, float[] x, int[] starts, int i, float[] b, int bOff, float[] y, int yOff,
                       int ldy, boolean accumulate) {
        FloatVector c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, c60, c61;
        if (accumulate) {
            c00 = FloatVector.fromArray(S, y, yOff + 0 * ldy);
            c01 = FloatVector.fromArray(S, y, yOff + 0 * ldy + V);
            c10 = FloatVector.fromArray(S, y, yOff + 1 * ldy);
            c11 = FloatVector.fromArray(S, y, yOff + 1 * ldy + V);
            c20 = FloatVector.fromArray(S, y, yOff + 2 * ldy);
            c21 = FloatVector.fromArray(S, y, yOff + 2 * ldy + V);
            c30 = FloatVector.fromArray(S, y, yOff + 3 * ldy);
            c31 = FloatVector.fromArray(S, y, yOff + 3 * ldy + V);
            c40 = FloatVector.fromArray(S, y, yOff + 4 * ldy);
            c41 = FloatVector.fromArray(S, y, yOff + 4 * ldy + V);
            c50 = FloatVector.fromArray(S, y, yOff + 5 * ldy);
            c51 = FloatVector.fromArray(S, y, yOff + 5 * ldy + V);
            c60 = FloatVector.fromArray(S, y, yOff + 6 * ldy);
            c61 = FloatVector.fromArray(S, y, yOff + 6 * ldy + V);
        } else {
            FloatVector zero = FloatVector.zero(S);
            c00 = zero; c01 = zero; c10 = zero; c11 = zero; c20 = zero; c21 = zero; c30 = zero; c31 = zero;
            c40 = zero; c41 = zero; c50 = zero; c51 = zero; c60 = zero; c61 = zero;
        }
        for (int k = k0; k < k1; k++) {
            int s = starts[k] + i;
            int bk = bOff + k * NR;
            FloatVector b0 = FloatVector.fromArray(S, b, bk);
            FloatVector b1 = FloatVector.fromArray(S, b, bk + V);
            FloatVector a0 = FloatVector.broadcast(S, x[s + 0]);
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(S, x[s + 1]);
            c10 = a1.fma(b0, c10);
            c11 = a1.fma(b1, c11);
            FloatVector a2 = FloatVector.broadcast(S, x[s + 2]);
            c20 = a2.fma(b0, c20);
            c21 = a2.fma(b1, c21);
            FloatVector a3 = FloatVector.broadcast(S, x[s + 3]);
            c30 = a3.fma(b0, c30);
            c31 = a3.fma(b1, c31);
            FloatVector a4 = FloatVector.broadcast(S, x[s + 4]);
            c40 = a4.fma(b0, c40);
            c41 = a4.fma(b1, c41);
            FloatVector a5 = FloatVector.broadcast(S, x[s + 5]);
            c50 = a5.fma(b0, c50);
            c51 = a5.fma(b1, c51);
            FloatVector a6 = FloatVector.broadcast(S, x[s + 6]);
            c60 = a6.fma(b0, c60);
            c61 = a6.fma(b1, c61);
        }
        c00.intoArray(y, yOff + 0 * ldy);
        c01.intoArray(y, yOff + 0 * ldy + V);
        c10.intoArray(y, yOff + 1 * ldy);
        c11.intoArray(y, yOff + 1 * ldy + V);
        c20.intoArray(y, yOff + 2 * ldy);
        c21.intoArray(y, yOff + 2 * ldy + V);
        c30.intoArray(y, yOff + 3 * ldy);
        c31.intoArray(y, yOff + 3 * ldy + V);
        c40.intoArray(y, yOff + 4 * ldy);
        c41.intoArray(y, yOff + 4 * ldy + V);
        c50.intoArray(y, yOff + 5 * ldy);
        c51.intoArray(y, yOff + 5 * ldy + V);
        c60.intoArray(y, yOff + 6 * ldy);
        c61.intoArray(y, yOff + 6 * ldy + V);
    }

    private static void run8(int kc, float[] a, int aOff, float[] b, int bOff, MemorySegment c, long cIndex, long ldc,
                             int rows, int cols, boolean accumulate, Epilogue epilogue, int row0, int col0) {
        final int mr = 8;
        MemorySegment tile = TILE.get();
        FloatVector zero = FloatVector.zero(S);
        FloatVector c00 = zero, c01 = zero;
        FloatVector c10 = zero, c11 = zero;
        FloatVector c20 = zero, c21 = zero;
        FloatVector c30 = zero, c31 = zero;
        FloatVector c40 = zero, c41 = zero;
        FloatVector c50 = zero, c51 = zero;
        FloatVector c60 = zero, c61 = zero;
        FloatVector c70 = zero, c71 = zero;
        for (int k = 0; k < kc; k++) {
            int ak = aOff + k * mr;
            int bk = bOff + k * NR;
            FloatVector b0 = FloatVector.fromArray(S, b, bk);
            FloatVector b1 = FloatVector.fromArray(S, b, bk + V);
            FloatVector a0 = FloatVector.broadcast(S, a[ak + 0]);
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(S, a[ak + 1]);
            c10 = a1.fma(b0, c10);
            c11 = a1.fma(b1, c11);
            FloatVector a2 = FloatVector.broadcast(S, a[ak + 2]);
            c20 = a2.fma(b0, c20);
            c21 = a2.fma(b1, c21);
            FloatVector a3 = FloatVector.broadcast(S, a[ak + 3]);
            c30 = a3.fma(b0, c30);
            c31 = a3.fma(b1, c31);
            FloatVector a4 = FloatVector.broadcast(S, a[ak + 4]);
            c40 = a4.fma(b0, c40);
            c41 = a4.fma(b1, c41);
            FloatVector a5 = FloatVector.broadcast(S, a[ak + 5]);
            c50 = a5.fma(b0, c50);
            c51 = a5.fma(b1, c51);
            FloatVector a6 = FloatVector.broadcast(S, a[ak + 6]);
            c60 = a6.fma(b0, c60);
            c61 = a6.fma(b1, c61);
            FloatVector a7 = FloatVector.broadcast(S, a[ak + 7]);
            c70 = a7.fma(b0, c70);
            c71 = a7.fma(b1, c71);
        }
        c00.intoMemorySegment(tile, 4L * (0 * NR), ORDER);
        c01.intoMemorySegment(tile, 4L * (0 * NR + V), ORDER);
        c10.intoMemorySegment(tile, 4L * (1 * NR), ORDER);
        c11.intoMemorySegment(tile, 4L * (1 * NR + V), ORDER);
        c20.intoMemorySegment(tile, 4L * (2 * NR), ORDER);
        c21.intoMemorySegment(tile, 4L * (2 * NR + V), ORDER);
        c30.intoMemorySegment(tile, 4L * (3 * NR), ORDER);
        c31.intoMemorySegment(tile, 4L * (3 * NR + V), ORDER);
        c40.intoMemorySegment(tile, 4L * (4 * NR), ORDER);
        c41.intoMemorySegment(tile, 4L * (4 * NR + V), ORDER);
        c50.intoMemorySegment(tile, 4L * (5 * NR), ORDER);
        c51.intoMemorySegment(tile, 4L * (5 * NR + V), ORDER);
        c60.intoMemorySegment(tile, 4L * (6 * NR), ORDER);
        c61.intoMemorySegment(tile, 4L * (6 * NR + V), ORDER);
        c70.intoMemorySegment(tile, 4L * (7 * NR), ORDER);
        c71.intoMemorySegment(tile, 4L * (7 * NR + V), ORDER);
        storeTile(tile, mr, rows, cols, c, cIndex, ldc, accumulate, epilogue, row0, col0);
    }

    @Override
    public void run2(int kc, float[] a, int aOff, float[] b, int bOff, int bOff2, MemorySegment c, long cIndex,
                     long cIndex2, long ldc, int rows, int cols, int cols2, boolean accumulate, Epilogue epilogue,
                     int row0, int col0, int col02) {
        if (this.rows != 1) {
            MicroKernel.super.run2(kc, a, aOff, b, bOff, bOff2, c, cIndex, cIndex2, ldc, rows, cols, cols2, accumulate,
                epilogue, row0, col0, col02);
            return;
        }
        FloatVector c00 = FloatVector.zero(S);
        FloatVector c01 = c00;
        FloatVector d00 = c00;
        FloatVector d01 = c00;
        for (int k = 0; k < kc; k++) {
            int bk = bOff + k * NR;
            int bk2 = bOff2 + k * NR;
            FloatVector a0 = FloatVector.broadcast(S, a[aOff + k]);
            c00 = a0.fma(FloatVector.fromArray(S, b, bk), c00);
            c01 = a0.fma(FloatVector.fromArray(S, b, bk + V), c01);
            d00 = a0.fma(FloatVector.fromArray(S, b, bk2), d00);
            d01 = a0.fma(FloatVector.fromArray(S, b, bk2 + V), d01);
        }
        MemorySegment tile = TILE.get();
        c00.intoMemorySegment(tile, 4L * 0, ORDER);
        c01.intoMemorySegment(tile, 4L * V, ORDER);
        storeOneRow(tile, c, cIndex, ldc, cols, accumulate, epilogue, row0, col0);
        d00.intoMemorySegment(tile, 4L * 0, ORDER);
        d01.intoMemorySegment(tile, 4L * V, ORDER);
        storeOneRow(tile, c, cIndex2, ldc, cols2, accumulate, epilogue, row0, col02);
    }

    private static void run1(int kc, float[] a, int aOff, float[] b, int bOff, MemorySegment c, long cIndex, long ldc,
                             int cols, boolean accumulate, Epilogue epilogue, int row0, int col0) {
        FloatVector c00 = FloatVector.zero(S);
        FloatVector c01 = c00;
        for (int k = 0; k < kc; k++) {
            int bk = bOff + k * NR;
            FloatVector a0 = FloatVector.broadcast(S, a[aOff + k]);
            c00 = a0.fma(FloatVector.fromArray(S, b, bk), c00);
            c01 = a0.fma(FloatVector.fromArray(S, b, bk + V), c01);
        }
        MemorySegment tile = TILE.get();
        c00.intoMemorySegment(tile, 4L * 0, ORDER);
        c01.intoMemorySegment(tile, 4L * V, ORDER);
        storeOneRow(tile, c, cIndex, ldc, cols, accumulate, epilogue, row0, col0);
    }

    /** The 1-row tile in the tile buffer to C: whole in one call, part-width row-wise. */
    private static void storeOneRow(MemorySegment tile, MemorySegment c, long cIndex, long ldc, int cols,
                                    boolean accumulate, Epilogue epilogue, int row0, int col0) {
        if (cols == NR) {
            storeFull(tile, 1, c, cIndex, ldc, accumulate, epilogue, row0, col0);
        } else {
            storeRow(tile, 0, c, cIndex, cols, accumulate, epilogue, row0, col0);
        }
    }

    /**
     * The {@code rows} × {@code cols} tile of an {@code mr}-row kernel from the tile buffer to C: whole tiles in one
     * call, part-width ones branch-free where the epilogue allows it, the rest row by row.
     */
    private static void storeTile(MemorySegment tile, int mr, int rows, int cols, MemorySegment c, long cIndex,
                                  long ldc, boolean accumulate, Epilogue epilogue, int row0, int col0) {
        if (rows == mr && cols == NR) {
            storeFull(tile, mr, c, cIndex, ldc, accumulate, epilogue, row0, col0);
            return;
        }
        if (rows == mr && !accumulate && blends(epilogue)) {
            storeBlendSet(tile, mr, cols, c, cIndex, ldc, epilogue, col0);
            return;
        }
        for (int r = 0; r < rows; r++) {
            storeRow(tile, r * NR, c, cIndex + r * ldc, cols, accumulate, epilogue, row0 + r, col0);
        }
    }

    /** Adding it changes no value, -0.0 included: the bias of an epilogue without one. */
    private static final FloatVector NO_BIAS = FloatVector.broadcast(S, -0.0f);

    /**
     * Whether a store applies this epilogue without branches (a column bias or a clamp, and bounds a compare and a
     * blend honour exactly); a plain copy and a row bias keep their own loops.
     */
    private static boolean blends(Epilogue e) {
        return e != null && e.rowBias() == null && (e.colBias() != null || e.clamps())
            && Epilogue.blendsMin(e.min()) && Epilogue.blendsMax(e.max());
    }

    /**
     * A tile of {@code cols} ≤ NR columns stored with the epilogue {@link #blends} accepts, without branches: adding
     * -0.0 (no bias) and blending in an infinite bound (no clamp) change no value, and the blends take two
     * instructions where Java's max/min semantics take several. A part tile (24 output channels: MobileNet's
     * projections) is stored masked here: through {@link #storeRow}'s per-row masked stores it cost as much as the
     * tile's FMAs at k = 96.
     */
    private static void storeBlendSet(MemorySegment tile, int rows, int cols, MemorySegment c, long cIndex, long ldc,
                                      Epilogue e, int col0) {
        VectorMask<Float> m0 = S.indexInRange(0, cols);
        VectorMask<Float> m1 = S.indexInRange(V, cols);
        float[] colBias = e.colBias();
        FloatVector bias0 = colBias == null ? NO_BIAS
            : FloatVector.fromArray(S, colBias, col0, S.indexInRange(col0, colBias.length));
        FloatVector bias1 = colBias == null ? NO_BIAS
            : FloatVector.fromArray(S, colBias, col0 + V, S.indexInRange(col0 + V, colBias.length));
        FloatVector minV = FloatVector.broadcast(S, e.min());
        FloatVector maxV = FloatVector.broadcast(S, e.max());
        long step = ldc * Float.BYTES;
        long at = cIndex * Float.BYTES;
        for (int r = 0; r < rows; r++, at += step) {
            FloatVector x0 = FloatVector.fromMemorySegment(S, tile, 4L * (r * NR), ORDER);
            FloatVector x1 = FloatVector.fromMemorySegment(S, tile, 4L * (r * NR + V), ORDER);
            x0 = x0.add(bias0);
            x1 = x1.add(bias1);
            x0 = x0.blend(minV, x0.compare(VectorOperators.LE, minV));
            x1 = x1.blend(minV, x1.compare(VectorOperators.LE, minV));
            x0 = x0.blend(maxV, x0.compare(VectorOperators.GE, maxV));
            x1 = x1.blend(maxV, x1.compare(VectorOperators.GE, maxV));
            if (cols == NR) {
                x0.intoMemorySegment(c, at, ORDER);
                x1.intoMemorySegment(c, at + V * Float.BYTES, ORDER);
            } else {
                x0.intoMemorySegment(c, at, ORDER, m0);
                x1.intoMemorySegment(c, at + V * Float.BYTES, ORDER, m1);
            }
        }
    }

    /**
     * A full tile: unmasked vector copies (or adds) from the tile buffer to C, with the epilogue (row or column bias,
     * then the clamp, in Epilogue.apply's order). The epilogue is written out here and in {@link #storeRow} rather
     * than in a helper taking and returning a vector: C2 sometimes compiles such a helper out of line, and then every
     * vector crossing it is boxed (the narrow tile's store allocated 8.8 MB per ResNet-18 inference so). Storing and
     * adding are separate methods, each with a profile of its own: with both paths in one method's profile, C2 kept
     * the segment's checks (class, read-only, bounds, session) inside the store loop, ~40 instructions per vector,
     * and a 16-deep GEMM ran 1.6-1.9× slower after a deep (k-blocked) one than alone (stop 19).
     */
    private static void storeFull(MemorySegment tile, int rows, MemorySegment c, long cIndex, long ldc,
                                  boolean accumulate, Epilogue epilogue, int row0, int col0) {
        if (accumulate) {
            storeFullAdd(tile, rows, c, cIndex, ldc, epilogue, row0, col0);
        } else {
            storeFullSet(tile, rows, c, cIndex, ldc, epilogue, row0, col0);
        }
    }

    private static void storeFullSet(MemorySegment tile, int rows, MemorySegment c, long cIndex, long ldc,
                                     Epilogue epilogue, int row0, int col0) {
        Epilogue e = epilogue == null ? Epilogue.NONE : epilogue;
        if (blends(e)) {
            storeBlendSet(tile, rows, NR, c, cIndex, ldc, e, col0);
            return;
        }
        float[] rowBias = e.rowBias();
        float[] colBias = e.colBias();
        boolean lo = e.min() != Float.NEGATIVE_INFINITY;
        boolean hi = e.max() != Float.POSITIVE_INFINITY;
        for (int r = 0; r < rows; r++) {
            long at = (cIndex + r * ldc) * Float.BYTES;
            for (int j = 0; j < NR; j += V) {
                long cat = at + (long) j * Float.BYTES;
                FloatVector x = FloatVector.fromMemorySegment(S, tile, 4L * (r * NR + j), ORDER);
                if (rowBias != null) {
                    x = x.add(rowBias[row0 + r]);
                }
                if (colBias != null) {
                    x = x.add(FloatVector.fromArray(S, colBias, col0 + j, S.indexInRange(col0 + j, colBias.length)));
                }
                if (lo) {
                    x = x.lanewise(VectorOperators.MAX, e.min());
                }
                if (hi) {
                    x = x.lanewise(VectorOperators.MIN, e.max());
                }
                x.intoMemorySegment(c, cat, ORDER);
            }
        }
    }

    private static void storeFullAdd(MemorySegment tile, int rows, MemorySegment c, long cIndex, long ldc,
                                     Epilogue epilogue, int row0, int col0) {
        Epilogue e = epilogue == null ? Epilogue.NONE : epilogue;
        if (blends(e)) {
            // storeBlendSet's store, added to what C holds: written out here, not shared through a flag (see
            // storeFull on one profile for both)
            float[] colBias = e.colBias();
            FloatVector bias0 = colBias == null ? NO_BIAS
                : FloatVector.fromArray(S, colBias, col0, S.indexInRange(col0, colBias.length));
            FloatVector bias1 = colBias == null ? NO_BIAS
                : FloatVector.fromArray(S, colBias, col0 + V, S.indexInRange(col0 + V, colBias.length));
            FloatVector minV = FloatVector.broadcast(S, e.min());
            FloatVector maxV = FloatVector.broadcast(S, e.max());
            long step = ldc * Float.BYTES;
            long at = cIndex * Float.BYTES;
            for (int r = 0; r < rows; r++, at += step) {
                FloatVector x0 = FloatVector.fromMemorySegment(S, tile, 4L * (r * NR), ORDER);
                FloatVector x1 = FloatVector.fromMemorySegment(S, tile, 4L * (r * NR + V), ORDER);
                x0 = x0.add(FloatVector.fromMemorySegment(S, c, at, ORDER));
                x1 = x1.add(FloatVector.fromMemorySegment(S, c, at + V * Float.BYTES, ORDER));
                x0 = x0.add(bias0);
                x1 = x1.add(bias1);
                x0 = x0.blend(minV, x0.compare(VectorOperators.LE, minV));
                x1 = x1.blend(minV, x1.compare(VectorOperators.LE, minV));
                x0 = x0.blend(maxV, x0.compare(VectorOperators.GE, maxV));
                x1 = x1.blend(maxV, x1.compare(VectorOperators.GE, maxV));
                x0.intoMemorySegment(c, at, ORDER);
                x1.intoMemorySegment(c, at + V * Float.BYTES, ORDER);
            }
            return;
        }
        float[] rowBias = e.rowBias();
        float[] colBias = e.colBias();
        boolean lo = e.min() != Float.NEGATIVE_INFINITY;
        boolean hi = e.max() != Float.POSITIVE_INFINITY;
        for (int r = 0; r < rows; r++) {
            long at = (cIndex + r * ldc) * Float.BYTES;
            for (int j = 0; j < NR; j += V) {
                long cat = at + (long) j * Float.BYTES;
                FloatVector x = FloatVector.fromMemorySegment(S, tile, 4L * (r * NR + j), ORDER);
                x = x.add(FloatVector.fromMemorySegment(S, c, cat, ORDER));
                if (rowBias != null) {
                    x = x.add(rowBias[row0 + r]);
                }
                if (colBias != null) {
                    x = x.add(FloatVector.fromArray(S, colBias, col0 + j, S.indexInRange(col0 + j, colBias.length)));
                }
                if (lo) {
                    x = x.lanewise(VectorOperators.MAX, e.min());
                }
                if (hi) {
                    x = x.lanewise(VectorOperators.MIN, e.max());
                }
                x.intoMemorySegment(c, cat, ORDER);
            }
        }
    }

    /**
     * {@code cols} (≤ NR) outputs of one tile row, from {@code tile[t]}: masked copies (or adds) with the epilogue,
     * as {@link #storeFull} (and split the same way). Also the narrow tile's store (same species).
     */
    static void storeRow(MemorySegment tile, int t, MemorySegment c, long index, int cols, boolean accumulate,
                         Epilogue epilogue, int row, int col0) {
        if (accumulate) {
            storeRowAdd(tile, t, c, index, cols, epilogue, row, col0);
        } else {
            storeRowSet(tile, t, c, index, cols, epilogue, row, col0);
        }
    }

    private static void storeRowSet(MemorySegment tile, int t, MemorySegment c, long index, int cols, Epilogue epilogue,
                                    int row, int col0) {
        Epilogue e = epilogue == null ? Epilogue.NONE : epilogue;
        float[] rowBias = e.rowBias();
        float[] colBias = e.colBias();
        boolean lo = e.min() != Float.NEGATIVE_INFINITY;
        boolean hi = e.max() != Float.POSITIVE_INFINITY;
        long off = index * Float.BYTES;
        for (int j = 0; j < cols; j += V) {
            VectorMask<Float> m = S.indexInRange(j, cols);
            long at = off + (long) j * Float.BYTES;
            FloatVector x = FloatVector.fromMemorySegment(S, tile, 4L * (t + j), ORDER);
            if (rowBias != null) {
                x = x.add(rowBias[row]);
            }
            if (colBias != null) {
                x = x.add(FloatVector.fromArray(S, colBias, col0 + j, S.indexInRange(col0 + j, colBias.length)));
            }
            if (lo) {
                x = x.lanewise(VectorOperators.MAX, e.min());
            }
            if (hi) {
                x = x.lanewise(VectorOperators.MIN, e.max());
            }
            x.intoMemorySegment(c, at, ORDER, m);
        }
    }

    private static void storeRowAdd(MemorySegment tile, int t, MemorySegment c, long index, int cols, Epilogue epilogue,
                                    int row, int col0) {
        Epilogue e = epilogue == null ? Epilogue.NONE : epilogue;
        float[] rowBias = e.rowBias();
        float[] colBias = e.colBias();
        boolean lo = e.min() != Float.NEGATIVE_INFINITY;
        boolean hi = e.max() != Float.POSITIVE_INFINITY;
        long off = index * Float.BYTES;
        for (int j = 0; j < cols; j += V) {
            VectorMask<Float> m = S.indexInRange(j, cols);
            long at = off + (long) j * Float.BYTES;
            FloatVector x = FloatVector.fromMemorySegment(S, tile, 4L * (t + j), ORDER);
            x = x.add(FloatVector.fromMemorySegment(S, c, at, ORDER, m));
            if (rowBias != null) {
                x = x.add(rowBias[row]);
            }
            if (colBias != null) {
                x = x.add(FloatVector.fromArray(S, colBias, col0 + j, S.indexInRange(col0 + j, colBias.length)));
            }
            if (lo) {
                x = x.lanewise(VectorOperators.MAX, e.min());
            }
            if (hi) {
                x = x.lanewise(VectorOperators.MIN, e.max());
            }
            x.intoMemorySegment(c, at, ORDER, m);
        }
    }
}
