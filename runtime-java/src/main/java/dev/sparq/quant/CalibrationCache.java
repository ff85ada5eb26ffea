package dev.sparq.quant;

import dev.sparq.InvalidInputException;
import dev.sparq.tensor.DType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * TensorRT's text calibration cache: a header line {@code TRT-<version>-<Algorithm>}, then one line per tensor
 * {@code name: <8 hex digits>}, the big-endian bits of the float32 scale (int8 symmetric, so the threshold is
 * 127 × scale). Names may contain ": ", so a line splits at its last ": ".
 *
 * <p>The format has no zero points. Writing a uint8 asymmetric result stores the int8 symmetric scale that covers
 * the same range; reading for {@link QuantScheme#UINT8_ASYMMETRIC} gives zero point 128 (the symmetric range in
 * uint8).
 */
public final class CalibrationCache {
    /** The TensorRT version written in headers (8.6.1, whose caches TensorRT 8.x and 10.x read). */
    public static final String VERSION = "8601";

    private static final Pattern HEADER = Pattern.compile("TRT-(\\d+)-(\\w+)");
    private static final Pattern HEX = Pattern.compile("[0-9a-fA-F]{1,8}");
    private static final Map<String, String> ALGORITHMS = Map.of(
        "entropy", "EntropyCalibration2",
        "minmax", "MinMaxCalibration",
        "percentile", "SparqPercentile",
        "mse", "SparqMse");

    private CalibrationCache() {
    }

    /** The header's algorithm name for a method; unknown methods (from foreign caches) are written as they are. */
    static String algorithm(String method) {
        return ALGORITHMS.getOrDefault(method, method);
    }

    static String method(String algorithm) {
        return ALGORITHMS.entrySet().stream().filter(e -> e.getValue().equals(algorithm)).map(Map.Entry::getKey)
            .findFirst().orElse(algorithm);
    }

    public static void write(CalibrationResult result, Path file) throws IOException {
        StringBuilder text = new StringBuilder("TRT-" + VERSION + "-" + algorithm(result.method()) + "\n");
        for (TensorQuant q : result.activations().values()) {
            text.append(q.name()).append(": ").append(String.format("%08x", Float.floatToIntBits(symmetricScale(q))))
                .append('\n');
        }
        Files.writeString(file, text, StandardCharsets.UTF_8);
    }

    /** The int8 symmetric scale of {@code q}'s range: its own scale, or for uint8 the one covering [lo, hi]. */
    static float symmetricScale(TensorQuant q) {
        if (q.dtype() != DType.U8) {
            return q.scale();
        }
        double lo = -q.zeroPoint() * (double) q.scale();
        double hi = (255 - q.zeroPoint()) * (double) q.scale();
        return (float) (Math.max(-lo, hi) / 127);
    }

    /** Reads a cache for int8 symmetric activations (what TensorRT caches hold). */
    public static CalibrationResult read(Path file) {
        return read(file, QuantScheme.INT8_SYMMETRIC);
    }

    /** Reads a cache; malformed content throws {@link InvalidInputException} naming file and line. */
    public static CalibrationResult read(Path file, QuantScheme scheme) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new InvalidInputException(file + ": no such file");
        } catch (IOException e) {
            throw new InvalidInputException(file + ": cannot read: " + e.getMessage(), e);
        }
        if (lines.isEmpty()) {
            throw bad(file, 1, "empty file; expected a header like TRT-" + VERSION + "-EntropyCalibration2");
        }
        Matcher header = HEADER.matcher(lines.get(0).strip());
        if (!header.matches()) {
            throw bad(file, 1, "expected a header like TRT-" + VERSION + "-EntropyCalibration2, got '"
                + lines.get(0) + "'");
        }
        Map<String, TensorQuant> activations = new LinkedHashMap<>();
        for (int i = 1; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isBlank()) {
                continue;
            }
            int colon = line.lastIndexOf(": ");
            String hex = colon < 0 ? "" : line.substring(colon + 2).strip();
            if (colon <= 0 || !HEX.matcher(hex).matches()) {
                throw bad(file, i + 1, "expected 'name: <8 hex digits>', got '" + line + "'");
            }
            String name = line.substring(0, colon);
            float scale = Float.intBitsToFloat((int) Long.parseLong(hex, 16));
            if (!(scale > 0) || !Float.isFinite(scale)) {
                throw bad(file, i + 1, "scale of '" + name + "' is " + scale + "; it must be positive and finite");
            }
            if (activations.put(name, quant(name, scale, scheme)) != null) {
                throw bad(file, i + 1, "'" + name + "' appears twice");
            }
        }
        return new CalibrationResult(method(header.group(2)), 0, activations, Map.of());
    }

    private static TensorQuant quant(String name, float scale, QuantScheme scheme) {
        return switch (scheme) {
            case INT8_SYMMETRIC -> new TensorQuant(name, scale, 0, DType.I8);
            case UINT8_ASYMMETRIC -> new TensorQuant(name, scale, 128, DType.U8);
        };
    }

    private static InvalidInputException bad(Path file, int line, String what) {
        return new InvalidInputException(file + ":" + line + ": " + what);
    }
}
