package dev.sparq.graph.pass;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparq.Session;
import dev.sparq.SessionOptions;
import dev.sparq.Sparq;
import dev.sparq.graph.Model;
import dev.sparq.graph.Node;
import dev.sparq.graph.ShapeInference;
import dev.sparq.onnx.OnnxImporter;
import dev.sparq.onnx.proto.Onnx.GraphProto;
import dev.sparq.onnx.proto.Onnx.TensorProto;
import dev.sparq.tensor.Npy;
import dev.sparq.tensor.Tensor;
import dev.sparq.onnx.OnnxExporter;
import dev.sparq.testing.Logits;
import dev.sparq.testing.OnnxModels;
import dev.sparq.testing.OnnxRuntimeRunner;
import dev.sparq.testing.SharedData;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** QDQ convolutions become QLinearConv where that is exact, and the model predicts the same. */
class QdqFusionTest {
    @org.junit.jupiter.api.io.TempDir
    Path tmp;

    private static final SessionOptions CPU_REF_BASIC = SessionOptions.builder().backend("cpu-ref")
        .optimization(GraphOptimizer.Level.BASIC).build();
    /** The graph output of digits-cnn-qdq is DequantizeLinear with this scale: logits are multiples of it. */
    private static final float OUTPUT_STEP = 0.16428636f;

    private static long count(Model m, String op) {
        return m.graph().nodes().stream().filter(n -> n.opType().equals(op)).count();
    }

    /** BASIC optimization (constant folding included), then the fusion and the clean-up after it. */
    private static int fuse(Model m) {
        GraphOptimizer.optimize(m, GraphOptimizer.Level.BASIC);
        int fused = new QdqFusion().apply(m);
        new DeadNodeRemoval().apply(m);
        ShapeInference.run(m);
        return fused;
    }

    @Test
    void digitsCnnQdqConvsBecomeQLinearConvWithTheSamePredictions() throws Exception {
        Path models = SharedData.models();
        Path file = models.resolve("digits-cnn-qdq.onnx");
        Path split = models.resolve("digits-test-split");
        Model fused = Sparq.loadModel(file);
        assertEquals(2, fuse(fused));
        assertEquals(2, count(fused, "QLinearConv"));
        assertEquals(0, count(fused, "Conv"));
        assertEquals(0, count(fused, "Relu"), "both Relus fold into the uint8 zero-point-0 output range");
        assertEquals(12 - 2 * 3, count(fused, "DequantizeLinear"), "x, w, b dequantizers of the convs are gone");
        try (Tensor x = Npy.read(split.resolve("x_nchw.npy"));
             Session plain = Sparq.load(file, CPU_REF_BASIC);
             Session integer = Session.create(fused, CPU_REF_BASIC);
             Session.Result a = plain.run(Map.of("input", x));
             Session.Result b = integer.run(Map.of("input", x))) {
            float[] la = a.first().toFloatArray();
            float[] lb = b.first().toFloatArray();
            float maxDiff = Logits.maxAbsDiff(la, lb);
            System.out.printf("digits-cnn-qdq with QdqFusion: %d/%d logits differ, max |diff| = %g (step %g)%n",
                Logits.differing(la, lb), la.length, maxDiff, OUTPUT_STEP);
            assertTrue(maxDiff <= OUTPUT_STEP * 1.0001f, "max diff " + maxDiff);
            assertArrayEquals(Logits.argmax(la, 10), Logits.argmax(lb, 10));

            // The fused graph, written by OnnxExporter, is a valid QOperator model for ONNX Runtime too.
            Path exported = tmp.resolve("digits-cnn-qdq.qlinear.onnx");
            OnnxExporter.write(integer.model(), exported);
            float[] ort = OnnxRuntimeRunner.run(exported, "input", x);
            System.out.printf("digits-cnn-qdq fused, exported, in onnxruntime: %d/%d logits differ from sparq, "
                + "max |diff| = %g%n", Logits.differing(ort, lb), lb.length, Logits.maxAbsDiff(ort, lb));
            assertTrue(Logits.maxAbsDiff(ort, lb) <= OUTPUT_STEP * 1.0001f);
            assertArrayEquals(Logits.argmax(ort, 10), Logits.argmax(lb, 10));
        }
    }

