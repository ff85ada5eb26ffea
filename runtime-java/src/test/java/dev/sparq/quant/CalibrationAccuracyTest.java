package dev.sparq.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparq.Session;
import dev.sparq.Sparq;
import dev.sparq.graph.Model;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Npy;
import dev.sparq.tensor.Tensor;
import dev.sparq.testing.Logits;
import dev.sparq.testing.SharedData;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The accuracy target end to end: calibrate digits-cnn on a sample of its data with each method and scheme,
 * write the QDQ model, run it optimized (QDQ chains fused into integer ops) over the whole test split, and keep the
 * accuracy within one point of FP32's.
 */
class CalibrationAccuracyTest {
    private static final int SAMPLES = 64;
    private static final int CLASSES = 10;

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"entropy, INT8_SYMMETRIC", "percentile, INT8_SYMMETRIC", "mse, INT8_SYMMETRIC",
        "minmax, INT8_SYMMETRIC", "entropy, UINT8_ASYMMETRIC", "percentile, UINT8_ASYMMETRIC",
        "mse, UINT8_ASYMMETRIC"})
    void int8AccuracyIsWithinOnePointOfFp32(String method, QuantScheme scheme) throws Exception {
        Path fp32 = SharedData.models().resolve("digits-cnn.onnx");
        Path split = SharedData.models().resolve("digits-test-split");
        Path data = Files.createDirectory(dir.resolve("calibration"));
        Path qdq = dir.resolve("digits-cnn.int8.onnx");
        try (Tensor x = Npy.read(split.resolve("x_nchw.npy")); Tensor y = Npy.read(split.resolve("y.npy"))) {
            try (Tensor rows = Tensor.allocate(DType.F32, SAMPLES, 1, 8, 8)) {
                MemorySegment.copy(x.segment(), 0, rows.segment(), 0, rows.byteSize());
                Npy.write(rows, data.resolve("rows.npy"));
            }
            CalibrationResult cal = Calibrator.forMethod(method).scheme(scheme).progress(null)
                .run(fp32, CalibrationData.npyFolder(data));
            assertEquals(SAMPLES, cal.samples());
            try (Model m = Sparq.loadModel(fp32)) {
                QdqWriter.write(m, cal, qdq);
            }
            long[] labels = y.toLongArray();
            int fp32Correct = correct(fp32, x, labels);
            int int8Correct = correct(qdq, x, labels);
            // The session made straight from the calibration computes what the written file does.
            try (Model m = Sparq.loadModel(fp32);
                 Session direct = cal.quantizedSession(m, dev.sparq.SessionOptions.builder().build());
                 Session fromFile = Sparq.load(qdq);
                 Session.Result a = direct.run(Map.of("input", x));
                 Session.Result b = fromFile.run(Map.of("input", x))) {
                org.junit.jupiter.api.Assertions.assertArrayEquals(b.first().toFloatArray(), a.first().toFloatArray());
            }
            System.out.printf("digits-cnn %s %s (%d calibration images): FP32 %d/%d, INT8 %d/%d%n", method, scheme,
                SAMPLES, fp32Correct, labels.length, int8Correct, labels.length);
            double onePoint = labels.length / 100.0;
            assertTrue(int8Correct >= fp32Correct - onePoint,
                method + " " + scheme + ": INT8 " + int8Correct + " vs FP32 " + fp32Correct + " of " + labels.length);
        }
    }

    private static int correct(Path model, Tensor x, long[] labels) {
        try (Session s = Sparq.load(model); Session.Result r = s.run(Map.of("input", x))) {
            return Logits.correct(r.first().toFloatArray(), CLASSES, labels);
        }
    }
}
