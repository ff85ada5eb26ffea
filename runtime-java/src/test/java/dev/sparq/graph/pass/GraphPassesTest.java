package dev.sparq.graph.pass;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparq.Session;
import dev.sparq.SessionOptions;
import dev.sparq.graph.Model;
import dev.sparq.graph.Node;
import dev.sparq.graph.ShapeInference;
import dev.sparq.onnx.OnnxImporter;
import dev.sparq.onnx.proto.Onnx.AttributeProto;
import dev.sparq.onnx.proto.Onnx.GraphProto;
import dev.sparq.onnx.proto.Onnx.ModelProto;
import dev.sparq.tensor.Npy;
import dev.sparq.tensor.Tensor;
import dev.sparq.testing.OnnxModels;
import dev.sparq.testing.SharedData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Each pass on a small graph made for it, and all of them on the reference models against the unoptimized graph. */
class GraphPassesTest {
    @TempDir
    Path dir;

    private Model load(ModelProto m) throws IOException {
        Path f = dir.resolve("m" + System.nanoTime() + ".onnx");
        Files.write(f, m.toByteArray());
        Model model = OnnxImporter.load(f);
        ShapeInference.run(model);
        return model;
    }

    private static List<String> ops(Model m) {
        return m.graph().nodes().stream().map(Node::opType).toList();
    }

    @Test
    void identityAndDropoutDisappearButGraphOutputsKeepTheirNames() throws IOException {
        GraphProto g = GraphProto.newBuilder().addInput(OnnxModels.floatInput("x", 2))
            .addNode(OnnxModels.node("Identity", List.of("x"), List.of("a")))
            .addNode(OnnxModels.node("Dropout", List.of("a"), List.of("b")))
            .addNode(OnnxModels.node("Relu", List.of("b"), List.of("c")))
            .addNode(OnnxModels.node("Identity", List.of("c"), List.of("y")))
            .addOutput(OnnxModels.floatInput("y", 2)).build();
        try (Model m = load(OnnxModels.model(g, 13))) {
            assertEquals(2, new IdentityRemoval().apply(m));
            assertEquals(List.of("Relu", "Identity"), ops(m));
            assertEquals("x", m.graph().nodes().get(0).input(0));
        }
    }

    @Test
    void constantSubgraphsFoldIntoInitializers() throws IOException {
        AttributeProto value = AttributeProto.newBuilder().setName("value").setType(AttributeProto.AttributeType.TENSOR)
            .setT(OnnxModels.floatTensor("", new long[] {2}, 1, 2)).build();
        GraphProto g = GraphProto.newBuilder().addInput(OnnxModels.floatInput("x", 2))
            .addInitializer(OnnxModels.floatTensor("k", new long[] {2}, 10, 20))
            .addNode(OnnxModels.node("Constant", List.of(), List.of("c"), value))
            .addNode(OnnxModels.node("Add", List.of("c", "k"), List.of("s")))
            .addNode(OnnxModels.node("Mul", List.of("x", "s"), List.of("y")))
            .addOutput(OnnxModels.floatInput("y", 2)).build();
        try (Model m = load(OnnxModels.model(g, 13))) {
            assertEquals(2, new ConstantFolding().apply(m));
            assertEquals(List.of("Mul"), ops(m));
            assertEquals(List.of(11f, 22f), List.of(m.graph().initializers().get("s").getFloat(0),
                m.graph().initializers().get("s").getFloat(1)));
            assertEquals(2, new DeadNodeRemoval().apply(m), "c and k are no longer read");
        }
    }

    @Test
    void shapesFoldOnlyWhenFullyKnown() throws IOException {
        GraphProto g = GraphProto.newBuilder().addInput(OnnxModels.floatInput("x", "N", 3))
            .addInitializer(OnnxModels.floatTensor("w", new long[] {3, 4}, new float[12]))
            .addNode(OnnxModels.node("Shape", List.of("w"), List.of("ws")))
            .addNode(OnnxModels.node("Shape", List.of("x"), List.of("xs")))
            .addNode(OnnxModels.node("Concat", List.of("ws", "xs"), List.of("y"),
                AttributeProto.newBuilder().setName("axis").setType(AttributeProto.AttributeType.INT).setI(0).build()))
            .addOutput(OnnxModels.floatInput("y", 4)).build();
        try (Model m = load(OnnxModels.model(g, 13))) {
            assertEquals(1, new ShapeOpFolding().apply(m));
            assertEquals(List.of("Shape", "Concat"), ops(m));
            assertEquals(4, m.graph().initializers().get("ws").getLong(1));
        }
    }

    @Test
    void batchNormFoldsIntoConvAndActivationsFuse() {
        try (Model m = OnnxImporter.load(SharedData.models().resolve("digits-cnn.onnx"))) {
            assertTrue(ops(m).contains("BatchNormalization"));
            GraphOptimizer.optimize(m, GraphOptimizer.Level.ALL);
            assertTrue(!ops(m).contains("BatchNormalization") && !ops(m).contains("Relu"), ops(m).toString());
            assertEquals(2, ops(m).stream().filter(o -> o.equals("FusedConv")).count(), ops(m).toString());
        }
        try (Model m = OnnxImporter.load(SharedData.models().resolve("mobilenet_v2.onnx"))) {
            GraphOptimizer.optimize(m, GraphOptimizer.Level.ALL);
            assertTrue(!ops(m).contains("Clip") && !ops(m).contains("Constant"), ops(m).toString());
            Node fused = m.graph().nodes().stream().filter(n -> n.opType().equals("FusedConv")).findFirst().orElseThrow();
            assertEquals("Clip", fused.stringAttr("activation", ""));
            float[] bounds = fused.attr("activation_params").asFloats();
            assertEquals(0f, bounds[0]);
            assertEquals(6f, bounds[1]);
        }
    }

    /** Every pass keeps the meaning: optimized and unoptimized graphs agree on the recorded inputs. */
    @Test
    void optimizedModelsAgreeWithTheImportedGraph() throws IOException {
        for (String name : List.of("digits-cnn", "digits-mlp", "mobilenet_v2")) {
            Path model = SharedData.models().resolve(name + ".onnx");
            SessionOptions plain = SessionOptions.builder().backend("cpu-ref").optimization(GraphOptimizer.Level.NONE).build();
            SessionOptions all = SessionOptions.builder().backend("cpu-ref").optimization(GraphOptimizer.Level.ALL).build();
            try (Session a = dev.sparq.Sparq.load(model, plain); Session b = dev.sparq.Sparq.load(model, all);
                 Tensor x = Npy.read(SharedData.models().resolve(name + ".data/case_0_input_0.npy"));
                 Session.Result ra = a.run(Map.of(a.inputs().get(0).name(), x));
                 Session.Result rb = b.run(Map.of(b.inputs().get(0).name(), x))) {
                assertTrue(b.plan().steps().size() < a.plan().steps().size(), name + ": nothing was optimized");
                float[] u = ra.first().toFloatArray();
                float[] v = rb.first().toFloatArray();
                double scale = 1e-6;
                double err = 0;
                for (int i = 0; i < u.length; i++) {
                    scale = Math.max(scale, Math.abs(u[i]));
                    err = Math.max(err, Math.abs(u[i] - v[i]));
                }
                assertTrue(err <= 1e-5 * scale, name + ": optimized graph differs by " + err);
            }
        }
    }
}
