package dev.sparq.backend.cpu.simd;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** F(4×4, 3×3) transforms in plain Java, lane by lane: the fallback and the definition. */
final class ScalarWinograd implements WinogradTransforms {
    private static final int LANES = 8;

    @Override
    public int lanes() {
        return LANES;
    }

    @Override
    public int tile() {
        return 4;
    }

    @Override
    public void input(float[] plane, int wp, int[] laneBase, float[] dst, int dstBase, int pStride) {
        float[] d = new float[36];
        float[] t = new float[36];
        for (int l = 0; l < LANES; l++) {
            for (int i = 0; i < 6; i++) {
                for (int j = 0; j < 6; j++) {
                    d[i * 6 + j] = plane[laneBase[l] + i * wp + j];
                }
            }
            for (int j = 0; j < 6; j++) { // t = Bᵀ d, column by column
                bt(d, j, 6, t, j, 6);
            }
            for (int i = 0; i < 6; i++) { // v = t B, row by row
                bt(t, i * 6, 1, d, i * 6, 1);
            }
            for (int p = 0; p < 36; p++) {
                dst[dstBase + p * pStride + l] = d[p];
            }
        }
    }

    /** Bᵀ applied to the 6 values x[at + k*step], written to y[yAt + r*yStep]. */
    private static void bt(float[] x, int at, int step, float[] y, int yAt, int yStep) {
        float d0 = x[at], d1 = x[at + step], d2 = x[at + 2 * step], d3 = x[at + 3 * step], d4 = x[at + 4 * step];
        float d5 = x[at + 5 * step];
        y[yAt] = 4 * d0 - 5 * d2 + d4;
        y[yAt + yStep] = -4 * d1 - 4 * d2 + d3 + d4;
        y[yAt + 2 * yStep] = 4 * d1 - 4 * d2 - d3 + d4;
        y[yAt + 3 * yStep] = -2 * d1 - d2 + 2 * d3 + d4;
        y[yAt + 4 * yStep] = 2 * d1 - d2 - 2 * d3 + d4;
        y[yAt + 5 * yStep] = 4 * d1 - 5 * d3 + d5;
    }

    @Override
    public void outputRow(MemorySegment m, long mBase, int pStride, int count, float bias, float min, float max,
                          float[] out, int outAt, int wo) {
        float[] a = new float[36];
        float[] t = new float[24];
        float[] y = new float[4];
        for (int l = 0; l < count; l++) {
            for (int p = 0; p < 36; p++) {
                a[p] = m.getAtIndex(ValueLayout.JAVA_FLOAT, mBase + (long) p * pStride + l);
            }
            for (int j = 0; j < 6; j++) { // t = Aᵀ a: 4×6
                at(a, j, 6, t, j, 6);
            }
            for (int i = 0; i < 4; i++) { // y = t A: 4×4
                at(t, i * 6, 1, y, 0, 1);
                for (int j = 0; j < 4; j++) {
                    out[outAt + l * 4 + i * wo + j] = Math.min(Math.max(y[j] + bias, min), max);
                }
            }
        }
    }

    private static void at(float[] x, int at, int step, float[] y, int yAt, int yStep) {
        float m0 = x[at], m1 = x[at + step], m2 = x[at + 2 * step], m3 = x[at + 3 * step], m4 = x[at + 4 * step];
        float m5 = x[at + 5 * step];
        y[yAt] = m0 + m1 + m2 + m3 + m4;
        y[yAt + yStep] = m1 - m2 + 2 * m3 - 2 * m4;
        y[yAt + 2 * yStep] = m1 + m2 + 4 * m3 + 4 * m4;
        y[yAt + 3 * yStep] = m1 - m2 + 8 * m3 - 8 * m4 + m5;
    }
}
