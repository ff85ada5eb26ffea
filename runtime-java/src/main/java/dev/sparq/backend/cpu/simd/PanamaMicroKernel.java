package dev.sparq.backend.cpu.simd;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API tile: 8 rows × 2 vectors of accumulators (16 registers), one broadcast of A and two loads of B per
 * row and k. Written out by hand because the JIT keeps only named locals in registers; the accumulators go through
 * a small per-thread tile buffer before the store, so no vector ever crosses a call (which would box it).
 */
final class PanamaMicroKernel implements MicroKernel {
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    // Static final: C2 turns Vector API calls into instructions only when the species is a constant.
    private static final VectorSpecies<Float> S = PanamaSpecies.floats(SimdConfig.BITS == 0 ? 128 : SimdConfig.BITS);
    private static final int V = S.length();
    private static final int NR = 2 * V;
    private static final ThreadLocal<float[]> TILE = ThreadLocal.withInitial(() -> new float[MR * NR]);

    @Override
    public int nr() {
        return NR;
    }

    @Override
    public void run(int kc, float[] a, int aOff, float[] b, int bOff, MemorySegment c, long cIndex, long ldc, int rows,
                    int cols, boolean accumulate, Epilogue epilogue, int row0, int col0) {
        final int nr = NR;
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
            int ak = aOff + k * MR;
            int bk = bOff + k * nr;
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
        float[] tile = TILE.get();
        c00.intoArray(tile, 0 * nr);
        c01.intoArray(tile, 0 * nr + V);
        c10.intoArray(tile, 1 * nr);
        c11.intoArray(tile, 1 * nr + V);
        c20.intoArray(tile, 2 * nr);
        c21.intoArray(tile, 2 * nr + V);
        c30.intoArray(tile, 3 * nr);
        c31.intoArray(tile, 3 * nr + V);
        c40.intoArray(tile, 4 * nr);
        c41.intoArray(tile, 4 * nr + V);
        c50.intoArray(tile, 5 * nr);
        c51.intoArray(tile, 5 * nr + V);
        c60.intoArray(tile, 6 * nr);
        c61.intoArray(tile, 6 * nr + V);
        c70.intoArray(tile, 7 * nr);
        c71.intoArray(tile, 7 * nr + V);
        for (int r = 0; r < rows; r++) {
            storeRow(tile, r * nr, c, cIndex + r * ldc, cols, accumulate, epilogue, row0 + r, col0);
        }
    }

    private static void storeRow(float[] tile, int t, MemorySegment c, long index, int cols, boolean accumulate,
                                 Epilogue epilogue, int row, int col0) {
        long off = index * Float.BYTES;
        for (int j = 0; j < cols; j += V) {
            VectorMask<Float> m = S.indexInRange(j, cols);
            long at = off + (long) j * Float.BYTES;
            FloatVector x = FloatVector.fromArray(S, tile, t + j);
            if (accumulate) {
                x = x.add(FloatVector.fromMemorySegment(S, c, at, ORDER, m));
            }
            if (epilogue != null) {
                x = finish(x, epilogue, row, col0 + j);
            }
            x.intoMemorySegment(c, at, ORDER, m);
        }
    }

    /** Bias and clamp for V lanes starting at column {@code col}, in the same order as Epilogue.apply. */
    private static FloatVector finish(FloatVector x, Epilogue e, int row, int col) {
        if (e.rowBias() != null) {
            x = x.add(e.rowBias()[row]);
        }
        if (e.colBias() != null) {
            float[] cb = e.colBias();
            x = x.add(FloatVector.fromArray(S, cb, col, S.indexInRange(col, cb.length)));
        }
        if (e.clamps()) {
            x = x.lanewise(VectorOperators.MAX, e.min()).lanewise(VectorOperators.MIN, e.max());
        }
        return x;
    }
}
