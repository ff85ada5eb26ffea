package dev.sparq.backend.cpu.simd;

import dev.sparq.backend.geometry.ConvGeometry2d;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * One channel plane copied into a heap buffer with its padding filled in (zeros for convolution, −∞ for max
 * pooling) and, for strides above 1, split into column phases, so that the inputs of a window tap (ky, kx) for a
 * whole output row are one contiguous run: {@link #run(int, int, int)} gives where it starts. Stride 2 in both
 * directions is split into row phases as well (4 planes), so that, as at stride 1, a tap's inputs for all output
 * rows are one run ({@link #flat()}). Shared by the depthwise and direct convolutions, im2col and the pools.
 */
final class PaddedPlane {
    private final ConvGeometry2d g;
    private final int hp;
    private final int wp;
    private final int pw;
    /** Rows per row phase: hp for one phase, ceil(hp / 2) when rows are split too (stride 2 × 2). */
    private final int hq;
    /** Stride 2 × 2: rows split into phases as well as columns (4 planes). */
    private final boolean split2x2;
    /** A 1×1 window without padding at stride 2 × 2 reads the even rows' phases only: the odd rows are skipped. */
    private final boolean evenRowsOnly;
    private final float[] data;
    private final int dataOff;
    private final float[] phases;
    private final int phasesOff;

    PaddedPlane(ConvGeometry2d g, float[] data, float[] phases) {
        this(g, data, 0, phases, 0);
    }

    /** A plane stored at {@code dataOff} of {@code data} (phases at {@code phasesOff}), for many planes in one array. */
    PaddedPlane(ConvGeometry2d g, float[] data, int dataOff, float[] phases, int phasesOff) {
        this.g = g;
        this.hp = paddedHeight(g);
        this.wp = paddedWidth(g);
        this.pw = (wp + g.sw() - 1) / g.sw();
        this.split2x2 = rowPhases(g) == 2;
        this.evenRowsOnly = split2x2 && g.kh() == 1 && g.kw() == 1 && g.padTop() == 0 && g.padLeft() == 0;
        this.hq = split2x2 ? (hp + 1) / 2 : hp;
        this.data = data;
        this.dataOff = dataOff;
        this.phases = phases;
        this.phasesOff = phasesOff;
    }

    /** Rows of the padded plane: the input's with the top padding, or as many as the windows reach. */
    private static int paddedHeight(ConvGeometry2d g) {
        return Math.max(g.h() + g.padTop(), (g.oh() - 1) * g.sh() + (g.kh() - 1) * g.dh() + 1);
    }

    /** Columns of the padded plane: the input's with the left padding, or as many as the windows reach. */
    private static int paddedWidth(ConvGeometry2d g) {
        return Math.max(g.w() + g.padLeft(), (g.ow() - 1) * g.sw() + (g.kw() - 1) * g.dw() + 1);
    }

    /** Floats needed for the plane buffer (padded plane plus one row of tail). */
    static int planeSize(ConvGeometry2d g) {
        int wp = paddedWidth(g);
        return paddedHeight(g) * wp + wp;
    }

    /** Floats needed for the phase buffer (0 when the stride is 1). */
    static int phaseSize(ConvGeometry2d g) {
        if (g.sw() == 1) {
            return 0;
        }
        int hp = paddedHeight(g);
        int pw = (paddedWidth(g) + g.sw() - 1) / g.sw();
        // 2 × 2 phases: plus one row, as a flat run over the last phase reads past its last row's end
        return rowPhases(g) == 2 ? 4 * ((hp + 1) / 2) * pw + pw : g.sw() * hp * pw;
    }

    /** 2 when rows are split into phases as well as columns (stride 2 in both directions), else 1. */
    private static int rowPhases(ConvGeometry2d g) {
        return g.sh() == 2 && g.sw() == 2 ? 2 : 1;
    }

    /** Loads the plane starting at element {@code at} of {@code xs}; the padding gets {@code fill}. */
    void load(MemorySegment xs, long at, float fill) {
        if (split2x2) {
            loadPhases(xs, at, fill);
            return;
        }
        java.util.Arrays.fill(data, dataOff, dataOff + hp * wp + wp, fill);
        for (int iy = 0; iy < g.h(); iy++) {
            MemorySegment.copy(xs, ValueLayout.JAVA_FLOAT, (at + (long) iy * g.w()) * Float.BYTES, data,
                dataOff + (iy + g.padTop()) * wp + g.padLeft(), g.w());
        }
        splitPhases(fill);
    }

    /**
     * Stride 2 × 2: each input row split straight from the image into its two column phases (element c lands at
     * padded column c + padLeft, i.e. phase (c + padLeft) % 2, index (c + padLeft) / 2), with no padded copy first.
     */
    private void loadPhases(MemorySegment xs, long at, float fill) {
        java.util.Arrays.fill(phases, phasesOff, phasesOff + 4 * hq * pw + pw, fill);
        int p = g.padLeft();
        SimdOps ops = SimdOps.get();
        for (int iy = 0; iy < g.h(); iy += evenRowsOnly ? 2 : 1) {
            int y = iy + g.padTop();
            int evens = phasesOff + (((p % 2) * 2 + y % 2) * hq + y / 2) * pw + p / 2;
            int odds = phasesOff + ((((p + 1) % 2) * 2 + y % 2) * hq + y / 2) * pw + (p + 1) / 2;
            ops.deinterleave2(xs, at + (long) iy * g.w(), g.w(), phases, evens, phases, odds);
        }
    }

    /**
     * Loads an 8-bit plane (uint8 or int8 bytes from byte {@code at} of {@code xs}) as floats minus its zero point,
     * for the integer convolutions: the padding gets 0, i.e. the zero point itself, so it adds nothing.
     */
    void loadCentered(MemorySegment xs, long at, boolean unsigned, int zero) {
        java.util.Arrays.fill(data, dataOff, dataOff + hp * wp + wp, 0f);
        SimdOps ops = SimdOps.get();
        for (int iy = 0; iy < g.h(); iy++) {
            ops.widen(xs, at + (long) iy * g.w(), unsigned, zero, data, dataOff + (iy + g.padTop()) * wp + g.padLeft(),
                g.w());
        }
        splitPhases(0f);
    }

    /** For strides above 1, copies the padded plane into its column phases. */
    private void splitPhases(float fill) {
        if (split2x2) {
            for (int y = 0; y < hp; y++) {
                int even = phasesOff + ((y % 2) * hq + y / 2) * pw;
                int odd = phasesOff + ((2 + y % 2) * hq + y / 2) * pw;
                phases[even + pw - 1] = fill; // the odd phase is one short when wp is odd
                phases[odd + pw - 1] = fill;
                SimdOps.get().deinterleave2(data, dataOff + y * wp, wp, phases, even, phases, odd);
            }
            if (hp % 2 == 1) { // the odd-row phases' last row has no input row: fill it
                java.util.Arrays.fill(phases, phasesOff + (hq + hq - 1) * pw, phasesOff + 2 * hq * pw, fill);
                java.util.Arrays.fill(phases, phasesOff + (3 * hq + hq - 1) * pw, phasesOff + 4 * hq * pw, fill);
            }
        } else if (g.sw() == 2) {
            for (int y = 0; y < hp; y++) {
                phases[phasesOff + y * pw + pw - 1] = fill; // the odd phase is one short when wp is odd
                phases[phasesOff + (hp + y) * pw + pw - 1] = fill;
                SimdOps.get().deinterleave2(data, dataOff + y * wp, wp, phases, phasesOff + y * pw, phases,
                    phasesOff + (hp + y) * pw);
            }
        } else if (g.sw() > 2) {
            for (int r = 0; r < g.sw(); r++) {
                for (int y = 0; y < hp; y++) {
                    for (int x = 0; x < pw; x++) {
                        int col = x * g.sw() + r;
                        phases[phasesOff + (r * hp + y) * pw + x] = col < wp ? data[dataOff + y * wp + col] : fill;
                    }
                }
            }
        }
    }

    /** The array holding the runs: the padded plane for stride 1, the phases otherwise. */
    float[] array() {
        return g.sw() == 1 ? data : phases;
    }

    /** Start of the contiguous run of inputs for output row {@code oy} and tap (ky, kx): {@code ow} values. */
    int run(int oy, int ky, int kx) {
        int y = oy * g.sh() + ky * g.dh();
        int col = kx * g.dw();
        if (g.sw() == 1) {
            return dataOff + y * wp + col;
        }
        if (split2x2) {
            return phasesOff + (((col % 2) * 2 + y % 2) * hq + y / 2) * pw + col / 2;
        }
        return phasesOff + ((col % g.sw()) * hp + y) * pw + col / g.sw();
    }

    /**
     * For stride 1 or 2 × 2: the plane (or each 2 × 2 phase) as one long row of width {@link #flatStride()}, so a
     * tap over all output rows is a single run of {@code oh * flatStride()} values starting at {@link #flatRun};
     * output (oy, ox) is at oy * flatStride() + ox (the columns past ow are garbage).
     */
    boolean flat() {
        return isFlat(g);
    }

    /** {@link #flat()} for planes of geometry {@code g}. */
    static boolean isFlat(ConvGeometry2d g) {
        return isFlat(g.sh(), g.sw());
    }

    /** {@link #flat()} for these strides: 1 × 1 or 2 × 2. */
    static boolean isFlat(int sh, int sw) {
        return (sh == 1 && sw == 1) || (sh == 2 && sw == 2);
    }

    int flatRun(int ky, int kx) {
        if (!split2x2) {
            return dataOff + ky * g.dh() * wp + kx * g.dw();
        }
        int y = ky * g.dh();
        int col = kx * g.dw();
        return phasesOff + (((col % 2) * 2 + y % 2) * hq + y / 2) * pw + col / 2;
    }

    /** Row stride of the flat layout: the padded width at stride 1, the phase width at stride 2. */
    int flatStride() {
        return !split2x2 ? wp : pw;
    }

    /** {@link #flatStride()} for planes of geometry {@code g}. */
    static int flatStride(ConvGeometry2d g) {
        return rowPhases(g) == 2 ? (paddedWidth(g) + 1) / 2 : paddedWidth(g);
    }
}
