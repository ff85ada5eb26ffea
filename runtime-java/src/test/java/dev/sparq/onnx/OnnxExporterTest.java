package dev.sparq.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.sparq.Session;
import dev.sparq.SessionOptions;
import dev.sparq.graph.Attribute;
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
import java.lang.foreign.ValueLayout;
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
            assertSameNodes(a.graph(), b.graph());
            assertEquals(a.graph().initializers().keySet(), b.graph().initializers().keySet());
            a.graph().initializers().forEach((k, t) -> assertArrayEquals(bytes(t), bytes(b.graph().initializers().get(k))));
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
            assertArrayEquals(bytes(y1), bytes(y2), name + ": outputs differ in some bit");
        }
    }

    /** Same nodes in the same order; tensor attributes compared by content (Tensor has identity equality). */
    private static void assertSameNodes(Graph expected, Graph actual) {
        assertEquals(expected.nodes().size(), actual.nodes().size());
        for (int i = 0; i < expected.nodes().size(); i++) {
            Node e = expected.nodes().get(i);
            Node a = actual.nodes().get(i);
            assertEquals(List.of(e.name(), e.opType(), e.domain(), e.inputs(), e.outputs()),
                List.of(a.name(), a.opType(), a.domain(), a.inputs(), a.outputs()));
            assertEquals(e.attributes().keySet(), a.attributes().keySet());
            e.attributes().forEach((k, v) -> {
                if (v.type() == Attribute.Type.TENSOR) {
                    assertArrayEquals(bytes(v.asTensor()), bytes(a.attr(k).asTensor()), e.label() + " " + k);
                } else {
                    assertEquals(v, a.attr(k), e.label());
                }
            });
        }
    }

    private static byte[] bytes(Tensor t) {
        return t.segment().toArray(ValueLayout.JAVA_BYTE);
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
