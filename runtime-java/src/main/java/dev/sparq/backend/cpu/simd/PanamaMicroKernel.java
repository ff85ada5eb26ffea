package dev.sparq.backend.cpu.simd;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The Vector API tile: 8 rows × 2 vectors of accumulators (16 registers), one broadcast of A and two loads of B per
 * row and k. Written out by hand because the JIT keeps only named locals in registers.
 */
final class PanamaMicroKernel implements MicroKernel {
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    private final VectorSpecies<Float> s;
    private final int v;

    PanamaMicroKernel(VectorSpecies<Float> species) {
        this.s = species;
        this.v = species.length();
    }

    @Override
    public int nr() {
        return 2 * v;
    }

    @Override
    public void run(int kc, float[] a, int aOff, float[] b, int bOff, MemorySegment c, long cIndex, long ldc, int rows,
                    int cols, boolean accumulate, Epilogue epilogue, int row0, int col0) {
        final VectorSpecies<Float> s = this.s;
        final int nr = 2 * v;
        FloatVector zero = FloatVector.zero(s);
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
            FloatVector b0 = FloatVector.fromArray(s, b, bk);
            FloatVector b1 = FloatVector.fromArray(s, b, bk + v);
            FloatVector a0 = FloatVector.broadcast(s, a[ak + 0]);
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(s, a[ak + 1]);
            c10 = a1.fma(b0, c10);
            c11 = a1.fma(b1, c11);
            FloatVector a2 = FloatVector.broadcast(s, a[ak + 2]);
            c20 = a2.fma(b0, c20);
            c21 = a2.fma(b1, c21);
            FloatVector a3 = FloatVector.broadcast(s, a[ak + 3]);
            c30 = a3.fma(b0, c30);
            c31 = a3.fma(b1, c31);
            FloatVector a4 = FloatVector.broadcast(s, a[ak + 4]);
            c40 = a4.fma(b0, c40);
            c41 = a4.fma(b1, c41);
            FloatVector a5 = FloatVector.broadcast(s, a[ak + 5]);
            c50 = a5.fma(b0, c50);
            c51 = a5.fma(b1, c51);
            FloatVector a6 = FloatVector.broadcast(s, a[ak + 6]);
            c60 = a6.fma(b0, c60);
            c61 = a6.fma(b1, c61);
            FloatVector a7 = FloatVector.broadcast(s, a[ak + 7]);
            c70 = a7.fma(b0, c70);
            c71 = a7.fma(b1, c71);
        }
        if (rows > 0) {
            store(c00, c01, c, cIndex + 0 * ldc, cols, accumulate, epilogue, row0 + 0, col0);
        }
        if (rows > 1) {
            store(c10, c11, c, cIndex + 1 * ldc, cols, accumulate, epilogue, row0 + 1, col0);
        }
        if (rows > 2) {
            store(c20, c21, c, cIndex + 2 * ldc, cols, accumulate, epilogue, row0 + 2, col0);
        }
        if (rows > 3) {
            store(c30, c31, c, cIndex + 3 * ldc, cols, accumulate, epilogue, row0 + 3, col0);
        }
        if (rows > 4) {
            store(c40, c41, c, cIndex + 4 * ldc, cols, accumulate, epilogue, row0 + 4, col0);
        }
        if (rows > 5) {
            store(c50, c51, c, cIndex + 5 * ldc, cols, accumulate, epilogue, row0 + 5, col0);
        }
        if (rows > 6) {
            store(c60, c61, c, cIndex + 6 * ldc, cols, accumulate, epilogue, row0 + 6, col0);
        }
        if (rows > 7) {
            store(c70, c71, c, cIndex + 7 * ldc, cols, accumulate, epilogue, row0 + 7, col0);
        }
    }

    private void store(FloatVector x0, FloatVector x1, MemorySegment c, long index, int cols, boolean accumulate,
                       Epilogue epilogue, int row, int col0) {
        long off = index * Float.BYTES;
        if (cols >= 2 * v) {
            if (accumulate) {
                x0 = x0.add(FloatVector.fromMemorySegment(s, c, off, ORDER));
                x1 = x1.add(FloatVector.fromMemorySegment(s, c, off + (long) v * Float.BYTES, ORDER));
            }
            if (epilogue != null) {
                x0 = finish(x0, epilogue, row, col0);
                x1 = finish(x1, epilogue, row, col0 + v);
            }
            x0.intoMemorySegment(c, off, ORDER);
            x1.intoMemorySegment(c, off + (long) v * Float.BYTES, ORDER);
            return;
        }
        VectorMask<Float> m0 = s.indexInRange(0, cols);
        VectorMask<Float> m1 = s.indexInRange(v, cols);
        if (accumulate) {
            x0 = x0.add(FloatVector.fromMemorySegment(s, c, off, ORDER, m0));
            x1 = x1.add(FloatVector.fromMemorySegment(s, c, off + (long) v * Float.BYTES, ORDER, m1));
        }
        if (epilogue != null) {
            x0 = finish(x0, epilogue, row, col0);
            x1 = finish(x1, epilogue, row, col0 + v);
        }
        x0.intoMemorySegment(c, off, ORDER, m0);
        if (m1.anyTrue()) {
            x1.intoMemorySegment(c, off + (long) v * Float.BYTES, ORDER, m1);
        }
    }

    /** Bias and clamp for {@code v} lanes starting at column {@code col}, in the same order as Epilogue.apply. */
    private FloatVector finish(FloatVector x, Epilogue e, int row, int col) {
        if (e.rowBias() != null) {
            x = x.add(e.rowBias()[row]);
        }
        if (e.colBias() != null) {
            float[] cb = e.colBias();
            x = x.add(FloatVector.fromArray(s, cb, col, s.indexInRange(col, cb.length)));
        }
        if (e.clamps()) {
            x = x.lanewise(VectorOperators.MAX, e.min()).lanewise(VectorOperators.MIN, e.max());
        }
        return x;
    }
}
