package dev.sparq.backend.cpu.simd;

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
 * registers. Full tiles go from the accumulators straight to C; edge tiles go through a small per-thread tile
 * buffer and masked stores, so no vector ever crosses a call that might not inline (which would box it).
 */
final class PanamaMicroKernel implements MicroKernel {
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    // Static final: C2 turns Vector API calls into instructions only when the species is a constant.
    private static final VectorSpecies<Float> S = PanamaSpecies.floats(SimdConfig.BITS == 0 ? 128 : SimdConfig.BITS);
    private static final int V = S.length();
    private static final int NR = 2 * V;
    /** Tile rows: the A panel width. */
    static final int ROWS = V >= 16 ? 12 : 8;
    private static final ThreadLocal<float[]> TILE = ThreadLocal.withInitial(() -> new float[ROWS * NR]);

    @Override
    public int mr() {
        return ROWS;
    }

    @Override
    public int nr() {
        return NR;
    }

    @Override
    public void run(int kc, float[] a, int aOff, float[] b, int bOff, MemorySegment c, long cIndex, long ldc, int rows,
                    int cols, boolean accumulate, Epilogue epilogue, int row0, int col0) {
        if (ROWS == 12) {
            run12(kc, a, aOff, b, bOff, c, cIndex, ldc, rows, cols, accumulate, epilogue, row0, col0);
        } else {
            run8(kc, a, aOff, b, bOff, c, cIndex, ldc, rows, cols, accumulate, epilogue, row0, col0);
        }
    }

