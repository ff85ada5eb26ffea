package dev.sparq.nativecpu;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;

/**
 * Finds and loads libsparq_kernels: from {@code -Dsparq.native.lib=PATH} if set, else from the jar
 * (dev/sparq/nativelib/linux-ARCH/), copied to a temporary file as JavaCPP and ONNX Runtime do. Loading happens once;
 * a failure is remembered with its reason so {@code sparq devices} can show it.
 */
final class NativeLibrary {
    static final String NAME = "libsparq_kernels.so";

    private static final Result RESULT = load();

    record Result(SymbolLookup lookup, String source, String failure) {
    }

    private NativeLibrary() {
    }

    static Result get() {
        return RESULT;
    }

    private static Result load() {
        try {
            String forced = System.getProperty("sparq.native.lib");
            Path file;
            String source;
            if (forced != null) {
                file = Path.of(forced);
                source = forced;
                if (!Files.isRegularFile(file)) {
                    return new Result(null, source, "sparq.native.lib points to " + forced + ", which does not exist");
                }
            } else {
                String os = System.getProperty("os.name").toLowerCase(Locale.ROOT);
                String arch = System.getProperty("os.arch");
                String resource = "/dev/sparq/nativelib/" + (os.contains("linux") ? "linux" : os) + "-" + arch + "/" + NAME;
                try (InputStream in = NativeLibrary.class.getResourceAsStream(resource)) {
                    if (in == null) {
                        return new Result(null, resource, "no native library built for " + os + "-" + arch
                            + " in this build (kernels/ needs a C compiler at build time)");
                    }
                    file = Files.createTempFile("sparq_kernels", ".so");
                    file.toFile().deleteOnExit();
                    Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
                }
                source = "jar:" + resource;
            }
            return new Result(SymbolLookup.libraryLookup(file, Arena.global()), source, null);
        } catch (IOException | RuntimeException | UnsatisfiedLinkError e) {
            return new Result(null, "?", "cannot load the native library: " + e);
        }
    }
}
