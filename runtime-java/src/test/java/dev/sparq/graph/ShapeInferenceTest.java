package dev.sparq.graph;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sparq.onnx.OnnxImporter;
import dev.sparq.testing.SharedData;
import org.junit.jupiter.api.Test;

class ShapeInferenceTest {
    @Test
    void keepsTheSymbolicBatchThroughConvPoolFlattenGemm() {
        try (Model m = OnnxImporter.load(SharedData.models().resolve("digits-cnn.onnx"))) {
            // Drop what the file declares for intermediate values, so only inference can know them.
            m.graph().types().keySet().removeIf(k -> m.graph().nodes().stream()
                .anyMatch(n -> n.outputs().contains(k)) && m.graph().outputs().stream().noneMatch(o -> o.name().equals(k)));
            ShapeInference.run(m);
            Node pool = m.graph().nodes().stream().filter(n -> n.opType().equals("MaxPool")).findFirst().orElseThrow();
            assertEquals("f32[N,32,4,4]", m.graph().type(pool.outputs().get(0)).toString());
            Node flatten = m.graph().nodes().stream().filter(n -> n.opType().equals("Flatten")).findFirst().orElseThrow();
            assertEquals("f32[N,512]", m.graph().type(flatten.outputs().get(0)).toString());
            Node gemm = m.graph().nodes().stream().filter(n -> n.opType().equals("Gemm")).findFirst().orElseThrow();
            assertEquals("f32[N,10]", m.graph().type(gemm.outputs().get(0)).toString());
        }
    }

    @Test
    void resnetShapesAreFullyKnownButForTheBatch() {
        try (Model m = OnnxImporter.load(SharedData.models().resolve("resnet18.onnx"))) {
            ShapeInference.run(m);
            for (Node n : m.graph().nodes()) {
                ValueType t = m.graph().type(n.outputs().get(0));
                assertEquals(true, t.hasRank(), n.label() + " has no inferred rank");
                for (int d = 1; d < t.rank(); d++) {
                    assertEquals(true, t.dims().get(d).isKnown(), n.label() + ": " + t);
                }
                assertEquals("N", t.dims().get(0).symbol(), n.label() + ": " + t);
            }
        }
    }
}
