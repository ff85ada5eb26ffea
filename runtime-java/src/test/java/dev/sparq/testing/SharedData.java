package dev.sparq.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The project's shared test data ({@code ../shared}: reference models, ONNX node tests). Without it tests skip with a
 * visible reason; under CI ({@code CI=true}) its absence fails the run, so a green CI always means they ran.
 */
public final class SharedData {
    private SharedData() {
    }

    public static Path dir() {
        String prop = System.getProperty("sparq.shared.dir");
        Path dir = prop != null ? Path.of(prop) : Path.of("..", "shared");
        boolean present = Files.isDirectory(dir.resolve("models")) && Files.isDirectory(dir.resolve("onnx-node-tests"));
        if (!present && "true".equalsIgnoreCase(System.getenv("CI"))) {
            throw new AssertionError("CI=true but the shared test data is missing at " + dir.toAbsolutePath()
                + " (expected ../shared beside the checkout)");
        }
        assumeTrue(present, "shared test data not found at " + dir.toAbsolutePath() + "; skipping");
        return dir;
    }

    public static Path models() {
        return dir().resolve("models");
    }

    public static Path nodeTests() {
        return dir().resolve("onnx-node-tests");
    }
}
