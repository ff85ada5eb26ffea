package dev.sparq.backend.cpu.simd;

/**
 * Convolution weights [cout][depth] as vector panels for the kernels that broadcast pixels ({@link PixelGemmConv},
 * {@link PixelRowConv}): panel p holds channels p·nr .. p·nr + nr − 1 at {@link #offset}(p), laid out [k][nr], zero
 * past cout.
 */
record ChannelPanels(int cout, int depth, int nr, int panels, float[] packed) {
    static ChannelPanels of(float[] weights, int cout, int nr) {
        int depth = weights.length / cout;
        int panels = (cout + nr - 1) / nr;
        float[] packed = new float[panels * depth * nr];
        for (int c = 0; c < cout; c++) {
            for (int k = 0; k < depth; k++) {
                packed[(c / nr) * depth * nr + k * nr + c % nr] = weights[c * depth + k];
            }
        }
        return new ChannelPanels(cout, depth, nr, panels, packed);
    }

    /** Where panel p starts in {@link #packed}. */
    int offset(int p) {
        return p * depth * nr;
    }

    /** Channels of all panels, the last one's padding included. */
    int width() {
        return panels * nr;
    }
}
