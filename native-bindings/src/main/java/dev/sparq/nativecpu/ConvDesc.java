package dev.sparq.nativecpu;

import dev.sparq.backend.geometry.ConvGeometry2d;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * One 8-bit convolution as the native fused kernel reads it: {@code sparq_qconv_desc}, 21 int32 in C's field order,
 * written into a segment the caller owns. Values are checked here so C can trust them.
 */
public final class ConvDesc {
    static final long BYTES = 21 * 4;
    private static final int MAX_DEPTHWISE_TAPS = 512; // f32 sums of |x·w| ≤ 255·128 stay exact below 2^24

    private final int c;
    private final int h;
    private final int w;
    private final int cout;
    private final int kh;
    private final int kw;
    private final int oh;
    private final int ow;
    private final boolean depthwise;
    private final MemorySegment segment;
    /** Sizes the library computes for this descriptor, asked once (-1 = not yet). */
    private volatile long scratchBytes = -1;
    private volatile long weightBytes = -1;

    private ConvDesc(int[] v, MemorySegment segment) {
        if (segment.byteSize() < BYTES || !segment.isNative()) {
            throw new IllegalArgumentException("a convolution descriptor needs " + BYTES + " bytes of native memory");
        }
        for (int i = 0; i < 14; i++) {
            if (i != 10 && i != 11 && v[i] < 1) { // every size, stride and dilation; pads may be 0
                throw new IllegalArgumentException("convolution dimension " + i + " must be positive, got " + v[i]);
            }
        }
        if (v[10] < 0 || v[11] < 0) {
            throw new IllegalArgumentException("negative padding");
        }
        if (v[14] < 0 || v[14] > 255) {
            throw new IllegalArgumentException("input zero point " + v[14] + " outside the uint8 range it is read in");
        }
        CpuKernels.checkOutput(v[20] != 0, v[17], v[18], v[16]);
        boolean dw = v[19] != 0;
        if (dw && (v[3] != v[0] || (long) v[4] * v[5] > MAX_DEPTHWISE_TAPS)) {
            throw new IllegalArgumentException("depthwise needs cout == c and at most " + MAX_DEPTHWISE_TAPS + " taps");
        }
        // every window must start inside the padded image, or the kernel would read before the image
        if ((long) v[6] * (v[12] - 1) - v[10] >= v[1] + (long) v[6] || (long) v[7] * (v[13] - 1) - v[11] >= v[2] + (long) v[7]) {
            throw new IllegalArgumentException("output " + v[12] + "x" + v[13] + " does not fit the input");
        }
        for (int i = 0; i < v.length; i++) {
            segment.setAtIndex(ValueLayout.JAVA_INT, i, v[i]);
        }
        this.c = v[0];
        this.h = v[1];
        this.w = v[2];
        this.cout = v[3];
        this.kh = v[4];
        this.kw = v[5];
        this.oh = v[12];
        this.ow = v[13];
        this.depthwise = dw;
        this.segment = segment;
    }

    /**
     * The descriptor of one image's convolution: geometry {@code g} (channels of the whole input), {@code xZero} as
     * the kernel reads the input (x + 128 when {@code xFlip}, i.e. int8 input), output zero point, type and bounds
     * [yMin, yMax] (the type's range, or a fused clamp's).
     */
    public static ConvDesc of(ConvGeometry2d g, int cout, boolean depthwise, int xZero, boolean xFlip, int yZero,
                              boolean ySigned, int yMin, int yMax, MemorySegment into) {
        return new ConvDesc(new int[] {g.c(), g.h(), g.w(), cout, g.kh(), g.kw(), g.sh(), g.sw(), g.dh(), g.dw(),
            g.padTop(), g.padLeft(), g.oh(), g.ow(), xZero, xFlip ? 1 : 0, yZero, yMin, yMax, depthwise ? 1 : 0,
            ySigned ? 1 : 0}, into);
    }

    /** A descriptor with only what weight packing reads (channels and kernel size). */
    public static ConvDesc forWeights(int c, int cout, int kh, int kw, boolean depthwise, MemorySegment into) {
        return new ConvDesc(new int[] {c, 1, 1, cout, kh, kw, 1, 1, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 255,
            depthwise ? 1 : 0, 0}, into);
    }

    long scratchBytes(CpuKernels k) {
        long s = scratchBytes;
        if (s < 0) {
            s = k.convScratchSizeUncached(this);
            scratchBytes = s;
        }
        return s;
    }

    long weightBytes(CpuKernels k) {
        long s = weightBytes;
        if (s < 0) {
            s = k.convWeightsSizeUncached(this);
            weightBytes = s;
        }
        return s;
    }

    /** Whether this descriptor was made for an input of this size. */
    boolean fits(ConvGeometry2d g) {
        return g.h() == h && g.w() == w;
    }

    MemorySegment segment() {
        return segment;
    }

    int cout() {
        return cout;
    }

    boolean depthwise() {
        return depthwise;
    }

    /** Whether weights packed for {@code o} fit this descriptor: same channels, output channels, kernel and kind. */
    boolean sameFilters(ConvDesc o) {
        return c == o.c && cout == o.cout && kh == o.kh && kw == o.kw && depthwise == o.depthwise;
    }

    /** int8 weights per output channel. */
    long filterSize() {
        return (long) (depthwise ? 1 : c) * kh * kw;
    }

    long inputBytes() {
        return (long) c * h * w;
    }

    long outputBytes() {
        return (long) cout * oh * ow;
    }
}
