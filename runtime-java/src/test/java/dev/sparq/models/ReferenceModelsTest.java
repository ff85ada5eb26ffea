package dev.sparq.models;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparq.Session;
import dev.sparq.SessionOptions;
import dev.sparq.Sparq;
import dev.sparq.tensor.Npy;
import dev.sparq.tensor.Tensor;
import dev.sparq.testing.SharedData;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every model in ../shared/models runs on cpu-ref and matches its recorded torch outputs. */
class ReferenceModelsTest {
    private static final SessionOptions CPU_REF = SessionOptions.builder().backend("cpu-ref").threads(1).build();

    /** Digits models: all 360 test images in one batch, max abs error ≤ 1e-4, and the recorded accuracy. */
    @ParameterizedTest
    @ValueSource(strings = {"digits-mlp", "digits-mlp-pruned90", "digits-mlp-sparse24", "digits-cnn"})
    void digitsModelsMatchTorchAndReachTheirAccuracy(String name) throws IOException {
        Path models = SharedData.models();
        Path data = models.resolve(name + ".data");
        try (Session s = Sparq.load(models.resolve(name + ".onnx"), CPU_REF);
             Tensor x = Npy.read(data.resolve("case_0_input_0.npy"));
             Tensor expected = Npy.read(data.resolve("case_0_output_0.npy"));
             Session.Result r = s.run(Map.of(s.inputs().get(0).name(), x))) {
            Tensor logits = r.first();
            assertArrayEquals(expected.shape(), logits.shape());
            assertEquals(360, logits.dim(0));
            double maxErr = maxAbsDiff(logits, expected);
            assertTrue(maxErr <= 1e-4, name + ": max abs error " + maxErr);
            int[] labels = readInts(data.resolve("case_0_labels.i32"));
            assertEquals(recordedCorrect(data), correct(logits, labels), name + ": correct predictions");
        }
    }

    /** The QAT model: within one output quantization step of torch, and the recorded accuracy. */
    @ParameterizedTest
    @ValueSource(strings = {"digits-cnn-qdq"})
    void quantizedDigitsModelMatchesWithinOneStep(String name) throws IOException {
        Path data = SharedData.models().resolve(name + ".data");
        try (Session s = Sparq.load(SharedData.models().resolve(name + ".onnx"), CPU_REF);
             Tensor x = Npy.read(data.resolve("case_0_input_0.npy"));
             Tensor torch = Npy.read(data.resolve("case_0_output_0.npy"));
             Session.Result r = s.run(Map.of(s.inputs().get(0).name(), x))) {
            Tensor logits = r.first();
            float step = 0.16428636f;
            assertTrue(maxAbsDiff(logits, torch) <= step * 1.001, "max error vs torch " + maxAbsDiff(logits, torch));
            float[] ort = readFloats(data.resolve("case_0_output_0.ort.f32"));
            double maxOrt = 0;
            for (int i = 0; i < ort.length; i++) {
                maxOrt = Math.max(maxOrt, Math.abs(logits.getFloat(i) - ort[i]));
            }
            assertTrue(maxOrt <= step * 1.001, "max error vs onnxruntime " + maxOrt);
            assertEquals(recordedCorrect(data), correct(logits, readInts(data.resolve("case_0_labels.i32"))));
        }
    }

    /** Random-weight ImageNet nets: relative error ≤ 1e-3 of the output's magnitude on both recorded cases. */
    @ParameterizedTest
    @ValueSource(strings = {"mobilenet_v2", "resnet18"})
    void imagenetModelsMatchTorch(String name) throws IOException {
        Path data = SharedData.models().resolve(name + ".data");
        try (Session s = Sparq.load(SharedData.models().resolve(name + ".onnx"), CPU_REF)) {
            for (int c = 0; c < 2; c++) {
                try (Tensor x = Npy.read(data.resolve("case_" + c + "_input_0.npy"));
                     Tensor expected = Npy.read(data.resolve("case_" + c + "_output_0.npy"));
                     Session.Result r = s.run(Map.of(s.inputs().get(0).name(), x))) {
                    double scale = 0;
                    for (long i = 0; i < expected.size(); i++) {
                        scale = Math.max(scale, Math.abs(expected.getFloat(i)));
                    }
                    double rel = maxAbsDiff(r.first(), expected) / scale;
                    assertTrue(rel <= 1e-3, name + " case " + c + ": relative error " + rel);
                }
            }
        }
    }

    static double maxAbsDiff(Tensor a, Tensor b) {
        assertArrayEquals(b.shape(), a.shape());
        double m = 0;
        for (long i = 0; i < a.size(); i++) {
            m = Math.max(m, Math.abs(a.getFloat(i) - b.getFloat(i)));
        }
        return m;
    }

    static int correct(Tensor logits, int[] labels) {
        int ok = 0;
        long classes = logits.dim(1);
        for (int row = 0; row < labels.length; row++) {
            int best = 0;
            for (int c = 1; c < classes; c++) {
                if (logits.getFloat(row * classes + c) > logits.getFloat(row * classes + best)) {
                    best = c;
                }
            }
            ok += best == labels[row] ? 1 : 0;
        }
        return ok;
    }

    /** The number of correct predictions torch recorded in the manifest ("torch_accuracy" × rows). */
    static int recordedCorrect(Path data) throws IOException {
        String manifest = Files.readString(data.resolve("manifest.json"));
        Matcher m = Pattern.compile("\"torch_accuracy\"\\s*:\\s*([0-9.]+)").matcher(manifest);
        assertTrue(m.find(), "manifest has torch_accuracy");
        return (int) Math.round(Double.parseDouble(m.group(1)) * 360);
    }

    static int[] readInts(Path f) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(f)).order(ByteOrder.LITTLE_ENDIAN);
        int[] out = new int[b.remaining() / 4];
        b.asIntBuffer().get(out);
        return out;
    }

    static float[] readFloats(Path f) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(f)).order(ByteOrder.LITTLE_ENDIAN);
        float[] out = new float[b.remaining() / 4];
        b.asFloatBuffer().get(out);
        return out;
    }
}
