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
    void digitsCnnQdqConvsAndGemmBecomeIntegerOpsWithTheSamePredictions() throws Exception {
        Path models = SharedData.models();
        Path file = models.resolve("digits-cnn-qdq.onnx");
        Path split = models.resolve("digits-test-split");
        Model fused = Sparq.loadModel(file);
        assertEquals(3, fuse(fused));
        assertEquals(2, count(fused, "QLinearConv"));
        assertEquals(1, count(fused, "QGemm"), "the classifier Gemm has an int32 bias");
        assertEquals(0, count(fused, "Conv"));
        assertEquals(0, count(fused, "Gemm"));
        assertEquals(0, count(fused, "Relu"), "both Relus fold into the uint8 zero-point-0 output range");
        assertEquals(0, count(fused, "Clip"));
        assertEquals(12 - 3 * 3, count(fused, "DequantizeLinear"), "x, w, b dequantizers of convs and Gemm are gone");
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
        return convChain(activation, zp, clipMax, 0);
    }

    /** As above with input zero point {@code inputZp} (128: negative inputs, so negative conv outputs). */
    static GraphProto convChain(String activation, int zp, float clipMax, int inputZp) {
        GraphProto.Builder g = GraphProto.newBuilder().setName("chain")
            .addInput(OnnxModels.floatInput("x", 1, 1, 2, 2))
            .addInitializer(OnnxModels.floatTensor("s", new long[] {}, 0.1f))
            .addInitializer(byteTensor("zx", TensorProto.DataType.UINT8_VALUE, new long[] {}, (byte) inputZp))
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
    void activationsFoldIntoSaturationOrAClipOnTheQuantizedOutput() {
        assertEquals(1, fusedCount(convChain(null, 128, 0)));
        assertEquals(0, fusedCount(convChain(null, 128, 0), "Clip"));
        assertEquals(1, fusedCount(convChain("Relu", 0, 0)), "Relu before u8 with zero point 0: saturation does it");
        assertEquals(0, fusedCount(convChain("Relu", 0, 0), "Clip"));
        assertEquals(1, fusedCount(convChain("Clip", 0, 30f)), "Clip(0, 30) is wider than [0, 25.5]");
        assertEquals(0, fusedCount(convChain("Clip", 0, 30f), "Clip"));
        // Negative outputs are representable, or the clip cuts inside the range: an integer Clip keeps the meaning.
        for (GraphProto g : List.of(convChain("Relu", 128, 0), convChain("Clip", 0, 6f))) {
            assertEquals(1, fusedCount(g));
            assertEquals(1, fusedCount(g, "Clip"));
            assertEquals(0, fusedCount(g, "Conv"));
        }
    }

    @Test
    void integerClipComputesExactlyWhatTheFloatActivationDid() {
        // Conv output = 1.5 · x with x in [-12.8, 12.7]: below 0, inside, and beyond 6 (the last input saturates).
        float[] xs = {-1f, 0.35f, 4.5f, 25f};
        for (GraphProto g : List.of(convChain("Relu", 128, 0, 128), convChain("Clip", 0, 6f, 128),
                convChain("Clip", 100, 6f, 128))) {
            try (Tensor x = Tensor.fromFloats(xs, 1, 1, 2, 2);
                 Session plain = Session.create(OnnxImporter.fromProto(OnnxModels.model(g, 13), null, null),
                     CPU_REF_BASIC);
                 Session.Result a = plain.run(Map.of("x", x))) {
                Model m = OnnxImporter.fromProto(OnnxModels.model(g, 13), null, null);
                fuse(m);
                assertEquals(List.of("QuantizeLinear", "QLinearConv", "Clip", "DequantizeLinear"),
                    m.graph().nodes().stream().map(Node::opType).toList());
                try (Session fused = Session.create(m, CPU_REF_BASIC); Session.Result b = fused.run(Map.of("x", x))) {
                    assertArrayEquals(a.first().toFloatArray(), b.first().toFloatArray());
                }
            }
        }
    }

    @Test
    void beforeOpset12AClampThatMattersKeepsTheChainFloat() {
        try (Model m = OnnxImporter.fromProto(OnnxModels.model(convChain("Relu", 128, 0), 11), null, null)) {
            fuse(m);
            assertEquals(0, count(m, "QLinearConv"), "Clip on 8-bit values needs opset 12");
        }
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

    /** x [2,3] (u8) → DQ → MatMul or Gemm with an int8 weight per output channel (float bias) → Q → DQ. */
    private static GraphProto matmulChain(String op, boolean transB, boolean withBias) {
        return matmulChain(op, transB, withBias, false);
    }

    /** As above; {@code int32Bias}: the bias is DequantizeLinear(int32, scale x_scale · w_scale[c]). */
    static GraphProto matmulChain(String op, boolean transB, boolean withBias, boolean int32Bias) {
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
        if (int32Bias) {
            g.addInitializer(TensorProto.newBuilder().setName("bq").setDataType(TensorProto.DataType.INT32_VALUE)
                    .addDims(2).addInt32Data(7).addInt32Data(-20).build())
                .addInitializer(OnnxModels.floatTensor("bs", new long[] {2}, 0.1f * 0.5f, 0.1f * 0.25f))
                .addNode(OnnxModels.node("DequantizeLinear", List.of("bq", "bs"), List.of("bd"),
                    dev.sparq.onnx.proto.Onnx.AttributeProto.newBuilder().setName("axis")
                        .setType(dev.sparq.onnx.proto.Onnx.AttributeProto.AttributeType.INT).setI(0).build()));
        }
        List<String> in = !withBias ? List.of("xd", "wd") : List.of("xd", "wd", int32Bias ? "bd" : "bias");
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
        assertEquals(0, fusedCount(matmulChain("Gemm", true, true), "QLinearMatMul"), "Gemm with a float C stays");
        assertEquals(1, fusedCount(matmulChain("Gemm", true, true), "Gemm"));
    }

    @Test
    void gemmWithAnInt32BiasBecomesQGemmComputingTheSame() {
        float[] xs = {0.3f, -0.7f, 1.2f, 2.5f, 0f, -1f};
        for (boolean transB : new boolean[] {true, false}) {
            GraphProto g = matmulChain("Gemm", transB, true, true);
            try (Tensor x = Tensor.fromFloats(xs, 2, 3);
                 Session plain = Session.create(OnnxImporter.fromProto(OnnxModels.model(g, 13), null, null), CPU_REF_BASIC);
                 Session.Result a = plain.run(Map.of("x", x))) {
                Model m = OnnxImporter.fromProto(OnnxModels.model(g, 13), null, null);
                assertEquals(1, fuse(m));
                assertEquals(List.of("QuantizeLinear", "QGemm", "DequantizeLinear"),
                    m.graph().nodes().stream().map(Node::opType).toList());
                assertEquals(dev.sparq.tensor.DType.U8, m.graph().type("yq").dtype(), "QGemm's output type is inferred");
                try (Session fused = Session.create(m, CPU_REF_BASIC); Session.Result b = fused.run(Map.of("x", x))) {
                    float[] pa = a.first().toFloatArray();
                    float[] pb = b.first().toFloatArray();
                    for (int i = 0; i < pa.length; i++) {
                        assertEquals(pa[i], pb[i], 0.2f * 1.0001f, "within one output step");
                    }
                }
            }
        }
    }

    @Test
    void gemmWhoseOutputStaysFloatBecomesQGemmWithAFloatOutput() {
        float[] xs = {0.3f, -0.7f, 1.2f, 2.5f, 0f, -1f};
        for (boolean transB : new boolean[] {true, false}) {
            for (boolean withBias : new boolean[] {true, false}) {
                GraphProto g = floatOutput(matmulChain("Gemm", transB, withBias, withBias));
                try (Tensor x = Tensor.fromFloats(xs, 2, 3);
                     Session plain = Session.create(OnnxImporter.fromProto(OnnxModels.model(g, 13), null, null),
                         CPU_REF_BASIC);
                     Session.Result a = plain.run(Map.of("x", x))) {
                    Model m = OnnxImporter.fromProto(OnnxModels.model(g, 13), null, null);
                    assertEquals(1, fuse(m));
                    assertEquals(List.of("QuantizeLinear", "QGemm"), m.graph().nodes().stream().map(Node::opType).toList());
                    assertEquals(dev.sparq.tensor.DType.F32, m.graph().type("m").dtype());
                    try (Session fused = Session.create(m, CPU_REF_BASIC); Session.Result r = fused.run(Map.of("x", x))) {
                        float[] pa = a.first().toFloatArray();
                        float[] pb = r.first().toFloatArray();
                        for (int i = 0; i < pa.length; i++) {
                            // the same products and bias, summed exactly in int32 instead of rounded in float
                            assertEquals(pa[i], pb[i], 1e-5f * Math.max(1f, Math.abs(pa[i])), transB + " " + withBias);
                        }
                    }
                }
            }
        }
        assertEquals(0, fusedCount(floatOutput(matmulChain("Gemm", true, true, false)), "QGemm"),
            "a float bias has no exact int32 form");
    }

    /** The chain without its output QuantizeLinear and DequantizeLinear: the Gemm's float result is the output. */
    private static GraphProto floatOutput(GraphProto chain) {
        GraphProto.Builder b = chain.toBuilder();
        b.removeNode(b.getNodeCount() - 1);
        b.removeNode(b.getNodeCount() - 1);
        return b.clearOutput().addOutput(OnnxModels.floatInput("m", 2, 2)).build();
    }

    /** a, b [2,5] (int8, two scales) → DQ → Add → [Relu] → Q (int8, zero point {@code zp}) → DQ. */
    static GraphProto addChain(boolean relu, int zp) {
        GraphProto.Builder g = GraphProto.newBuilder().setName("add")
            .addInput(OnnxModels.floatInput("a", 2, 5))
            .addInput(OnnxModels.floatInput("b", 2, 5))
            .addInitializer(OnnxModels.floatTensor("sa", new long[] {}, 0.05f))
            .addInitializer(OnnxModels.floatTensor("sb", new long[] {}, 0.03f))
            .addInitializer(OnnxModels.floatTensor("sc", new long[] {}, 0.07f))
            .addInitializer(byteTensor("z0", TensorProto.DataType.INT8_VALUE, new long[] {}, (byte) 0))
            .addInitializer(byteTensor("zc", TensorProto.DataType.INT8_VALUE, new long[] {}, (byte) zp))
            .addNode(OnnxModels.node("QuantizeLinear", List.of("a", "sa", "z0"), List.of("aq")))
            .addNode(OnnxModels.node("QuantizeLinear", List.of("b", "sb", "z0"), List.of("bq")))
            .addNode(OnnxModels.node("DequantizeLinear", List.of("aq", "sa", "z0"), List.of("ad")))
            .addNode(OnnxModels.node("DequantizeLinear", List.of("bq", "sb", "z0"), List.of("bd")))
            .addNode(OnnxModels.node("Add", List.of("ad", "bd"), List.of("s")));
        String last = "s";
        if (relu) {
            g.addNode(OnnxModels.node("Relu", List.of("s"), List.of("r")));
            last = "r";
        }
        return g.addNode(OnnxModels.node("QuantizeLinear", List.of(last, "sc", "zc"), List.of("cq")))
            .addNode(OnnxModels.node("DequantizeLinear", List.of("cq", "sc", "zc"), List.of("y")))
            .addOutput(OnnxModels.floatInput("y", 2, 5)).build();
    }

    @Test
    void residualAddOfDequantizedValuesBecomesQLinearAddComputingExactlyTheSame() {
        float[] av = {-6.4f, -1f, -0.025f, 0f, 0.075f, 1.3f, 2.2f, 3.1f, 6.35f, 9f};
        float[] bv = {3.8f, -3.9f, 0.015f, -0.045f, 0.2f, -1.3f, 1.1f, 0.7f, 3.81f, -9f};
        for (GraphProto g : List.of(addChain(false, 0), addChain(true, 0), addChain(true, -128), addChain(false, 5))) {
            try (Tensor a = Tensor.fromFloats(av, 2, 5); Tensor b = Tensor.fromFloats(bv, 2, 5);
                 Session plain = Session.create(OnnxImporter.fromProto(OnnxModels.model(g, 13), null, null), CPU_REF_BASIC);
                 Session.Result want = plain.run(Map.of("a", a, "b", b))) {
                Model m = OnnxImporter.fromProto(OnnxModels.model(g, 13), null, null);
                assertEquals(1, fuse(m));
                List<String> ops = m.graph().nodes().stream().map(Node::opType).toList();
                assertTrue(ops.contains("QLinearAdd") && !ops.contains("Add") && !ops.contains("Relu"), ops.toString());
                for (String backend : List.of("cpu-ref", "cpu-simd")) {
                    Model copy = OnnxImporter.fromProto(OnnxExporter.toProto(m), null, null);
                    try (Session fused = Session.create(copy, SessionOptions.builder().backend(backend)
                            .optimization(GraphOptimizer.Level.NONE).build());
                         Session.Result got = fused.run(Map.of("a", a, "b", b))) {
                        assertArrayEquals(want.first().toFloatArray(), got.first().toFloatArray(), backend + " " + ops);
                    }
                }
            }
        }
    }

    /** x → Q(s, z) → DQ(s, z) → Q(s2, z2) → DQ(s2, z2) → y, u8. */
    private static GraphProto roundTrip(float s2, int z2) {
        return GraphProto.newBuilder().setName("rt")
            .addInput(OnnxModels.floatInput("x", 6))
            .addInitializer(OnnxModels.floatTensor("s", new long[] {}, 0.0173f))
            .addInitializer(byteTensor("z", TensorProto.DataType.UINT8_VALUE, new long[] {}, (byte) 130))
            .addInitializer(OnnxModels.floatTensor("s2", new long[] {}, s2))
            .addInitializer(byteTensor("z2", TensorProto.DataType.UINT8_VALUE, new long[] {}, (byte) z2))
            .addNode(OnnxModels.node("QuantizeLinear", List.of("x", "s", "z"), List.of("q1")))
            .addNode(OnnxModels.node("DequantizeLinear", List.of("q1", "s", "z"), List.of("d1")))
            .addNode(OnnxModels.node("QuantizeLinear", List.of("d1", "s2", "z2"), List.of("q2")))
            .addNode(OnnxModels.node("DequantizeLinear", List.of("q2", "s2", "z2"), List.of("y")))
            .addOutput(OnnxModels.floatInput("y", 6)).build();
    }

    @Test
    void dequantizeQuantizeRoundTripWithTheSameParametersIsRemovedAndChangesNothing() {
        float[] xs = {-3f, -0.0173f, 0f, 0.5f, 2.2491f, 9f};
        for (boolean same : new boolean[] {true, false}) {
            GraphProto g = same ? roundTrip(0.0173f, 130) : roundTrip(0.0173f, 129);
            try (Tensor x = Tensor.fromFloats(xs, 6);
                 Session plain = Session.create(OnnxImporter.fromProto(OnnxModels.model(g, 13), null, null), CPU_REF_BASIC);
                 Session.Result want = plain.run(Map.of("x", x));
                 Model m = OnnxImporter.fromProto(OnnxModels.model(g, 13), null, null)) {
                GraphOptimizer.optimize(m, GraphOptimizer.Level.BASIC);
                assertEquals(same ? 1 : 0, new QdqPairRemoval().apply(m));
                new DeadNodeRemoval().apply(m);
                assertEquals(same ? List.of("QuantizeLinear", "DequantizeLinear")
                        : List.of("QuantizeLinear", "DequantizeLinear", "QuantizeLinear", "DequantizeLinear"),
                    m.graph().nodes().stream().map(Node::opType).toList());
                Model copy = OnnxImporter.fromProto(OnnxExporter.toProto(m), null, null);
                try (Session s = Session.create(copy, CPU_REF_BASIC); Session.Result got = s.run(Map.of("x", x))) {
                    assertArrayEquals(want.first().toFloatArray(), got.first().toFloatArray());
                }
            }
        }
    }

    @Test
    void optimizedDigitsCnnQdqConvertsOnlyAtItsInputAndOutput() throws Exception {
        Path models = SharedData.models();
        Path split = models.resolve("digits-test-split");
        try (Tensor x = Npy.read(split.resolve("x_nchw.npy"));
             Session plain = Sparq.load(models.resolve("digits-cnn-qdq.onnx"), CPU_REF_BASIC);
             Session optimized = Sparq.load(models.resolve("digits-cnn-qdq.onnx"));
             Session.Result a = plain.run(Map.of("input", x));
             Session.Result b = optimized.run(Map.of("input", x))) {
            Model m = optimized.model();
            // The executor adds no float round trip between the integer ops: one Q at the input, one DQ at the end.
            assertEquals(1, count(m, "QuantizeLinear"));
            assertEquals(1, count(m, "DequantizeLinear"));
            assertEquals(0, count(m, "Cast"), "PyTorch's no-op Casts are gone");
            assertEquals(List.of("QuantizeLinear", "QLinearConv", "QLinearConv", "MaxPool", "Flatten", "QGemm",
                "DequantizeLinear"), m.graph().nodes().stream().map(Node::opType).toList());
            assertTrue(Logits.maxAbsDiff(a.first().toFloatArray(), b.first().toFloatArray()) <= OUTPUT_STEP * 1.0001f);
            assertArrayEquals(Logits.argmax(a.first().toFloatArray(), 10), Logits.argmax(b.first().toFloatArray(), 10));
        }
    }
}
