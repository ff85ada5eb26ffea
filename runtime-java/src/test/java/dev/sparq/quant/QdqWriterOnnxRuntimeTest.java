package dev.sparq.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparq.Session;
import dev.sparq.SessionOptions;
import dev.sparq.Sparq;
import dev.sparq.graph.Model;
import dev.sparq.tensor.DType;
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

    /**
     * Real architectures (depthwise convolutions, ReLU6 as Clip with Constant bounds, residual Adds, Gemm): the QDQ
     * file loads in ONNX Runtime and computes the same quantized codes, layer by layer, as sparq. Float sums of
     * different order can land on either side of a rounding tie, and random weights amplify each such flip, so the
     * check is: every layer before the first differing code is identical, and the first difference is one code on
     * a handful of elements.
     */
    @ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"mobilenet_v2", "resnet18"})
    void imageNetArchitecturesQuantizeLayerByLayerAsOnnxRuntime(String name) throws Exception {
        Path models = SharedData.models();
        Path fp32 = models.resolve(name + ".onnx");
        Path qdq = tmp.resolve(name + ".qdq.onnx");
        try (Tensor x = Npy.read(models.resolve(name + ".data").resolve("case_0_input_0.npy"))) {
            CalibrationResult cal = TestCalibrations.maxAbs(fp32, Map.of("input", x), QuantScheme.INT8_SYMMETRIC);
            java.util.List<String> layers = new java.util.ArrayList<>();
            try (Model m = Sparq.loadModel(fp32); Model q = QdqWriter.quantize(m, cal.activations())) {
                // every quantized activation becomes a graph output, in graph order
                dev.sparq.onnx.proto.Onnx.ModelProto.Builder proto = dev.sparq.onnx.OnnxExporter.toProto(q).toBuilder();
                for (dev.sparq.graph.Node n : q.graph().nodes()) {
                    if (n.opType().equals("QuantizeLinear")) {
                        layers.add(n.outputs().get(0));
                        proto.getGraphBuilder().addOutput(dev.sparq.onnx.proto.Onnx.ValueInfoProto.newBuilder()
                            .setName(n.outputs().get(0)).setType(dev.sparq.onnx.proto.Onnx.TypeProto.newBuilder()
                                .setTensorType(dev.sparq.onnx.proto.Onnx.TypeProto.Tensor.newBuilder()
                                    .setElemType(DType.I8.onnxCode()))));
                    }
                }
                java.nio.file.Files.write(qdq, proto.build().toByteArray());
            }
            Map<String, long[]> ort = OnnxRuntimeRunner.codes(qdq, "input", x);
            SessionOptions asWritten = SessionOptions.builder().backend("cpu-ref")
                .optimization(dev.sparq.graph.pass.GraphOptimizer.Level.NONE).build();
            try (Session s = Sparq.load(qdq, asWritten); Session.Result r = s.run(Map.of("input", x))) {
                int identical = 0;
                long firstMismatches = 0;
                long firstMaxDiff = 0;
                for (String layer : layers) {
                    long[] a = r.get(layer).toLongArray();
                    long[] b = ort.get(layer);
                    for (int i = 0; i < a.length; i++) {
                        if (a[i] != b[i]) {
                            firstMismatches++;
                            firstMaxDiff = Math.max(firstMaxDiff, Math.abs(a[i] - b[i]));
                        }
                    }
                    if (firstMismatches > 0) {
                        break;
                    }
                    identical++;
                }
                System.out.printf("%s QDQ int8: %d of %d quantized layers identical to onnxruntime; then %d codes "
                    + "differ, by at most %d%n", name, identical, layers.size(), firstMismatches, firstMaxDiff);
                assertTrue(identical >= 1, "the quantized input differs");
                assertTrue(firstMaxDiff <= 1 && firstMismatches <= 16, firstMismatches + " codes differ by up to "
                    + firstMaxDiff + " in the first differing layer");
            }
        }
    }
}
