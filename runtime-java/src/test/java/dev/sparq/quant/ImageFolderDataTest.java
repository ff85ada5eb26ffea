package dev.sparq.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparq.InvalidInputException;
import dev.sparq.graph.ValueInfo;
import dev.sparq.graph.ValueType;
import dev.sparq.quant.ImagePreprocessing.Channels;
import dev.sparq.quant.ImagePreprocessing.Layout;
import dev.sparq.tensor.Tensor;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageFolderDataTest {
    private static final List<ValueInfo> ONE_INPUT = List.of(new ValueInfo("x", ValueType.UNKNOWN));
    private static final float[] NO_NORM_MEAN = {0};
    private static final float[] NO_NORM_STD = {1};

    @TempDir
    Path dir;

    /** A 2x1 PNG: left pixel (255, 0, 51), right pixel (0, 102, 255). */
    private Path twoPixels(String name) throws IOException {
        BufferedImage img = new BufferedImage(2, 1, BufferedImage.TYPE_INT_RGB);
        img.setRGB(0, 0, 0xFF0033);
        img.setRGB(1, 0, 0x0066FF);
        Path file = dir.resolve(name);
        ImageIO.write(img, "png", file.toFile());
        return file;
    }

    private static float[] convert(Path file, ImagePreprocessing spec) {
        try (Tensor t = spec.apply(ImageFolderData.read(file))) {
            return t.toFloatArray();
        }
    }

    @Test
    void rgbNchwScalesPixelsToUnitRange() throws IOException {
        Path f = twoPixels("a.png");
        var spec = new ImagePreprocessing(2, 1, NO_NORM_MEAN, NO_NORM_STD, Channels.RGB, Layout.NCHW);
        assertArrayEquals(new float[] {1, 0, 0, 0.4f, 0.2f, 1}, convert(f, spec), 1e-6f);
        try (Tensor t = spec.apply(ImageFolderData.read(f))) {
            assertArrayEquals(new long[] {1, 3, 1, 2}, t.shape());
        }
    }

    @Test
    void bgrNhwcWithMeanAndStd() throws IOException {
        Path f = twoPixels("a.png");
        var spec = new ImagePreprocessing(2, 1, new float[] {0.5f, 0.5f, 0.5f}, new float[] {0.5f, 0.25f, 0.5f},
            Channels.BGR, Layout.NHWC);
        // Pixel 0 BGR = (0.2, 0, 1), pixel 1 BGR = (1, 0.4, 0); then (v - 0.5) / std.
        assertArrayEquals(new float[] {-0.6f, -2f, 1f, 1f, -0.4f, -1f}, convert(f, spec), 1e-6f);
    }

    @Test
    void grayUsesItuR601Luma() throws IOException {
        Path f = twoPixels("a.png");
        var spec = new ImagePreprocessing(2, 1, NO_NORM_MEAN, NO_NORM_STD, Channels.GRAY, Layout.NCHW);
        float left = (255 * 0.299f + 51 * 0.114f) / 255;
        float right = (102 * 0.587f + 255 * 0.114f) / 255;
        assertArrayEquals(new float[] {left, right}, convert(f, spec), 1e-5f);
    }

    @Test
    void resizesBilinearly() throws IOException {
        // A uniform image stays uniform at any size; a 2-pixel ramp upsampled to 4 stays between its ends.
        BufferedImage img = new BufferedImage(5, 3, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 3; y++) {
            for (int x = 0; x < 5; x++) {
                img.setRGB(x, y, 0x336699);
            }
        }
        Path f = dir.resolve("u.jpg");
        ImageIO.write(img, "png", f.toFile()); // PNG bytes under a .jpg name: ImageIO reads by content
        var spec = new ImagePreprocessing(8, 4, NO_NORM_MEAN, NO_NORM_STD, Channels.RGB, Layout.NCHW);
        float[] v = convert(f, spec);
        assertEquals(3 * 8 * 4, v.length);
        for (int i = 0; i < 32; i++) {
            assertEquals(0x33 / 255f, v[i], 1e-6f);
            assertEquals(0x99 / 255f, v[64 + i], 1e-6f);
        }
        var wide = new ImagePreprocessing(4, 1, NO_NORM_MEAN, NO_NORM_STD, Channels.RGB, Layout.NCHW);
        float[] red = java.util.Arrays.copyOf(convert(twoPixels("b.png"), wide), 4);
        assertEquals(1f, red[0], 1e-6f);
        assertEquals(0f, red[3], 1e-6f);
        assertTrue(red[1] > red[2] && red[1] < 1 && red[2] > 0, java.util.Arrays.toString(red));
    }

    @Test
    void folderGivesOneSamplePerImageInNameOrder() throws IOException {
        twoPixels("b.png");
        twoPixels("a.PNG");
        Files.writeString(dir.resolve("readme.md"), "ignored");
        var spec = new ImagePreprocessing(2, 1, NO_NORM_MEAN, NO_NORM_STD, Channels.GRAY, Layout.NHWC);
        CalibrationData data = CalibrationData.imageFolder(dir, spec);
        assertEquals(2, data.size());
        List<String> names = new ArrayList<>();
        try (CalibrationData.Samples it = data.samples()) {
            while (it.hasNext()) {
                try (Sample s = it.next()) {
                    assertArrayEquals(new long[] {1, 1, 2, 1}, s.bind(ONE_INPUT).get("x").shape());
                    names.add(Path.of(s.source()).getFileName().toString());
                }
            }
        }
        assertEquals(List.of("a.PNG", "b.png"), names);
    }

    @Test
    void unreadableImageIsNamed() throws IOException {
        Path bad = dir.resolve("broken.png");
        Files.writeString(bad, "not an image");
        var spec = new ImagePreprocessing(2, 1, NO_NORM_MEAN, NO_NORM_STD, Channels.RGB, Layout.NCHW);
        try (CalibrationData.Samples it = CalibrationData.imageFolder(dir, spec).samples()) {
            InvalidInputException e = assertThrows(InvalidInputException.class, it::next);
            assertEquals(bad + ": not a readable PNG or JPEG image", e.getMessage());
        }
    }

    @Test
    void specIsValidated() {
        assertThrows(IllegalArgumentException.class,
            () -> new ImagePreprocessing(0, 1, NO_NORM_MEAN, NO_NORM_STD, Channels.RGB, Layout.NCHW));
        assertThrows(IllegalArgumentException.class,
            () -> new ImagePreprocessing(2, 2, new float[] {0, 0}, NO_NORM_STD, Channels.RGB, Layout.NCHW));
        assertThrows(IllegalArgumentException.class,
            () -> new ImagePreprocessing(2, 2, NO_NORM_MEAN, new float[] {0}, Channels.RGB, Layout.NCHW));
        assertArrayEquals(new float[] {0.485f, 0.456f, 0.406f}, ImagePreprocessing.imagenet(224, 224).mean());
    }
}
