package dev.sparq.backend.cpu.simd;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Plain Java tile for machines or JVMs without the Vector API; same packed layouts, same results order. */
final class ScalarMicroKernel implements MicroKernel {
    static final int NR = 16;

    @Override
    public int nr() {
        return NR;
    }

    @Override
    public void run(int kc, float[] a, int aOff, float[] b, int bOff, MemorySegment c, long cIndex, long ldc, int rows,
                    int cols, boolean accumulate, Epilogue epilogue, int row0, int col0) {
        float[] acc = new float[MR * NR];
        for (int k = 0; k < kc; k++) {
            int ak = aOff + k * MR;
            int bk = bOff + k * NR;
            for (int r = 0; r < MR; r++) {
                float av = a[ak + r];
                for (int j = 0; j < NR; j++) {
                    acc[r * NR + j] = Math.fma(av, b[bk + j], acc[r * NR + j]);
                }
            }
        }
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < cols; j++) {
                long idx = cIndex + r * ldc + j;
                float v = acc[r * NR + j];
                if (accumulate) {
                    v += c.getAtIndex(ValueLayout.JAVA_FLOAT, idx);
                }
                if (epilogue != null) {
                    v = epilogue.apply(v, row0 + r, col0 + j);
                }
                c.setAtIndex(ValueLayout.JAVA_FLOAT, idx, v);
            }
        }
    }
}
