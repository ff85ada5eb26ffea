package dev.sparq.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparq.Sparq;
import dev.sparq.graph.Graph;
import dev.sparq.graph.Model;
import dev.sparq.graph.Node;
import dev.sparq.onnx.OnnxImporter;
import dev.sparq.onnx.proto.Onnx.AttributeProto;
import dev.sparq.onnx.proto.Onnx.GraphProto;
import dev.sparq.onnx.proto.Onnx.ModelProto;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import dev.sparq.testing.OnnxModels;
import dev.sparq.testing.SharedData;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The structure and numbers of the QDQ graphs {@link QdqWriter} builds. */
class QdqWriterTest {
    private static final Map<String, TensorQuant> X_INT8 = Map.of("x", new TensorQuant("x", 0.5f, 0, DType.I8));

    /** y = Gemm(x [N,3], W, b) with W = {@code w} of shape {@code wShape}. */
    private static ModelProto gemm(long transB, long[] wShape, float[] w, long opset, String extraOp) {
        GraphProto.Builder g = GraphProto.newBuilder().setName("gemm")
            .addInput(OnnxModels.floatInput("x", "N", 3))
            .addInitializer(OnnxModels.floatTensor("W", wShape, w))
            .addInitializer(OnnxModels.floatTensor("b", new long[] {2}, 0.3f, -1.1f))
            .addNode(OnnxModels.node("Gemm", List.of("x", "W", "b"), List.of("g"), AttributeProto.newBuilder()
                .setName("transB").setType(AttributeProto.AttributeType.INT).setI(transB).build()));
        if (extraOp == null) {
            g.addNode(OnnxModels.node("Identity", List.of("g"), List.of("y")));
        } else {
            g.addNode(OnnxModels.node(extraOp, List.of("g"), List.of("y")));
        }
        return OnnxModels.model(g.addOutput(OnnxModels.floatInput("y", "N", 2)).build(), opset);
    }

    private static Node dequantizerOf(Graph g, String value) {
        return g.nodes().stream().filter(n -> n.outputs().contains(value)).findFirst().orElseThrow();
    }

    @Test
    void gemmWeightIsInt8PerOutputChannelAndBiasInt32() {
        // W[K=3, N=2] (transB=0): output channels are columns, axis 1; column maxima 6 and 1.27
        float[] w = {6f, -1.27f, -3f, 0.5f, 1f, 0f};
        try (Model fp32 = OnnxImporter.fromProto(gemm(0, new long[] {3, 2}, w, 13, null), null, null);
             Model q = QdqWriter.quantize(fp32, X_INT8)) {
            Graph g = q.graph();
            Node gemm = g.nodes().stream().filter(n -> n.opType().equals("Gemm")).findFirst().orElseThrow();
            Node xdq = dequantizerOf(g, gemm.input(0));
            Node wdq = dequantizerOf(g, gemm.input(1));
            Node bdq = dequantizerOf(g, gemm.input(2));
            assertEquals("DequantizeLinear", xdq.opType());
            assertEquals("QuantizeLinear", dequantizerOf(g, xdq.input(0)).opType());
            assertEquals(1, wdq.intAttr("axis", -1));
            assertEquals(0, bdq.intAttr("axis", -1));

            float[] scales = g.initializers().get(wdq.input(1)).toFloatArray();
            assertArrayEquals(new float[] {6f / 127, 1.27f / 127}, scales);
            Tensor wq = g.initializers().get(wdq.input(0));
            assertEquals(DType.I8, wq.dtype());
            assertEquals(-63.5f, -3f / (6f / 127)); // a tie, rounded half to even
            assertArrayEquals(new long[] {127, -127, -64, 50, 21, 0}, wq.toLongArray());
            assertEquals(DType.I8, g.initializers().get(wdq.input(2)).dtype());

            Tensor bq = g.initializers().get(bdq.input(0));
            assertEquals(DType.I32, bq.dtype());
            float[] biasScales = g.initializers().get(bdq.input(1)).toFloatArray();
            assertArrayEquals(new float[] {0.5f * scales[0], 0.5f * scales[1]}, biasScales);
            assertArrayEquals(new long[] {(long) Math.rint(0.3f / biasScales[0]), (long) Math.rint(-1.1f / biasScales[1])},
                bq.toLongArray());
            assertFalse(g.initializers().containsKey("W"), "the float weight is gone");
            assertFalse(g.initializers().containsKey("b"), "the float bias is gone");
        }
    }

