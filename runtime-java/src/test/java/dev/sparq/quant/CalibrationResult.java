package dev.sparq.quant;

import dev.sparq.tensor.DType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * TEST STAND-IN for the calibrator's result (another branch puts the real one in src/main with exactly these public
 * signatures). Only what the QDQ tests need: a TensorRT-format cache (first line a header, then
 * {@code name: <float32 bits of scale in hex>}, scale = threshold / 127) read back per scheme. Delete this file
 * when the real class is merged; {@link TestCalibrations} builds results only through {@link #fromCache}.
 */
public final class CalibrationResult {
    private final Map<String, TensorQuant> activations;
    private final String method;

    private CalibrationResult(Map<String, TensorQuant> activations, String method) {
        this.activations = Map.copyOf(activations);
        this.method = method;
    }

    public Map<String, TensorQuant> activations() {
        return activations;
    }

    public String method() {
        return method;
    }

    public int samples() {
        return 0;
    }

    public void writeCache(Path file) throws IOException {
        throw new UnsupportedOperationException("test stand-in");
    }

    public static CalibrationResult fromCache(Path file, QuantScheme scheme) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, TensorQuant> acts = new LinkedHashMap<>();
        for (String line : lines.subList(1, lines.size())) {
            int colon = line.lastIndexOf(':');
            String name = line.substring(0, colon).trim();
            float scale = Float.intBitsToFloat(Integer.parseUnsignedInt(line.substring(colon + 1).trim(), 16));
            acts.put(name, switch (scheme) {
                case INT8_SYMMETRIC -> new TensorQuant(name, scale, 0, DType.I8);
                // the symmetric range [-127 s, 127 s] on 0..255
                case UINT8_ASYMMETRIC -> new TensorQuant(name, scale * 254f / 255f, 128, DType.U8);
            });
        }
        return new CalibrationResult(acts, lines.get(0));
    }
}
