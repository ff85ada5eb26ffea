package dev.sparq.compress;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;

/**
 * Sizes of a model file on disk and gzipped (best compression): a dense file full of zeros is as large as the
 * original, and gzip shows what a compressed format of those zeros would save, with a tool anyone can rerun.
 */
public final class FileSizes {
    private FileSizes() {
    }

    /** Bytes of {@code file} after gzip -9. */
    public static long gzipped(Path file) throws IOException {
        Counting count = new Counting();
        try (InputStream in = Files.newInputStream(file);
             GZIPOutputStream gz = new GZIPOutputStream(count, 1 << 16) {
                 {
                     def.setLevel(Deflater.BEST_COMPRESSION);
                 }
             }) {
            in.transferTo(gz);
        }
        return count.n;
    }

    private static final class Counting extends OutputStream {
        long n;

        @Override
        public void write(int b) {
            n++;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            n += len;
        }
    }
}
