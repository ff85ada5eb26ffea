package dev.sparq.backend.cpu.simd;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * F(2×2, 3×3) transforms in plain Java, lane by lane: the fallback and the definition.
 *
 * <pre>
 * Bᵀ = [1  0 −1  0]   Aᵀ = [1 1  1  0]
 *      [0  1  1  0]        [0 1 −1 −1]
 *      [0 −1  1  0]
 *      [0  1  0 −1]
 * </pre>
 */
final class ScalarWinograd2 implements WinogradTransforms {
    private static final int LANES = 8;

    @Override
    public int lanes() {
        return LANES;
    }

    @Override
    public int tile() {
        return 2;
    }

    @Override
    public void input(float[] plane, int wp, int[] laneBase, float[] dst, int dstBase, int pStride) {
        float[] d = new float[16];
        float[] t = new float[16];
        for (int l = 0; l < LANES; l++) {
            for (int i = 0; i < 4; i++) {
                for (int j = 0; j < 4; j++) {
                    d[i * 4 + j] = plane[laneBase[l] + i * wp + j];
                }
            }
            for (int j = 0; j < 4; j++) { // t = Bᵀ d, column by column
                bt(d, j, 4, t, j, 4);
            }
            for (int i = 0; i < 4; i++) { // v = t B, row by row
                bt(t, i * 4, 1, d, i * 4, 1);
            }
            for (int p = 0; p < 16; p++) {
                dst[dstBase + p * pStride + l] = d[p];
            }
        }
    }

    private static void bt(float[] x, int at, int step, float[] y, int yAt, int yStep) {
        float d0 = x[at], d1 = x[at + step], d2 = x[at + 2 * step], d3 = x[at + 3 * step];
        y[yAt] = d0 - d2;
        y[yAt + yStep] = d1 + d2;
        y[yAt + 2 * yStep] = d2 - d1;
        y[yAt + 3 * yStep] = d1 - d3;
    }

    @Override
    public void outputRow(MemorySegment m, long mBase, int pStride, int count, float bias, float min, float max,
                          float[] out, int outAt, int wo) {
        float[] a = new float[16];
        float[] t = new float[8];
        float[] y = new float[2];
        for (int l = 0; l < count; l++) {
            for (int p = 0; p < 16; p++) {
                a[p] = m.getAtIndex(ValueLayout.JAVA_FLOAT, mBase + (long) p * pStride + l);
            }
            for (int j = 0; j < 4; j++) { // t = Aᵀ a: 2×4
                at(a, j, 4, t, j, 4);
            }
            for (int i = 0; i < 2; i++) { // y = t A: 2×2
                at(t, i * 4, 1, y, 0, 1);
                for (int j = 0; j < 2; j++) {
                    out[outAt + l * 2 + i * wo + j] = Math.min(Math.max(y[j] + bias, min), max);
                }
            }
        }
    }

    private static void at(float[] x, int at, int step, float[] y, int yAt, int yStep) {
        float m0 = x[at], m1 = x[at + step], m2 = x[at + 2 * step], m3 = x[at + 3 * step];
        y[yAt] = m0 + m1 + m2;
        y[yAt + yStep] = m1 - m2 - m3;
    }
}
