package dev.sparq.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.sparq.Session;
import dev.sparq.SessionOptions;
import dev.sparq.Sparq;
import dev.sparq.graph.Model;
import dev.sparq.tensor.Npy;
import dev.sparq.tensor.Tensor;
import dev.sparq.testing.SharedData;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The QDQ file written for digits-cnn loads in ONNX Runtime, keeps its accuracy within one point of FP32, and
 * sparq's reference backend predicts the same as ONNX Runtime on it.
 */
class QdqWriterOnnxRuntimeTest {
    private static final int IMAGES = 360;
    private static final int FP32_CORRECT = 354;
    /** One percentage point of 360 images. */
    private static final double ONE_POINT = IMAGES / 100.0;

    @TempDir
    Path tmp;

    @Test
    void digitsCnnQdqRunsInOnnxRuntimeWithFp32Accuracy() throws Exception {
        Path models = SharedData.models();
        Path fp32 = models.resolve("digits-cnn.onnx");
        Path split = models.resolve("digits-test-split");
        Path qdq = tmp.resolve("digits-cnn.qdq.onnx");
        try (Tensor x = Npy.read(split.resolve("x_nchw.npy")); Tensor y = Npy.read(split.resolve("y.npy"))) {
            CalibrationResult cal = TestCalibrations.maxAbs(fp32, Map.of("input", x), QuantScheme.INT8_SYMMETRIC,
                tmp.resolve("cal.cache"));
            try (Model m = Sparq.loadModel(fp32)) {
                QdqWriter.write(m, cal.activations(), qdq);
            }
            long[] labels = y.toLongArray();
            float[][] ort = onnxRuntime(qdq, x);
            int ortCorrect = correct(ort, labels);
            System.out.printf("digits-cnn QDQ int8: onnxruntime %d/%d correct (fp32 %d)%n", ortCorrect, IMAGES,
                FP32_CORRECT);
            assertTrue(ortCorrect >= FP32_CORRECT - ONE_POINT, "onnxruntime accuracy " + ortCorrect + "/360");

            float outputStep = cal.activations().get("logits").scale();
            try (Session s = Sparq.load(qdq, SessionOptions.builder().backend("cpu-ref").build());
                 Session.Result r = s.run(Map.of("input", x))) {
                float[] sparq = r.first().toFloatArray();
                float maxDiff = 0;
                for (int i = 0; i < IMAGES; i++) {
                    for (int k = 0; k < 10; k++) {
                        maxDiff = Math.max(maxDiff, Math.abs(sparq[i * 10 + k] - ort[i][k]));
                    }
                }
                System.out.printf("digits-cnn QDQ int8: max |sparq - onnxruntime| = %g (output step %g); "
                    + "sparq %d/%d correct%n", maxDiff, outputStep, correct(sparq, labels), IMAGES);
                assertArrayEquals(argmax(ort), argmax(rows(sparq)));
                assertTrue(maxDiff <= outputStep, maxDiff + " > one output step " + outputStep);
            }
        }
    }

    private static float[][] onnxRuntime(Path model, Tensor x) throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(1);
            try (OrtSession s = env.createSession(model.toString(), options);
                 OnnxTensor in = OnnxTensor.createTensor(env, FloatBuffer.wrap(x.toFloatArray()), x.shape());
                 OrtSession.Result r = s.run(Map.of("input", in))) {
                return (float[][]) r.get(0).getValue();
            }
        }
    }

    private static float[][] rows(float[] flat) {
        float[][] out = new float[flat.length / 10][10];
        for (int i = 0; i < out.length; i++) {
            System.arraycopy(flat, i * 10, out[i], 0, 10);
        }
        return out;
    }

    private static int correct(float[] flat, long[] labels) {
        return correct(rows(flat), labels);
    }

    private static int correct(float[][] logits, long[] labels) {
        int[] pred = argmax(logits);
        int n = 0;
        for (int i = 0; i < pred.length; i++) {
            n += pred[i] == labels[i] ? 1 : 0;
        }
        return n;
    }

    private static int[] argmax(float[][] logits) {
        int[] out = new int[logits.length];
        for (int i = 0; i < logits.length; i++) {
            for (int k = 1; k < logits[i].length; k++) {
                if (logits[i][k] > logits[i][out[i]]) {
                    out[i] = k;
                }
            }
        }
        return out;
    }
}
