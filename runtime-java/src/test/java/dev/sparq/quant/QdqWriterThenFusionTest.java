package dev.sparq.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sparq.Session;
import dev.sparq.SessionOptions;
import dev.sparq.Sparq;
import dev.sparq.graph.Model;
import dev.sparq.graph.ShapeInference;
import dev.sparq.graph.pass.DeadNodeRemoval;
import dev.sparq.graph.pass.GraphOptimizer;
import dev.sparq.graph.pass.QdqFusion;
import dev.sparq.tensor.Npy;
import dev.sparq.tensor.Tensor;
import dev.sparq.testing.Logits;
import dev.sparq.testing.SharedData;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What sparq writes, sparq fuses: a uint8 QDQ digits-cnn gets its conv1 (Conv+Relu) as a QLinearConv and its
 * classifier as a float-output QGemm.
 */
class QdqWriterThenFusionTest {
    private static final SessionOptions CPU_REF_BASIC = SessionOptions.builder().backend("cpu-ref")
        .optimization(GraphOptimizer.Level.BASIC).build();

    @TempDir
    Path tmp;

    @Test
    void uint8QdqDigitsCnnFusesConv1AndPredictsTheSame() throws Exception {
        Path models = SharedData.models();
        Path fp32 = models.resolve("digits-cnn.onnx");
        Path qdq = tmp.resolve("digits-cnn.u8.onnx");
        try (Tensor x = Npy.read(models.resolve("digits-test-split").resolve("x_nchw.npy"))) {
            TestCalibrations.writeUint8Qdq(fp32, x, qdq);
            Model fused = Sparq.loadModel(qdq);
            GraphOptimizer.optimize(fused, GraphOptimizer.Level.BASIC);
            assertEquals(2, new QdqFusion().apply(fused),
                "conv1 + Relu, and the classifier Gemm (float output QGemm); conv2 has MaxPool before its quantizer");
            new DeadNodeRemoval().apply(fused);
            ShapeInference.run(fused);
            try (Session plain = Sparq.load(qdq, CPU_REF_BASIC);
                 Session integer = Session.create(fused, CPU_REF_BASIC);
                 Session.Result a = plain.run(Map.of("input", x));
                 Session.Result b = integer.run(Map.of("input", x))) {
                float[] la = a.first().toFloatArray();
                float[] lb = b.first().toFloatArray();
                System.out.printf("digits-cnn u8 QDQ (sparq-written) with QdqFusion: %d/%d logits differ, "
                    + "max |diff| = %g%n", Logits.differing(la, lb), la.length, Logits.maxAbsDiff(la, lb));
                assertArrayEquals(Logits.argmax(la, 10), Logits.argmax(lb, 10));
            }
        }
    }
}