    /** x(u8) → DQ → Conv(DQ(w)) → act → Q(scale 0.1, zero point {@code zp}) with a 1×1 conv. */
    private static GraphProto convChain(String activation, int zp, float clipMax) {
        GraphProto.Builder g = GraphProto.newBuilder().setName("chain")
            .addInput(OnnxModels.floatInput("x", 1, 1, 2, 2))
            .addInitializer(OnnxModels.floatTensor("s", new long[] {}, 0.1f))
            .addInitializer(byteTensor("zx", TensorProto.DataType.UINT8_VALUE, new long[] {}, (byte) 0))
            .addInitializer(byteTensor("wq", TensorProto.DataType.INT8_VALUE, new long[] {1, 1, 1, 1}, (byte) 3))
            .addInitializer(OnnxModels.floatTensor("ws", new long[] {}, 0.5f))
            .addInitializer(byteTensor("zy", TensorProto.DataType.UINT8_VALUE, new long[] {}, (byte) zp))
            .addInitializer(OnnxModels.floatTensor("lo", new long[] {}, 0f))
            .addInitializer(OnnxModels.floatTensor("hi", new long[] {}, clipMax))
            .addNode(OnnxModels.node("QuantizeLinear", List.of("x", "s", "zx"), List.of("xq")))
            .addNode(OnnxModels.node("DequantizeLinear", List.of("xq", "s", "zx"), List.of("xd")))
            .addNode(OnnxModels.node("DequantizeLinear", List.of("wq", "ws"), List.of("wd")))
            .addNode(OnnxModels.node("Conv", List.of("xd", "wd"), List.of("c")));
        String last = "c";
        if (activation != null) {
            List<String> in = activation.equals("Clip") ? List.of("c", "lo", "hi") : List.of("c");
            g.addNode(OnnxModels.node(activation, in, List.of("a")));
            last = "a";
        }
        g.addNode(OnnxModels.node("QuantizeLinear", List.of(last, "s", "zy"), List.of("yq")))
            .addNode(OnnxModels.node("DequantizeLinear", List.of("yq", "s", "zy"), List.of("y")))
            .addOutput(OnnxModels.floatInput("y", 1, 1, 2, 2));
        return g.build();
    }

    private static TensorProto byteTensor(String name, int type, long[] dims, byte value) {
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(type)
            .setRawData(com.google.protobuf.ByteString.copyFrom(new byte[] {value}));
        for (long d : dims) {
            t.addDims(d);
        }
        return t.build();
    }

    private static long fusedCount(GraphProto g) {
        return fusedCount(g, "QLinearConv");
    }

    private static long fusedCount(GraphProto g, String op) {
        try (Model m = OnnxImporter.fromProto(OnnxModels.model(g, 13), null, null)) {
            fuse(m);
            return count(m, op);
        }
    }

    @Test
    void activationsFoldOnlyWhenTheOutputRangeAlreadyClampsThem() {
        assertEquals(1, fusedCount(convChain(null, 128, 0)));
        assertEquals(1, fusedCount(convChain("Relu", 0, 0)), "Relu before u8 with zero point 0: saturation does it");
        assertEquals(0, fusedCount(convChain("Relu", 128, 0)), "negative outputs are representable: Relu matters");
        assertEquals(1, fusedCount(convChain("Clip", 0, 30f)), "Clip(0, 30) is wider than [0, 25.5]");
        assertEquals(0, fusedCount(convChain("Clip", 0, 6f)), "Clip(0, 6) cuts inside [0, 25.5]");
    }

    @Test
    void fusedChainComputesTheSameOnSmallInputs() {
        GraphProto g = convChain("Relu", 0, 0);
        float[] xs = {-1f, 0.35f, 1.25f, 2f};
        try (Tensor x = Tensor.fromFloats(xs, 1, 1, 2, 2);
             Session plain = Session.create(OnnxImporter.fromProto(OnnxModels.model(g, 13), null, null), CPU_REF_BASIC);
             Session.Result a = plain.run(Map.of("x", x))) {
            Model m = OnnxImporter.fromProto(OnnxModels.model(g, 13), null, null);
            fuse(m);
            assertEquals(List.of("QuantizeLinear", "QLinearConv", "DequantizeLinear"),
                m.graph().nodes().stream().map(Node::opType).toList());
            try (Session fused = Session.create(m, CPU_REF_BASIC); Session.Result b = fused.run(Map.of("x", x))) {
                assertArrayEquals(a.first().toFloatArray(), b.first().toFloatArray());
            }
        }
    }