    private static void run12(int kc, float[] a, int aOff, float[] b, int bOff, MemorySegment c, long cIndex, long ldc,
                             int rows, int cols, boolean accumulate, Epilogue epilogue, int row0, int col0) {
        final int mr = 12;
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
        // k unrolled by 2: half the loop and index arithmetic per FMA (scalar µops share ports with the FMAs)
        int k = 0;
        for (; k + 1 < kc; k += 2) {
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
            b0 = FloatVector.fromArray(S, b, bk + 2 * V);
            b1 = FloatVector.fromArray(S, b, bk + 3 * V);
            FloatVector a0_ = FloatVector.broadcast(S, a[ak + 12]);
            c00 = a0_.fma(b0, c00);
            c01 = a0_.fma(b1, c01);
            FloatVector a1_ = FloatVector.broadcast(S, a[ak + 13]);
            c10 = a1_.fma(b0, c10);
            c11 = a1_.fma(b1, c11);
            FloatVector a2_ = FloatVector.broadcast(S, a[ak + 14]);
            c20 = a2_.fma(b0, c20);
            c21 = a2_.fma(b1, c21);
            FloatVector a3_ = FloatVector.broadcast(S, a[ak + 15]);
            c30 = a3_.fma(b0, c30);
            c31 = a3_.fma(b1, c31);
            FloatVector a4_ = FloatVector.broadcast(S, a[ak + 16]);
            c40 = a4_.fma(b0, c40);
            c41 = a4_.fma(b1, c41);
            FloatVector a5_ = FloatVector.broadcast(S, a[ak + 17]);
            c50 = a5_.fma(b0, c50);
            c51 = a5_.fma(b1, c51);
            FloatVector a6_ = FloatVector.broadcast(S, a[ak + 18]);
            c60 = a6_.fma(b0, c60);
            c61 = a6_.fma(b1, c61);
            FloatVector a7_ = FloatVector.broadcast(S, a[ak + 19]);
            c70 = a7_.fma(b0, c70);
            c71 = a7_.fma(b1, c71);
            FloatVector a8_ = FloatVector.broadcast(S, a[ak + 20]);
            c80 = a8_.fma(b0, c80);
            c81 = a8_.fma(b1, c81);
            FloatVector a9_ = FloatVector.broadcast(S, a[ak + 21]);
            c90 = a9_.fma(b0, c90);
            c91 = a9_.fma(b1, c91);
            FloatVector a10_ = FloatVector.broadcast(S, a[ak + 22]);
            c100 = a10_.fma(b0, c100);
            c101 = a10_.fma(b1, c101);
            FloatVector a11_ = FloatVector.broadcast(S, a[ak + 23]);
            c110 = a11_.fma(b0, c110);
            c111 = a11_.fma(b1, c111);
        }
        if (k < kc) {
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
        }
        if (rows == mr && cols == NR && epilogue == null) {
            // a full tile without epilogue goes straight from registers to C: no tile buffer, no masks (written out:
            // a helper taking the vector might not inline, and would box it)
            long at = cIndex * Float.BYTES;
            long step = ldc * Float.BYTES;
            if (accumulate) {
                c00 = c00.add(FloatVector.fromMemorySegment(S, c, at, ORDER));
            }
            c00.intoMemorySegment(c, at, ORDER);
            if (accumulate) {
                c01 = c01.add(FloatVector.fromMemorySegment(S, c, at + V * Float.BYTES, ORDER));
            }
            c01.intoMemorySegment(c, at + V * Float.BYTES, ORDER);
            at += step;
            if (accumulate) {
                c10 = c10.add(FloatVector.fromMemorySegment(S, c, at, ORDER));
            }
            c10.intoMemorySegment(c, at, ORDER);
            if (accumulate) {
                c11 = c11.add(FloatVector.fromMemorySegment(S, c, at + V * Float.BYTES, ORDER));
            }
            c11.intoMemorySegment(c, at + V * Float.BYTES, ORDER);
            at += step;
            if (accumulate) {
                c20 = c20.add(FloatVector.fromMemorySegment(S, c, at, ORDER));
            }
            c20.intoMemorySegment(c, at, ORDER);
            if (accumulate) {
                c21 = c21.add(FloatVector.fromMemorySegment(S, c, at + V * Float.BYTES, ORDER));
            }
            c21.intoMemorySegment(c, at + V * Float.BYTES, ORDER);
            at += step;
            if (accumulate) {
                c30 = c30.add(FloatVector.fromMemorySegment(S, c, at, ORDER));
            }
            c30.intoMemorySegment(c, at, ORDER);
            if (accumulate) {
                c31 = c31.add(FloatVector.fromMemorySegment(S, c, at + V * Float.BYTES, ORDER));
            }
            c31.intoMemorySegment(c, at + V * Float.BYTES, ORDER);
            at += step;
            if (accumulate) {
                c40 = c40.add(FloatVector.fromMemorySegment(S, c, at, ORDER));
            }
            c40.intoMemorySegment(c, at, ORDER);
            if (accumulate) {
                c41 = c41.add(FloatVector.fromMemorySegment(S, c, at + V * Float.BYTES, ORDER));
            }
            c41.intoMemorySegment(c, at + V * Float.BYTES, ORDER);
            at += step;
            if (accumulate) {
                c50 = c50.add(FloatVector.fromMemorySegment(S, c, at, ORDER));
            }
            c50.intoMemorySegment(c, at, ORDER);
            if (accumulate) {
                c51 = c51.add(FloatVector.fromMemorySegment(S, c, at + V * Float.BYTES, ORDER));
            }
            c51.intoMemorySegment(c, at + V * Float.BYTES, ORDER);
            at += step;
            if (accumulate) {
                c60 = c60.add(FloatVector.fromMemorySegment(S, c, at, ORDER));
            }
            c60.intoMemorySegment(c, at, ORDER);
            if (accumulate) {
                c61 = c61.add(FloatVector.fromMemorySegment(S, c, at + V * Float.BYTES, ORDER));
            }
            c61.intoMemorySegment(c, at + V * Float.BYTES, ORDER);
            at += step;
            if (accumulate) {
                c70 = c70.add(FloatVector.fromMemorySegment(S, c, at, ORDER));
            }
            c70.intoMemorySegment(c, at, ORDER);
            if (accumulate) {
                c71 = c71.add(FloatVector.fromMemorySegment(S, c, at + V * Float.BYTES, ORDER));
            }
            c71.intoMemorySegment(c, at + V * Float.BYTES, ORDER);
            at += step;
            if (accumulate) {
                c80 = c80.add(FloatVector.fromMemorySegment(S, c, at, ORDER));
            }
            c80.intoMemorySegment(c, at, ORDER);
            if (accumulate) {
                c81 = c81.add(FloatVector.fromMemorySegment(S, c, at + V * Float.BYTES, ORDER));
            }
            c81.intoMemorySegment(c, at + V * Float.BYTES, ORDER);
            at += step;
            if (accumulate) {
                c90 = c90.add(FloatVector.fromMemorySegment(S, c, at, ORDER));
            }
            c90.intoMemorySegment(c, at, ORDER);
            if (accumulate) {
                c91 = c91.add(FloatVector.fromMemorySegment(S, c, at + V * Float.BYTES, ORDER));
            }
            c91.intoMemorySegment(c, at + V * Float.BYTES, ORDER);
            at += step;
            if (accumulate) {
                c100 = c100.add(FloatVector.fromMemorySegment(S, c, at, ORDER));
            }
            c100.intoMemorySegment(c, at, ORDER);
            if (accumulate) {
                c101 = c101.add(FloatVector.fromMemorySegment(S, c, at + V * Float.BYTES, ORDER));
            }
            c101.intoMemorySegment(c, at + V * Float.BYTES, ORDER);
            at += step;
            if (accumulate) {
                c110 = c110.add(FloatVector.fromMemorySegment(S, c, at, ORDER));
            }
            c110.intoMemorySegment(c, at, ORDER);
            if (accumulate) {
                c111 = c111.add(FloatVector.fromMemorySegment(S, c, at + V * Float.BYTES, ORDER));
            }
            c111.intoMemorySegment(c, at + V * Float.BYTES, ORDER);
            return;
        }
        float[] tile = TILE.get();
        c00.intoArray(tile, 0 * NR);
        c01.intoArray(tile, 0 * NR + V);
        c10.intoArray(tile, 1 * NR);
        c11.intoArray(tile, 1 * NR + V);
        c20.intoArray(tile, 2 * NR);
        c21.intoArray(tile, 2 * NR + V);
        c30.intoArray(tile, 3 * NR);
        c31.intoArray(tile, 3 * NR + V);
        c40.intoArray(tile, 4 * NR);
        c41.intoArray(tile, 4 * NR + V);
        c50.intoArray(tile, 5 * NR);
        c51.intoArray(tile, 5 * NR + V);
        c60.intoArray(tile, 6 * NR);
        c61.intoArray(tile, 6 * NR + V);
        c70.intoArray(tile, 7 * NR);
        c71.intoArray(tile, 7 * NR + V);
        c80.intoArray(tile, 8 * NR);
        c81.intoArray(tile, 8 * NR + V);
        c90.intoArray(tile, 9 * NR);
        c91.intoArray(tile, 9 * NR + V);
        c100.intoArray(tile, 10 * NR);
        c101.intoArray(tile, 10 * NR + V);
        c110.intoArray(tile, 11 * NR);
        c111.intoArray(tile, 11 * NR + V);
        for (int r = 0; r < rows; r++) {
            storeRow(tile, r * NR, c, cIndex + r * ldc, cols, accumulate, epilogue, row0 + r, col0);
        }
    }

