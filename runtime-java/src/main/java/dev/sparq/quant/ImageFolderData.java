package dev.sparq.quant;

import dev.sparq.InvalidInputException;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import javax.imageio.ImageIO;

/** A folder of PNG and JPEG images, sorted by name, each one sample of a single-input model. */
final class ImageFolderData implements CalibrationData {
    private final Path dir;
    private final ImagePreprocessing spec;

    ImageFolderData(Path dir, ImagePreprocessing spec) {
        this.dir = dir;
        this.spec = spec;
    }

    @Override
    public Samples samples() {
        Iterator<Path> files = files().iterator();
        return new Samples() {
            @Override
            public boolean hasNext() {
                return files.hasNext();
            }

            @Override
            public Sample next() {
                Path file = files.next();
                return Sample.of(file.toString(), spec.apply(read(file)), true);
            }

            @Override
            public void close() {
            }
        };
    }

    @Override
    public int size() {
        return files().size();
    }

    private List<Path> files() {
        return SampleFiles.list(dir, "PNG or JPEG", ".png", ".jpg", ".jpeg");
    }

    static BufferedImage read(Path file) {
        try {
            BufferedImage image = ImageIO.read(file.toFile());
            if (image == null) {
                throw new InvalidInputException(file + ": not a readable PNG or JPEG image");
            }
            return image;
        } catch (IOException e) {
            throw new InvalidInputException(file + ": cannot read image: " + e.getMessage(), e);
        }
    }
}
