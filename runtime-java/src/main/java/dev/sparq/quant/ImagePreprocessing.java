package dev.sparq.quant;

import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;

/**
 * How an image becomes a model input: resize to width × height (bilinear, java.awt), scale pixels to [0, 1]
 * (pixel / 255), then {@code (v - mean[c]) / std[c]} per channel, in channel order RGB, BGR or GRAY (ITU-R 601
 * luma, as PIL's "L"), laid out as NCHW or NHWC with batch 1. A single mean or std value applies to every channel.
 */
public record ImagePreprocessing(int width, int height, float[] mean, float[] std, Channels channels, Layout layout) {
    /** Channel order of the tensor. */
    public enum Channels {
        RGB, BGR, GRAY;

        int count() {
            return this == GRAY ? 1 : 3;
        }
    }

    /** Memory layout of the tensor. */
    public enum Layout { NCHW, NHWC }

    public ImagePreprocessing {
        if (width < 1 || height < 1) {
            throw new IllegalArgumentException("image size must be positive, not " + width + "x" + height);
        }
        mean = perChannel("mean", mean, channels.count());
        std = perChannel("std", std, channels.count());
        for (float s : std) {
            if (!(s > 0)) {
                throw new IllegalArgumentException("std must be positive, not " + s);
            }
        }
    }

    /** ImageNet's usual spec: RGB, NCHW, mean (0.485, 0.456, 0.406), std (0.229, 0.224, 0.225). */
    public static ImagePreprocessing imagenet(int width, int height) {
        return new ImagePreprocessing(width, height, new float[] {0.485f, 0.456f, 0.406f},
            new float[] {0.229f, 0.224f, 0.225f}, Channels.RGB, Layout.NCHW);
    }

    private static float[] perChannel(String what, float[] values, int channels) {
        if (values.length == 1) {
            float[] all = new float[channels];
            java.util.Arrays.fill(all, values[0]);
            return all;
        }
        if (values.length != channels) {
            throw new IllegalArgumentException(what + " needs 1 or " + channels + " values, got " + values.length);
        }
        return values.clone();
    }

    @Override
    public float[] mean() {
        return mean.clone();
    }

    @Override
    public float[] std() {
        return std.clone();
    }

    /** A new f32 tensor [1, C, H, W] or [1, H, W, C] from {@code image}. */
    public Tensor apply(BufferedImage image) {
        BufferedImage rgb = resize(image);
        int c = channels.count();
        Tensor t = Tensor.allocate(DType.F32, layout == Layout.NCHW
            ? new long[] {1, c, height, width} : new long[] {1, height, width, c});
        float[] pixel = new float[c];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                channelValues(rgb.getRGB(x, y), pixel);
                for (int k = 0; k < c; k++) {
                    long at = layout == Layout.NCHW ? ((long) k * height + y) * width + x
                        : ((long) y * width + x) * c + k;
                    t.setFloat(at, (pixel[k] / 255f - mean[k]) / std[k]);
                }
            }
        }
        return t;
    }

    /** Pixel values 0..255 in the spec's channel order. */
    private void channelValues(int argb, float[] out) {
        int r = (argb >> 16) & 0xFF;
        int g = (argb >> 8) & 0xFF;
        int b = argb & 0xFF;
        switch (channels) {
            case RGB -> {
                out[0] = r;
                out[1] = g;
                out[2] = b;
            }
            case BGR -> {
                out[0] = b;
                out[1] = g;
                out[2] = r;
            }
            case GRAY -> out[0] = (r * 299 + g * 587 + b * 114) / 1000f;
        }
    }

    /** The image as RGB at the target size; an image already that size is only converted, not resampled. */
    private BufferedImage resize(BufferedImage src) {
        BufferedImage dst = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = dst.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
            g.drawImage(src, 0, 0, width, height, null);
        } finally {
            g.dispose();
        }
        return dst;
    }
}
