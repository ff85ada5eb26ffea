package dev.sparq.backend.cpu.simd;

/**
 * A 2-D convolution's shape after auto_pad is resolved: input C×H×W, kernel kh×kw, strides, dilations, leading
 * pads, output OH×OW.
 */
record ConvGeometry2d(int c, int h, int w, int kh, int kw, int sh, int sw, int dh, int dw, int padTop, int padLeft,
                      int oh, int ow) {
    int depth() {
        return c * kh * kw;
    }

    int outputPixels() {
        return oh * ow;
    }

    boolean isPointwise() {
        return kh == 1 && kw == 1 && sh == 1 && sw == 1 && padTop == 0 && padLeft == 0 && oh == h && ow == w;
    }
}