    @Test
    void gemmWithTransBQuantizesRowsAndMatMulTheLastAxis() {
        try (Model fp32 = OnnxImporter.fromProto(gemm(1, new long[] {2, 3}, new float[] {1, 2, 3, 4, 5, 6}, 13, null),
                null, null);
             Model q = QdqWriter.quantize(fp32, X_INT8)) {
            Node wdq = dequantizerOf(q.graph(), q.graph().nodes().stream().filter(n -> n.opType().equals("Gemm"))
                .findFirst().orElseThrow().input(1));
            assertEquals(0, wdq.intAttr("axis", -1));
            assertArrayEquals(new float[] {3f / 127, 6f / 127}, q.graph().initializers().get(wdq.input(1)).toFloatArray());
        }
        GraphProto mm = GraphProto.newBuilder().setName("mm").addInput(OnnxModels.floatInput("x", "N", 3))
            .addInitializer(OnnxModels.floatTensor("W", new long[] {3, 2}, 1, -8, 2, 0, -4, 1))
            .addNode(OnnxModels.node("MatMul", List.of("x", "W"), List.of("y")))
            .addOutput(OnnxModels.floatInput("y", "N", 2)).build();
        try (Model fp32 = OnnxImporter.fromProto(OnnxModels.model(mm, 13), null, null);
             Model q = QdqWriter.quantize(fp32, X_INT8)) {
            Node wdq = dequantizerOf(q.graph(), q.graph().nodes().getLast().input(1));
            assertEquals(1, wdq.intAttr("axis", -1));
            assertArrayEquals(new float[] {4f / 127, 8f / 127}, q.graph().initializers().get(wdq.input(1)).toFloatArray());
        }
    }

    @Test
    void uncalibratedInputsStayFloat() {
        try (Model fp32 = OnnxImporter.fromProto(gemm(1, new long[] {2, 3}, new float[6], 13, null), null, null);
             Model q = QdqWriter.quantize(fp32, Map.of())) {
            assertEquals(List.of("Gemm", "Identity"), q.graph().nodes().stream().map(Node::opType).toList());
            assertTrue(q.graph().initializers().containsKey("W"));
        }
    }

    @Test
    void opsetIsRaisedTo13WhenNoOpChangedMeaning() {
        try (Model fp32 = OnnxImporter.fromProto(gemm(1, new long[] {2, 3}, new float[6], 11, "Relu"), null, null);
             Model q = QdqWriter.quantize(fp32, X_INT8)) {
            assertEquals(13, q.opset(""));
            assertEquals(11, fp32.opset(""), "the FP32 model is untouched");
        }
    }

    @Test
    void opsetRaiseIsRefusedWhenAnOpChangedMeaning() {
        try (Model fp32 = OnnxImporter.fromProto(gemm(1, new long[] {2, 3}, new float[6], 11, "Softmax"), null, null)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> QdqWriter.quantize(fp32, X_INT8));
            assertTrue(e.getMessage().contains("Softmax") && e.getMessage().contains("opset 11"), e.getMessage());
        }
    }

    @Test
    void digitsCnnGetsOneActivationPairPerInputAndPerChannelWeights() {
        Map<String, TensorQuant> acts;
        try (Model fp32 = Sparq.loadModel(SharedData.models().resolve("digits-cnn.onnx"))) {
            // every value a Conv or Gemm reads, calibrated with an arbitrary u8 scale
            acts = new java.util.HashMap<>();
            for (Node n : fp32.graph().nodes()) {
                if (List.of("Conv", "Gemm").contains(n.opType())) {
                    acts.put(n.input(0), new TensorQuant(n.input(0), 0.05f, 128, DType.U8));
                }
            }
            try (Model q = QdqWriter.quantize(fp32, acts)) {
                Map<String, Long> ops = q.graph().nodes().stream()
                    .collect(java.util.stream.Collectors.groupingBy(Node::opType, java.util.stream.Collectors.counting()));
                assertEquals(3, ops.get("QuantizeLinear"));
                assertEquals(3 + 3 + 3, ops.get("DequantizeLinear"), "activations, weights, biases");
                assertEquals(null, ops.get("BatchNormalization"), "folded into conv1 before its weight is quantized");
                for (Node n : q.graph().nodes()) {
                    if (n.opType().equals("QuantizeLinear")) {
                        assertEquals(DType.U8, q.graph().initializers().get(n.input(2)).dtype());
                    }
                    if (List.of("Conv", "Gemm").contains(n.opType())) {
                        assertFalse(q.graph().initializers().containsKey(n.input(1)), "weight read through DQ");
                    }
                }
            }
        }
    }
}
