package dev.sparq.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparq.Session;
import dev.sparq.SessionOptions;
import dev.sparq.Sparq;
import dev.sparq.graph.Model;
import dev.sparq.graph.Node;
import dev.sparq.graph.pass.GraphOptimizer;
import dev.sparq.graph.pass.QuantizeHoisting;
import dev.sparq.tensor.Npy;
import dev.sparq.tensor.Tensor;
import dev.sparq.testing.Logits;
import dev.sparq.testing.SharedData;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * QuantizeLinear hoisted above MaxPool and Flatten computes the same integers (quantization is monotonic), and lets
 * QdqFusion take conv2 of digits-cnn too: both convolutions become QLinearConv.
 */
class QuantizeHoistingTest {
    @TempDir
    Path tmp;

    @Test
    void hoistingIsExactAndUnlocksTheSecondConvolution() throws Exception {
        Path models = SharedData.models();
        Path fp32 = models.resolve("digits-cnn.onnx");
        Path qdq = tmp.resolve("digits-cnn.u8.onnx");
        try (Tensor x = Npy.read(models.resolve("digits-test-split").resolve("x_nchw.npy"))) {
            TestCalibrations.writeUint8Qdq(fp32, x, qdq);
            try (Model m = Sparq.loadModel(qdq)) {
                GraphOptimizer.optimize(m, GraphOptimizer.Level.BASIC);
                assertEquals(2, new QuantizeHoisting().apply(m), "the Q after MaxPool and Flatten moves above both");
                List<String> ops = m.graph().nodes().stream().map(Node::opType).toList();
                Node pool = m.graph().nodes().get(ops.indexOf("MaxPool"));
                Node feeding = m.graph().nodes().stream().filter(n -> n.outputs().contains(pool.input(0))).findFirst()
                    .orElseThrow();
                assertEquals("QuantizeLinear", feeding.opType(), "MaxPool now reads quantized values: " + ops);
            }
            SessionOptions plain = SessionOptions.builder().backend("cpu-ref").optimization(GraphOptimizer.Level.BASIC).build();
            SessionOptions all = SessionOptions.builder().backend("cpu-ref").optimization(GraphOptimizer.Level.ALL).build();
            try (Session a = Sparq.load(qdq, plain); Session b = Sparq.load(qdq, all);
                 Session.Result ra = a.run(Map.of("input", x)); Session.Result rb = b.run(Map.of("input", x))) {
                long fused = b.model().graph().nodes().stream().filter(n -> n.opType().equals("QLinearConv")).count();
                assertEquals(2, fused, "both convolutions run as QLinearConv");
                float[] la = ra.first().toFloatArray();
                float[] lb = rb.first().toFloatArray();
                assertArrayEquals(Logits.argmax(la, 10), Logits.argmax(lb, 10));
                assertTrue(Logits.maxAbsDiff(la, lb) < 1e-4, "same integers, so the same logits up to float rounding: "
                    + Logits.maxAbsDiff(la, lb));
            }
        }
    }
}
