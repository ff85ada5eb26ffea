package dev.sparq.cli;

import dev.sparq.SparqException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The bundled demo model and its samples (made by platforms/demo/make_demo_model.py), copied out of the jar into a
 * temporary folder that is deleted on close.
 */
final class DemoAssets implements AutoCloseable {
    private static final String ROOT = "/dev/sparq/demo/";
    static final String MODEL = "digits-demo.onnx";
    static final String EVAL_X = "digits-demo-eval-x.npy";
    static final String EVAL_Y = "digits-demo-eval-y.npy";
    static final String EVAL_LOGITS = "digits-demo-eval-logits.npy";
    static final String CALIB_DIR = "digits-demo-calib";
    static final int CALIB_SAMPLES = 64;

    private final Path dir;

    DemoAssets() throws IOException {
        dir = Files.createTempDirectory("sparq-demo");
        for (String f : new String[] {MODEL, EVAL_X, EVAL_Y, EVAL_LOGITS, "digits-demo.json"}) {
            extract(f);
        }
        Files.createDirectories(dir.resolve(CALIB_DIR));
        for (int i = 0; i < CALIB_SAMPLES; i++) {
            extract(CALIB_DIR + "/" + String.format("sample_%03d.npy", i));
        }
    }

    private void extract(String name) throws IOException {
        try (InputStream in = DemoAssets.class.getResourceAsStream(ROOT + name)) {
            if (in == null) {
                throw new SparqException("demo asset " + name + " is missing from the jar (rebuild with ./mvnw package)");
            }
            Files.copy(in, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING);
        }
    }

    Path path(String name) {
        return dir.resolve(name);
    }

    /** The FP32 test accuracy recorded when the model was trained. */
    double recordedAccuracy() throws IOException {
        Matcher m = Pattern.compile("\"fp32_test\"\\s*:\\s*([0-9.]+)").matcher(Files.readString(path("digits-demo.json")));
        return m.find() ? Double.parseDouble(m.group(1)) : Double.NaN;
    }

    @Override
    public void close() throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
