package dev.sparq.backend.cpu.simd;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The B operand of a convolution as GEMM, X[pixel][k] with k = (channel, ky, kx), packed straight from one NCHW
 * image without materializing the im2col matrix. Along a panel, pixels of one output row read a contiguous run of
 * the input row when the stride is 1, so runs are block-copied and only the borders are zero-filled.
 */
record Im2colSource(MemorySegment x, long imageOffset, ConvGeometry2d g) implements PanelSource {
    @Override
    public int rows() {
        return g.outputPixels();
    }

    @Override
    public int depth() {
        return g.depth();
    }

    @Override
    public Panels panels(int k0, int kb, int row0, int count, int width, Scratch scratch) {
        int panels = (count + width - 1) / width;
        float[] dst = scratch.get(panels * width * kb);
        int khw = g.kh() * g.kw();
        for (int p = 0; p < panels; p++) {
            int base = p * width * kb;
            int pix0 = row0 + p * width;
            int valid = Math.min(width, rows() - pix0);
            for (int k = 0; k < kb; k++) {
                int kk = k0 + k;
                int ch = kk / khw;
                int rem = kk - ch * khw;
                int ky = rem / g.kw();
                int kx = rem - ky * g.kw();
                fillLanes(dst, base + k * width, width, valid, pix0, ch, ky, kx);
            }
        }
        return new Panels(dst, 0, width * kb);
    }

    /** Writes lanes [0, width) of one packed k row: pixels pix0.. of the output, zero past {@code valid}. */
    private void fillLanes(float[] dst, int at, int width, int valid, int pix0, int ch, int ky, int kx) {
        long plane = imageOffset + (long) ch * g.h() * g.w();
        int lane = 0;
        int oy = pix0 / g.ow();
        int ox = pix0 - oy * g.ow();
        while (lane < valid) {
            int run = Math.min(valid - lane, g.ow() - ox);
            int iy = oy * g.sh() - g.padTop() + ky * g.dh();
            if (iy < 0 || iy >= g.h()) {
                java.util.Arrays.fill(dst, at + lane, at + lane + run, 0f);
            } else {
                long row = plane + (long) iy * g.w();
                int ix0 = ox * g.sw() - g.padLeft() + kx * g.dw();
                if (g.sw() == 1) {
                    // input columns ix0 .. ix0+run-1: copy the part inside the row, zero the rest
                    int lo = Math.max(0, -ix0);
                    int hi = Math.min(run, g.w() - ix0);
                    if (hi <= lo) {
                        java.util.Arrays.fill(dst, at + lane, at + lane + run, 0f);
                    } else {
                        java.util.Arrays.fill(dst, at + lane, at + lane + lo, 0f);
                        MemorySegment.copy(x, ValueLayout.JAVA_FLOAT, (row + ix0 + lo) * Float.BYTES, dst,
                            at + lane + lo, hi - lo);
                        java.util.Arrays.fill(dst, at + lane + hi, at + lane + run, 0f);
                    }
                } else {
                    for (int i = 0; i < run; i++) {
                        int ix = ix0 + i * g.sw();
                        dst[at + lane + i] = ix >= 0 && ix < g.w() ? x.getAtIndex(ValueLayout.JAVA_FLOAT, row + ix) : 0f;
                    }
                }
            }
            lane += run;
            ox = 0;
            oy++;
        }
        java.util.Arrays.fill(dst, at + valid, at + width, 0f);
    }
}
