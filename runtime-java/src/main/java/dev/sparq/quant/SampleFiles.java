package dev.sparq.quant;

import dev.sparq.InvalidInputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/** Lists a folder's sample files with given extensions, sorted by name, so every pass sees the same order. */
final class SampleFiles {
    private SampleFiles() {
    }

    static List<Path> list(Path dir, String what, String... extensions) {
        if (!Files.isDirectory(dir)) {
            throw new InvalidInputException(dir + ": not a directory");
        }
        try (Stream<Path> files = Files.list(dir)) {
            List<Path> found = files.filter(Files::isRegularFile).filter(p -> hasExtension(p, extensions))
                .sorted((a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString())).toList();
            if (found.isEmpty()) {
                throw new InvalidInputException(dir + ": no " + what + " files");
            }
            return found;
        } catch (IOException e) {
            throw new InvalidInputException(dir + ": cannot list: " + e.getMessage(), e);
        }
    }

    private static boolean hasExtension(Path p, String... extensions) {
        String name = p.getFileName().toString().toLowerCase(Locale.ROOT);
        for (String ext : extensions) {
            if (name.endsWith(ext)) {
                return true;
            }
        }
        return false;
    }
}
