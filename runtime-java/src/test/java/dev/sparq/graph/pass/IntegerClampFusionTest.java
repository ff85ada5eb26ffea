package dev.sparq.graph.pass;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparq.Session;
import dev.sparq.SessionOptions;
import dev.sparq.graph.ClampedQuantizedOp;
import dev.sparq.graph.Model;
import dev.sparq.graph.Node;
import dev.sparq.graph.ShapeInference;
import dev.sparq.graph.ValueType;
import dev.sparq.onnx.OnnxImporter;
import dev.sparq.onnx.proto.Onnx.GraphProto;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import dev.sparq.testing.OnnxModels;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The integer Clip QDQ fusion leaves goes into the QLinearConv / QLinearAdd before it, computing the same. */
class IntegerClampFusionTest {
    private static final SessionOptions CPU_REF_BASIC = SessionOptions.builder().backend("cpu-ref")
        .optimization(GraphOptimizer.Level.BASIC).build();

    /** Conv output = 1.5 · x, x in [-12.8, 12.7]: below 0, inside the clip, beyond it, and saturating. */
    private static final float[] XS = {-1f, 0.35f, 4.5f, 25f};

    /** Relu with outputs below zero, Clip(0, 6) inside the range, the same with a mid-range zero point. */
    private static List<GraphProto> chains() {
        return List.of(QdqFusionTest.convChain("Relu", 128, 0, 128), QdqFusionTest.convChain("Clip", 0, 6f, 128),
            QdqFusionTest.convChain("Clip", 100, 6f, 128));
    }

    private static Model model(GraphProto g) {
        return OnnxImporter.fromProto(OnnxModels.model(g, 13), null, null);
    }

    /** QDQ fusion and the clean-up after it, as GraphOptimizer runs them, without the clamp fusion. */
    private static Model qdqFused(GraphProto g) {
        Model m = model(g);
        GraphOptimizer.optimize(m, GraphOptimizer.Level.BASIC);
        new QdqFusion().apply(m);
        new DeadNodeRemoval().apply(m);
        return m;
    }

    /**
     * {@code g} fully optimized on {@code backend}: no Clip is left and it computes what {@code want} holds; returns
     * the clamped ops.
     */
    private static List<Node> fusedRun(GraphProto g, Map<String, Tensor> feed, Session.Result want, String backend) {
        Model m = model(g);
        GraphOptimizer.optimize(m, GraphOptimizer.Level.ALL);
        assertEquals(0, m.graph().nodes().stream().filter(n -> n.opType().equals("Clip")).count());
        List<Node> clamped = m.graph().nodes().stream().filter(n -> n.domain().equals(ClampedQuantizedOp.DOMAIN))
            .toList();
        try (Session fused = Session.create(m, SessionOptions.builder().backend(backend)
                 .optimization(GraphOptimizer.Level.NONE).build());
             Session.Result got = fused.run(feed)) {
            assertArrayEquals(want.first().toFloatArray(), got.first().toFloatArray(), backend);
        }
        return clamped;
    }

    @Test
    void theClipBecomesTheBoundsOfTheQLinearConv() {
        for (GraphProto g : chains()) {
            try (Model m = qdqFused(g)) {
                Node clip = m.graph().nodes().get(2);
                assertEquals("Clip", clip.opType());
                long lo = m.graph().initializers().get(clip.input(1)).getLong(0);
                long hi = m.graph().initializers().get(clip.input(2)).getLong(0);
                assertEquals(1, new IntegerClampFusion().apply(m));
                assertEquals(List.of("QuantizeLinear", "QLinearConv", "DequantizeLinear"),
                    m.graph().nodes().stream().map(Node::opType).toList());
                Node conv = m.graph().nodes().get(1);
                assertEquals(ClampedQuantizedOp.DOMAIN, conv.domain());
                m.graph().types().remove(conv.outputs().get(0));
                ShapeInference.run(m);
                assertEquals(ValueType.tensor(DType.U8, 1, 1, 2, 2), m.graph().type(conv.outputs().get(0)),
                    "inferred as the plain op's output");
                assertEquals(clip.outputs(), conv.outputs(), "the fused op writes what the Clip wrote");
                assertEquals(lo, conv.intAttr(ClampedQuantizedOp.MIN, -1));
                assertEquals(hi, conv.intAttr(ClampedQuantizedOp.MAX, -1));
                assertArrayEquals(new int[] {(int) lo, (int) hi}, ClampedQuantizedOp.bounds(conv, DType.U8));
            }
        }
    }