    /** x [2,3] (u8) → DQ → MatMul or Gemm with an int8 weight per output channel → Q → DQ. */
    private static GraphProto matmulChain(String op, boolean transB, boolean withBias) {
        long[] wShape = transB ? new long[] {2, 3} : new long[] {3, 2};
        byte[] w = transB ? new byte[] {1, -2, 3, 4, 5, -6} : new byte[] {1, 4, -2, 5, 3, -6};
        TensorProto.Builder wt = TensorProto.newBuilder().setName("wq").setDataType(TensorProto.DataType.INT8_VALUE)
            .setRawData(com.google.protobuf.ByteString.copyFrom(w)).addDims(wShape[0]).addDims(wShape[1]);
        GraphProto.Builder g = GraphProto.newBuilder().setName("mm")
            .addInput(OnnxModels.floatInput("x", 2, 3))
            .addInitializer(OnnxModels.floatTensor("s", new long[] {}, 0.1f))
            .addInitializer(byteTensor("zx", TensorProto.DataType.UINT8_VALUE, new long[] {}, (byte) 10))
            .addInitializer(wt)
            .addInitializer(OnnxModels.floatTensor("ws", new long[] {2}, 0.5f, 0.25f))
            .addInitializer(OnnxModels.floatTensor("zw", new long[] {2}, 0f, 0f).toBuilder()
                .setDataType(TensorProto.DataType.INT8_VALUE)
                .setRawData(com.google.protobuf.ByteString.copyFrom(new byte[2])).build())
            .addInitializer(OnnxModels.floatTensor("bias", new long[] {2}, 1f, 1f))
            .addInitializer(OnnxModels.floatTensor("ys", new long[] {}, 0.2f))
            .addNode(OnnxModels.node("QuantizeLinear", List.of("x", "s", "zx"), List.of("xq")))
            .addNode(OnnxModels.node("DequantizeLinear", List.of("xq", "s", "zx"), List.of("xd")))
            .addNode(OnnxModels.node("DequantizeLinear", List.of("wq", "ws", "zw"), List.of("wd"),
                dev.sparq.onnx.proto.Onnx.AttributeProto.newBuilder().setName("axis")
                    .setType(dev.sparq.onnx.proto.Onnx.AttributeProto.AttributeType.INT).setI(transB ? 0 : 1).build()));
        List<String> in = withBias ? List.of("xd", "wd", "bias") : List.of("xd", "wd");
        if (op.equals("Gemm")) {
            g.addNode(OnnxModels.node("Gemm", in, List.of("m"), dev.sparq.onnx.proto.Onnx.AttributeProto.newBuilder()
                .setName("transB").setType(dev.sparq.onnx.proto.Onnx.AttributeProto.AttributeType.INT)
                .setI(transB ? 1 : 0).build()));
        } else {
            g.addNode(OnnxModels.node("MatMul", in, List.of("m")));
        }
        return g.addNode(OnnxModels.node("QuantizeLinear", List.of("m", "ys", "zx"), List.of("yq")))
            .addNode(OnnxModels.node("DequantizeLinear", List.of("yq", "ys", "zx"), List.of("y")))
            .addOutput(OnnxModels.floatInput("y", 2, 2)).build();
    }

    @Test
    void matMulAndBiaslessGemmBecomeQLinearMatMulComputingTheSame() {
        float[] xs = {0.3f, -0.7f, 1.2f, 2.5f, 0f, -1f};
        for (GraphProto g : List.of(matmulChain("MatMul", false, false), matmulChain("Gemm", false, false),
                matmulChain("Gemm", true, false))) {
            try (Tensor x = Tensor.fromFloats(xs, 2, 3);
                 Session plain = Session.create(OnnxImporter.fromProto(OnnxModels.model(g, 13), null, null), CPU_REF_BASIC);
                 Session.Result a = plain.run(Map.of("x", x))) {
                Model m = OnnxImporter.fromProto(OnnxModels.model(g, 13), null, null);
                assertEquals(1, fuse(m));
                assertEquals(List.of("QuantizeLinear", "QLinearMatMul", "DequantizeLinear"),
                    m.graph().nodes().stream().map(Node::opType).toList());
                try (Session fused = Session.create(m, CPU_REF_BASIC); Session.Result b = fused.run(Map.of("x", x))) {
                    float[] pa = a.first().toFloatArray();
                    float[] pb = b.first().toFloatArray();
                    for (int i = 0; i < pa.length; i++) {
                        assertEquals(pa[i], pb[i], 0.2f * 1.0001f, "within one output step");
                    }
                }
            }
        }
        assertEquals(0, fusedCount(matmulChain("Gemm", true, true), "QLinearMatMul"), "Gemm with C stays");
    }
}
