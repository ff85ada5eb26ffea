package dev.sparq.backend.geometry;

/**
 * A 2-D convolution's shape after auto_pad is resolved: input C×H×W, kernel kh×kw, strides, dilations, leading
 * pads, output OH×OW.
 */
public record ConvGeometry2d(int c, int h, int w, int kh, int kw, int sh, int sw, int dh, int dw, int padTop, int padLeft,
                      int oh, int ow) {
    public int depth() {
        return c * kh * kw;
    }

    public int outputPixels() {
        return oh * ow;
    }

    public boolean isPointwise() {
        return kh == 1 && kw == 1 && sh == 1 && sw == 1 && padTop == 0 && padLeft == 0 && oh == h && ow == w;
    }
}
