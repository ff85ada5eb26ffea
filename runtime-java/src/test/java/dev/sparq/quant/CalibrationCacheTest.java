package dev.sparq.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparq.InvalidInputException;
import dev.sparq.tensor.DType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CalibrationCacheTest {
    @TempDir
    Path dir;

    private static CalibrationResult result(String method, TensorQuant... quants) {
        Map<String, TensorQuant> m = new LinkedHashMap<>();
        for (TensorQuant q : quants) {
            m.put(q.name(), q);
        }
        return new CalibrationResult(method, 64, m, Map.of());
    }

    @Test
    void roundTripKeepsEveryScaleBitForBit() throws IOException {
        CalibrationResult r = result("entropy",
            new TensorQuant("input", 0.0078125f, 0, DType.I8),
            new TensorQuant("(Unnamed Layer* 3) [Convolution]_output: weird", 1.2345678e-3f, 0, DType.I8),
            new TensorQuant("/fc/Gemm_output_0", 3.3e-5f, 0, DType.I8));
        Path file = dir.resolve("calib.cache");
        r.writeCache(file);
        List<String> lines = Files.readAllLines(file);
        assertEquals("TRT-8601-EntropyCalibration2", lines.get(0));
        assertEquals("input: 3c000000", lines.get(1)); // 2^-7
        CalibrationResult back = CalibrationResult.fromCache(file, QuantScheme.INT8_SYMMETRIC);
        assertEquals(r.activations(), back.activations());
        assertEquals("entropy", back.method());
        assertEquals(r.activations(), CalibrationCache.read(file).activations());
    }

    @Test
    void everyMethodHasItsAlgorithmName() throws IOException {
        Map<String, String> algos = Map.of("entropy", "EntropyCalibration2", "minmax", "MinMaxCalibration",
            "percentile", "SparqPercentile", "mse", "SparqMse");
        for (var e : algos.entrySet()) {
            Path file = dir.resolve(e.getKey() + ".cache");
            result(e.getKey(), new TensorQuant("x", 1f, 0, DType.I8)).writeCache(file);
            assertEquals("TRT-8601-" + e.getValue(), Files.readAllLines(file).get(0));
            assertEquals(e.getKey(), CalibrationResult.fromCache(file, QuantScheme.INT8_SYMMETRIC).method());
        }
    }

    @Test
    void readsAHandWrittenTensorRtCache() throws IOException {
        Path file = dir.resolve("trt.cache");
        Files.writeString(file, """
            TRT-8601-EntropyCalibration2
            input.1: 3c010204
            (Unnamed Layer* 0) [Convolution]_output: 3d8b6a3c
            x: y: 3f800000

            """);
        CalibrationResult r = CalibrationResult.fromCache(file, QuantScheme.INT8_SYMMETRIC);
        assertEquals(List.of("input.1", "(Unnamed Layer* 0) [Convolution]_output", "x: y"),
            List.copyOf(r.activations().keySet()));
        assertEquals(Float.intBitsToFloat(0x3c010204), r.activations().get("input.1").scale());
        assertEquals(Float.intBitsToFloat(0x3d8b6a3c), r.activations().get("(Unnamed Layer* 0) [Convolution]_output")
            .scale());
        assertEquals(new TensorQuant("x: y", 1f, 0, DType.I8), r.activations().get("x: y"));
        assertEquals(0, r.samples());
        assertEquals(new TensorQuant("x: y", 1f, 128, DType.U8),
            CalibrationResult.fromCache(file, QuantScheme.UINT8_ASYMMETRIC).activations().get("x: y"));
    }

    @Test
    void foreignAlgorithmNamesAreKept() throws IOException {
        Path file = dir.resolve("legacy.cache");
        Files.writeString(file, "TRT-7103-LegacyCalibration\nx: 3f800000\n");
        CalibrationResult r = CalibrationResult.fromCache(file, QuantScheme.INT8_SYMMETRIC);
        assertEquals("LegacyCalibration", r.method());
        Path again = dir.resolve("again.cache");
        r.writeCache(again);
        assertEquals("TRT-8601-LegacyCalibration", Files.readAllLines(again).get(0));
    }

    @Test
    void uint8ResultsAreWrittenAsTheSymmetricScaleCoveringTheirRange() throws IOException {
        // [lo, hi] = [-zp * s, (255 - zp) * s] = [-0.5, 2.05]: int8 symmetric needs 2.05 / 127.
        float s = 0.01f;
        Path file = dir.resolve("u8.cache");
        result("minmax", new TensorQuant("x", s, 50, DType.U8)).writeCache(file);
        float back = CalibrationResult.fromCache(file, QuantScheme.INT8_SYMMETRIC).activations().get("x").scale();
        assertEquals(205 * s / 127, back, 1e-7);
    }

    @Test
    void malformedLinesNameFileAndLine() throws IOException {
        assertBad("", ":1: empty file");
        assertBad("TRT-EntropyCalibration2\nx: 3f800000\n", ":1: expected a header");
        assertBad("TRT-8601-EntropyCalibration2\nx: 3f800000\nno colon here\n", ":3: expected 'name: <8 hex digits>'");
        assertBad("TRT-8601-EntropyCalibration2\nx: 3f80000g\n", ":2: expected 'name: <8 hex digits>'");
        assertBad("TRT-8601-EntropyCalibration2\nx: 13f800000\n", ":2: expected 'name: <8 hex digits>'");
        assertBad("TRT-8601-EntropyCalibration2\n: 3f800000\n", ":2: expected 'name: <8 hex digits>'");
        assertBad("TRT-8601-EntropyCalibration2\nx: bf800000\n", ":2: scale of 'x' is -1.0");
        assertBad("TRT-8601-EntropyCalibration2\nx: 7fc00000\n", ":2: scale of 'x' is NaN");
        assertBad("TRT-8601-EntropyCalibration2\nx: 3f800000\nx: 3f800000\n", ":3: 'x' appears twice");
    }

    @Test
    void missingFileIsReported() {
        Path missing = dir.resolve("nope.cache");
        InvalidInputException e = assertThrows(InvalidInputException.class,
            () -> CalibrationResult.fromCache(missing, QuantScheme.INT8_SYMMETRIC));
        assertEquals(missing + ": no such file", e.getMessage());
    }

    private void assertBad(String text, String expected) throws IOException {
        Path file = dir.resolve("bad.cache");
        Files.writeString(file, text);
        InvalidInputException e = assertThrows(InvalidInputException.class,
            () -> CalibrationResult.fromCache(file, QuantScheme.INT8_SYMMETRIC));
        assertTrue(e.getMessage().startsWith(file + expected), e.getMessage());
    }
}