    /** Fully optimized (clamp fused) on cpu-ref and cpu-simd against the float chain on cpu-ref: the same floats. */
    @Test
    void theFusedGraphComputesWhatTheFloatChainDid() {
        for (GraphProto g : chains()) {
            try (Tensor x = Tensor.fromFloats(XS, 1, 1, 2, 2);
                 Session plain = Session.create(model(g), CPU_REF_BASIC);
                 Session.Result want = plain.run(Map.of("x", x))) {
                for (String backend : List.of("cpu-ref", "cpu-simd")) {
                    assertEquals(1, fusedRun(g, Map.of("x", x), want, backend).size());
                }
            }
        }
    }

    /** The residual Add with a Relu before an int8 output (zero point 0): QLinearAdd takes the clamp too. */
    @Test
    void theClipAfterAQLinearAddIsFusedComputingTheSame() {
        float[] av = {-6.4f, -1f, -0.025f, 0f, 0.075f, 1.3f, 2.2f, 3.1f, 6.35f, 9f};
        float[] bv = {3.8f, -3.9f, 0.015f, -0.045f, 0.2f, -1.3f, 1.1f, 0.7f, 3.81f, -9f};
        GraphProto g = QdqFusionTest.addChain(true, 0);
        try (Tensor a = Tensor.fromFloats(av, 2, 5); Tensor b = Tensor.fromFloats(bv, 2, 5);
             Session plain = Session.create(model(g), CPU_REF_BASIC);
             Session.Result want = plain.run(Map.of("a", a, "b", b))) {
            for (String backend : List.of("cpu-ref", "cpu-simd")) {
                List<Node> clamped = fusedRun(g, Map.of("a", a, "b", b), want, backend);
                assertEquals(List.of("QLinearAdd"), clamped.stream().map(Node::opType).toList());
                assertEquals(0, clamped.get(0).intAttr(ClampedQuantizedOp.MIN, -1), "Relu: a clamp at the zero point");
            }
        }
    }

    /** A matmul chain with a Relu before its Q (uint8, zero point 10: not saturation's clamp). */
    private static GraphProto withRelu(GraphProto chain) {
        GraphProto.Builder b = chain.toBuilder();
        for (int i = 0; i < b.getNodeCount(); i++) {
            if (b.getNode(i).getOpType().equals("QuantizeLinear") && b.getNode(i).getInput(0).equals("m")) {
                b.setNode(i, b.getNode(i).toBuilder().setInput(0, "r"));
                b.addNode(i, OnnxModels.node("Relu", List.of("m"), List.of("r")));
                return b.build();
            }
        }
        throw new AssertionError("no QuantizeLinear of m");
    }

    /** MatMul → QLinearMatMul and Gemm with an int32 bias → QGemm take the clamp too, computing the same. */
    @Test
    void theClipAfterQLinearMatMulAndQGemmIsFusedComputingTheSame() {
        float[] xs = {-1f, 0.3f, 2.5f, 7f, -4f, 11f};
        for (GraphProto g : List.of(withRelu(QdqFusionTest.matmulChain("MatMul", false, false, false)),
            withRelu(QdqFusionTest.matmulChain("Gemm", true, true, true)))) {
            try (Tensor x = Tensor.fromFloats(xs, 2, 3); Session plain = Session.create(model(g), CPU_REF_BASIC);
                 Session.Result want = plain.run(Map.of("x", x))) {
                for (String backend : List.of("cpu-ref", "cpu-simd")) {
                    List<Node> clamped = fusedRun(g, Map.of("x", x), want, backend);
                    assertEquals(1, clamped.size());
                    assertTrue(List.of("QLinearMatMul", "QGemm").contains(clamped.get(0).opType()));
                }
            }
        }
    }