    private static void run8(int kc, float[] a, int aOff, float[] b, int bOff, MemorySegment c, long cIndex, long ldc,
                             int rows, int cols, boolean accumulate, Epilogue epilogue, int row0, int col0) {
        final int mr = 8;
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
        if (rows == mr && cols == NR && epilogue == null) {
            // a full tile without epilogue goes straight from registers to C: no tile buffer, no masks (written out:
            // a helper taking the vector might not inline, and would box it)
            long at = cIndex * Float.BYTES;
            long step = ldc * Float.BYTES;
            if (accumulate) {
                c00 = c00.add(FloatVector.fromMemorySegment(S, c, at, ORDER));
            }
            c00.intoMemorySegment(c, at, ORDER);
            if (accumulate) {
                c01 = c01.add(FloatVector.fromMemorySegment(S, c, at + V * Float.BYTES, ORDER));
            }
            c01.intoMemorySegment(c, at + V * Float.BYTES, ORDER);
            at += step;
            if (accumulate) {
                c10 = c10.add(FloatVector.fromMemorySegment(S, c, at, ORDER));
            }
            c10.intoMemorySegment(c, at, ORDER);
            if (accumulate) {
                c11 = c11.add(FloatVector.fromMemorySegment(S, c, at + V * Float.BYTES, ORDER));
            }
            c11.intoMemorySegment(c, at + V * Float.BYTES, ORDER);
            at += step;
            if (accumulate) {
                c20 = c20.add(FloatVector.fromMemorySegment(S, c, at, ORDER));
            }
            c20.intoMemorySegment(c, at, ORDER);
            if (accumulate) {
                c21 = c21.add(FloatVector.fromMemorySegment(S, c, at + V * Float.BYTES, ORDER));
            }
            c21.intoMemorySegment(c, at + V * Float.BYTES, ORDER);
            at += step;
            if (accumulate) {
                c30 = c30.add(FloatVector.fromMemorySegment(S, c, at, ORDER));
            }
            c30.intoMemorySegment(c, at, ORDER);
            if (accumulate) {
                c31 = c31.add(FloatVector.fromMemorySegment(S, c, at + V * Float.BYTES, ORDER));
            }
            c31.intoMemorySegment(c, at + V * Float.BYTES, ORDER);
            at += step;
            if (accumulate) {
                c40 = c40.add(FloatVector.fromMemorySegment(S, c, at, ORDER));
            }
            c40.intoMemorySegment(c, at, ORDER);
            if (accumulate) {
                c41 = c41.add(FloatVector.fromMemorySegment(S, c, at + V * Float.BYTES, ORDER));
            }
            c41.intoMemorySegment(c, at + V * Float.BYTES, ORDER);
            at += step;
            if (accumulate) {
                c50 = c50.add(FloatVector.fromMemorySegment(S, c, at, ORDER));
            }
            c50.intoMemorySegment(c, at, ORDER);
            if (accumulate) {
                c51 = c51.add(FloatVector.fromMemorySegment(S, c, at + V * Float.BYTES, ORDER));
            }
            c51.intoMemorySegment(c, at + V * Float.BYTES, ORDER);
            at += step;
            if (accumulate) {
                c60 = c60.add(FloatVector.fromMemorySegment(S, c, at, ORDER));
            }
            c60.intoMemorySegment(c, at, ORDER);
            if (accumulate) {
                c61 = c61.add(FloatVector.fromMemorySegment(S, c, at + V * Float.BYTES, ORDER));
            }
            c61.intoMemorySegment(c, at + V * Float.BYTES, ORDER);
            at += step;
            if (accumulate) {
                c70 = c70.add(FloatVector.fromMemorySegment(S, c, at, ORDER));
            }
            c70.intoMemorySegment(c, at, ORDER);
            if (accumulate) {
                c71 = c71.add(FloatVector.fromMemorySegment(S, c, at + V * Float.BYTES, ORDER));
            }
            c71.intoMemorySegment(c, at + V * Float.BYTES, ORDER);
            return;
        }
        float[] tile = TILE.get();
        c00.intoArray(tile, 0 * NR);
        c01.intoArray(tile, 0 * NR + V);
        c10.intoArray(tile, 1 * NR);
        c11.intoArray(tile, 1 * NR + V);
        c20.intoArray(tile, 2 * NR);
        c21.intoArray(tile, 2 * NR + V);
        c30.intoArray(tile, 3 * NR);
        c31.intoArray(tile, 3 * NR + V);
        c40.intoArray(tile, 4 * NR);
        c41.intoArray(tile, 4 * NR + V);
        c50.intoArray(tile, 5 * NR);
        c51.intoArray(tile, 5 * NR + V);
        c60.intoArray(tile, 6 * NR);
        c61.intoArray(tile, 6 * NR + V);
        c70.intoArray(tile, 7 * NR);
        c71.intoArray(tile, 7 * NR + V);
        for (int r = 0; r < rows; r++) {
            storeRow(tile, r * NR, c, cIndex + r * ldc, cols, accumulate, epilogue, row0 + r, col0);
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
