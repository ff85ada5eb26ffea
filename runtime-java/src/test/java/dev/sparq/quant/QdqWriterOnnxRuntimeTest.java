package dev.sparq.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparq.Session;
import dev.sparq.SessionOptions;
import dev.sparq.Sparq;
import dev.sparq.graph.Model;
import dev.sparq.tensor.Npy;
import dev.sparq.tensor.Tensor;
import dev.sparq.testing.Logits;
import dev.sparq.testing.OnnxRuntimeRunner;
import dev.sparq.testing.SharedData;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The QDQ file written for digits-cnn loads in ONNX Runtime, keeps its accuracy within one point of FP32, and
 * sparq's reference backend predicts the same as ONNX Runtime on it.
 */
class QdqWriterOnnxRuntimeTest {
    private static final int IMAGES = 360;
    private static final int CLASSES = 10;
    private static final int FP32_CORRECT = 354;
    /** One percentage point of 360 images. */
    private static final double ONE_POINT = IMAGES / 100.0;

    @TempDir
    Path tmp;

    @ParameterizedTest
    @EnumSource(QuantScheme.class)
    void digitsCnnQdqRunsInOnnxRuntimeWithFp32Accuracy(QuantScheme scheme) throws Exception {
        Path models = SharedData.models();
        Path fp32 = models.resolve("digits-cnn.onnx");
        Path split = models.resolve("digits-test-split");
        Path qdq = tmp.resolve("digits-cnn.qdq.onnx");
        try (Tensor x = Npy.read(split.resolve("x_nchw.npy")); Tensor y = Npy.read(split.resolve("y.npy"))) {
            CalibrationResult cal = TestCalibrations.maxAbs(fp32, Map.of("input", x), scheme);
            try (Model m = Sparq.loadModel(fp32)) {
                QdqWriter.write(m, cal, qdq);
            }
            long[] labels = y.toLongArray();
            float[] ort = OnnxRuntimeRunner.run(qdq, "input", x);
            int ortCorrect = Logits.correct(ort, CLASSES, labels);
            assertTrue(ortCorrect >= FP32_CORRECT - ONE_POINT, "onnxruntime accuracy " + ortCorrect + "/360");

            float outputStep = cal.activations().get("logits").scale();
            try (Session s = Sparq.load(qdq, SessionOptions.builder().backend("cpu-ref").build());
                 Session.Result r = s.run(Map.of("input", x))) {
                float[] sparq = r.first().toFloatArray();
                float maxDiff = Logits.maxAbsDiff(sparq, ort);
                System.out.printf("digits-cnn QDQ %s: onnxruntime %d/%d correct (fp32 %d), sparq %d; "
                        + "max |sparq - onnxruntime| = %g (output step %g)%n", scheme, ortCorrect, IMAGES,
                    FP32_CORRECT, Logits.correct(sparq, CLASSES, labels), maxDiff, outputStep);
                assertArrayEquals(Logits.argmax(ort, CLASSES), Logits.argmax(sparq, CLASSES));
                assertTrue(maxDiff <= outputStep, maxDiff + " > one output step " + outputStep);
            }
        }
    }
}
