package dev.sparq.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.sparq.Session;
import dev.sparq.SessionOptions;
import dev.sparq.graph.Graph;
import dev.sparq.graph.Model;
import dev.sparq.graph.Node;
import dev.sparq.onnx.proto.Onnx.AttributeProto;
import dev.sparq.onnx.proto.Onnx.GraphProto;
import dev.sparq.onnx.proto.Onnx.ModelProto;
import dev.sparq.onnx.proto.Onnx.NodeProto;
import dev.sparq.onnx.proto.Onnx.OperatorSetIdProto;
import dev.sparq.tensor.Npy;
import dev.sparq.tensor.Tensor;
import dev.sparq.testing.OnnxModels;
import dev.sparq.testing.SharedData;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Export, re-import, and the model computes exactly what it did. */
class OnnxExporterTest {
    private static final SessionOptions CPU_REF = SessionOptions.builder().backend("cpu-ref").threads(1).build();

    @TempDir
    Path tmp;

    @ParameterizedTest
    @ValueSource(strings = {"digits-mlp", "digits-mlp-pruned90", "digits-mlp-sparse24", "digits-cnn", "digits-cnn-qdq",
        "mobilenet_v2", "resnet18"})
    void sharedModelsRoundTripBitExactly(String name) {
        Path original = SharedData.models().resolve(name + ".onnx");
        Path exported = tmp.resolve(name + ".onnx");
        try (Model m = OnnxImporter.load(original)) {
            OnnxExporter.write(m, exported);
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
        try (Model a = OnnxImporter.load(original); Model b = OnnxImporter.load(exported)) {
            assertEquals(a.opsets(), b.opsets());
            assertEquals(a.graph().inputs(), b.graph().inputs());
            assertEquals(a.graph().outputs(), b.graph().outputs());
            assertEquals(a.graph().nodes(), nodesWithoutTensors(b.graph(), a.graph()));
            assertEquals(a.graph().initializers().keySet(), b.graph().initializers().keySet());
        }
        Path input = SharedData.models().resolve(name + ".data").resolve("case_0_input_0.npy");
        try (Tensor x = Npy.read(input);
             Session s1 = Session.create(OnnxImporter.load(original), CPU_REF);
             Session s2 = Session.create(OnnxImporter.load(exported), CPU_REF);
             Session.Result r1 = s1.run(Map.of(s1.inputs().get(0).name(), x));
             Session.Result r2 = s2.run(Map.of(s2.inputs().get(0).name(), x))) {
            Tensor y1 = r1.first();
            Tensor y2 = r2.first();
            assertArrayEquals(y1.shape(), y2.shape());
            assertArrayEquals(y1.segment().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE),
                y2.segment().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE), name + ": outputs differ in some bit");
        }
    }

    /** Tensor attributes are compared by content; records compare Tensor objects by identity. */
    private static List<Node> nodesWithoutTensors(Graph exported, Graph original) {
        assertEquals(original.nodes().size(), exported.nodes().size());
        for (int i = 0; i < original.nodes().size(); i++) {
            Node o = original.nodes().get(i);
            Node e = exported.nodes().get(i);
            o.attributes().forEach((k, v) -> {
                if (v.type() == dev.sparq.graph.Attribute.Type.TENSOR) {
                    assertArrayEquals(v.asTensor().segment().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE),
                        e.attr(k).asTensor().segment().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
                }
            });
        }
        return exported.nodes().stream().map(n -> new Node(n.name(), n.opType(), n.domain(), n.inputs(), n.outputs(),
            original.nodes().stream().filter(o -> o.outputs().equals(n.outputs())).findFirst().orElseThrow()
                .attributes())).toList();
    }

    @Test
    void everyAttributeKindAndSymbolicDimSurvives() {
        AttributeProto.Builder f = AttributeProto.newBuilder().setName("f").setType(AttributeProto.AttributeType.FLOAT).setF(0.25f);
        AttributeProto.Builder i = AttributeProto.newBuilder().setName("i").setType(AttributeProto.AttributeType.INT).setI(-7);
        AttributeProto.Builder s = AttributeProto.newBuilder().setName("s").setType(AttributeProto.AttributeType.STRING)
            .setS(ByteString.copyFromUtf8("NOTSET"));
        AttributeProto.Builder fs = AttributeProto.newBuilder().setName("fs").setType(AttributeProto.AttributeType.FLOATS)
            .addFloats(1.5f).addFloats(-2f);
        AttributeProto.Builder is = AttributeProto.newBuilder().setName("is").setType(AttributeProto.AttributeType.INTS)
            .addInts(1).addInts(2).addInts(3);
        AttributeProto.Builder ss = AttributeProto.newBuilder().setName("ss").setType(AttributeProto.AttributeType.STRINGS)
            .addStrings(ByteString.copyFromUtf8("a")).addStrings(ByteString.copyFromUtf8("b"));
        AttributeProto.Builder t = AttributeProto.newBuilder().setName("t").setType(AttributeProto.AttributeType.TENSOR)
            .setT(OnnxModels.floatTensor("", new long[] {2}, 3f, 4f));
        GraphProto body = GraphProto.newBuilder().setName("body")
            .addNode(OnnxModels.node("Identity", List.of("x"), List.of("z")))
            .addOutput(OnnxModels.floatInput("z", "N", 3)).build();
        AttributeProto.Builder g = AttributeProto.newBuilder().setName("g").setType(AttributeProto.AttributeType.GRAPH).setG(body);
        NodeProto custom = NodeProto.newBuilder().setOpType("Custom").setDomain("com.microsoft").setName("c")
            .addInput("x").addOutput("y").addAttribute(f).addAttribute(i).addAttribute(s).addAttribute(fs)
            .addAttribute(is).addAttribute(ss).addAttribute(t).addAttribute(g).build();
        GraphProto graph = GraphProto.newBuilder().setName("kinds").addInput(OnnxModels.floatInput("x", "N", 3))
            .addNode(custom).addOutput(OnnxModels.floatInput("y", "N", 3)).build();
        ModelProto original = OnnxModels.model(graph, 13);

        ModelProto exported;
        try (Model m = OnnxImporter.fromProto(original, null, null)) {
            exported = OnnxExporter.toProto(m);
        }
        NodeProto back = exported.getGraph().getNode(0);
        assertEquals(custom.getAttributeList().subList(0, 7), back.getAttributeList().subList(0, 7));
        assertEquals(body.getNode(0), back.getAttribute(7).getG().getNode(0));
        assertEquals(original.getGraph().getInputList(), exported.getGraph().getInputList());
        assertEquals(original.getGraph().getOutputList(), exported.getGraph().getOutputList());
        assertEquals("N", exported.getGraph().getInput(0).getType().getTensorType().getShape().getDim(0).getDimParam());
        // com.microsoft is declared because a node uses it, the default opset is kept as it was
        assertTrue(exported.getOpsetImportList().contains(
            OperatorSetIdProto.newBuilder().setDomain("com.microsoft").setVersion(1).build()));
        assertTrue(exported.getOpsetImportList().contains(
            OperatorSetIdProto.newBuilder().setDomain("").setVersion(13).build()));
    }

    @Test
    void noMicrosoftOpsetWhenNoContribOp() {
        try (Model m = OnnxImporter.fromProto(OnnxModels.addBias(1, 2, 3), null, null)) {
            ModelProto p = OnnxExporter.toProto(m);
            assertFalse(p.getOpsetImportList().stream().anyMatch(o -> o.getDomain().equals("com.microsoft")));
            assertEquals(1, p.getGraph().getInitializerCount());
            assertEquals(8, p.getIrVersion());
        }
    }
}