    @Test
    void aClipThatIsNotTheOnlyReaderOrHasNoConstantBoundsStays() {
        GraphProto g = QdqFusionTest.convChain("Relu", 128, 0, 128);
        // another node reads the QLinearConv's output: it must keep seeing the unclamped values
        try (Model m = qdqFused(g)) {
            String convOut = m.graph().nodes().get(1).outputs().get(0);
            m.graph().nodes().add(new Node("other", "Identity", "", List.of(convOut), List.of("o"), Map.of()));
            assertEquals(0, new IntegerClampFusion().apply(m));
        }
        // a bound computed at run time
        try (Model m = qdqFused(g)) {
            Node clip = m.graph().nodes().get(2);
            m.graph().initializers().remove(clip.input(2));
            assertEquals(0, new IntegerClampFusion().apply(m));
        }
        // min > max (ONNX: every value becomes max) is left to the Clip kernel
        try (Model m = qdqFused(g)) {
            Node clip = m.graph().nodes().get(2);
            assertEquals(128, m.graph().initializers().get(clip.input(1)).getLong(0), "Relu: min at the zero point");
            m.graph().initializers().get(clip.input(2)).setLong(0, 100);
            assertEquals(0, new IntegerClampFusion().apply(m));
        }
    }

    @Test
    void aSessionCanLeaveThePassOut() {
        GraphProto g = chains().get(0);
        try (Session s = Session.create(model(g), SessionOptions.builder().backend("cpu-ref")
                .disablePass("integer-clamp-fusion").build())) {
            assertEquals(1, s.model().graph().nodes().stream().filter(n -> n.opType().equals("Clip")).count());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Session.create(model(g),
            SessionOptions.builder().disablePass("no-such-pass").build()));
        assertTrue(e.getMessage().contains("'no-such-pass'") && e.getMessage().contains("integer-clamp-fusion"),
            e.getMessage());
    }

    /** A model carrying a clamped op with crossed bounds (sparq never writes one): a clear error at load. */
    @Test
    void aModelWithCrossedBoundsFailsAtLoadNamingThem() {
        Model m = qdqFused(chains().get(0));
        new IntegerClampFusion().apply(m);
        Node conv = m.graph().nodes().get(1);
        m.graph().nodes().set(1, ClampedQuantizedOp.clamped(ClampedQuantizedOp.unclamped(conv), 200, 100,
            conv.outputs().get(0)));
        RuntimeException e = assertThrows(RuntimeException.class, () -> Session.create(m,
            SessionOptions.builder().optimization(GraphOptimizer.Level.NONE).build()));
        assertTrue(e.getMessage().contains(ClampedQuantizedOp.MIN) && e.getMessage().contains(conv.name()),
            e.getMessage());
    }

    @Test
    void malformedBoundsAreRejectedNotIgnored() {
        Node ok = new Node("c", "QLinearConv", "", List.of("x"), List.of("y"), Map.of());
        assertArrayEquals(new int[] {-128, 127}, ClampedQuantizedOp.bounds(ok, DType.I8), "plain op: the type's range");
        assertArrayEquals(new int[] {0, 255}, ClampedQuantizedOp.bounds(ok, DType.U8));
        assertArrayEquals(new int[] {-3, 9}, ClampedQuantizedOp.bounds(ClampedQuantizedOp.clamped(ok, -3, 9, "z"),
            DType.I8));
        for (long[] b : new long[][] {{-3, 200}, {-129, 0}, {5, 4}}) {
            assertEquals(null, ClampedQuantizedOp.bounds(ClampedQuantizedOp.clamped(ok, b[0], b[1], "z"), DType.I8));
        }
        Node missing = new Node("c", "QLinearConv", ClampedQuantizedOp.DOMAIN, List.of("x"), List.of("y"), Map.of());
        assertEquals(null, ClampedQuantizedOp.bounds(missing, DType.U8));
        assertEquals(ok.attributes(), ClampedQuantizedOp.unclamped(ClampedQuantizedOp.clamped(ok, 1, 2, "y"))
            .attributes());
        assertEquals("", ClampedQuantizedOp.unclamped(ClampedQuantizedOp.clamped(ok, 1, 2, "y")).domain());
    }
}
