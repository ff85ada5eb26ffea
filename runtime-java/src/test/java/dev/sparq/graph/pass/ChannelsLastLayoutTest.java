package dev.sparq.graph.pass;

import static dev.sparq.testing.OnnxModels.ints;
import static dev.sparq.graph.pass.PassTests.ops;
import static dev.sparq.graph.pass.PassTests.optimized;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparq.Session;
import dev.sparq.SessionOptions;
import dev.sparq.Sparq;
import dev.sparq.graph.ChannelsLastConv;
import dev.sparq.graph.Model;
import dev.sparq.graph.Node;
import dev.sparq.graph.ValueType;
import dev.sparq.onnx.proto.Onnx.AttributeProto;
import dev.sparq.onnx.proto.Onnx.GraphProto;
import dev.sparq.onnx.proto.Onnx.ModelProto;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import dev.sparq.testing.OnnxModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The channels-last pass on an inverted-residual block made for it: what it converts, where it transposes, what it
 * leaves alone, and that cpu-simd runs the result as cpu-ref runs the original graph.
 */
class ChannelsLastLayoutTest {
    @TempDir
    Path dir;
    private final Random rnd = new Random(27);

    private float[] random(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) rnd.nextGaussian() * 0.5f;
        }
        return v;
    }

    /**
     * x [N,8,9,7] -> 1×1 expand to 24 (Relu) -> 3×3 depthwise (Clip 0..6) -> 1×1 project to 8 -> + x -> y, and the
     * expanded value also leaves as graph output "e" when {@code tapExpanded}; {@code depthwise} false makes the
     * middle layer a dense 3×3 instead.
     */
    private Path block(boolean depthwise, boolean tapExpanded) throws IOException {
        int c = 8;
        int e = 24;
        GraphProto.Builder g = GraphProto.newBuilder().addInput(OnnxModels.floatInput("x", "N", c, 9, 7))
            .addInitializer(OnnxModels.floatTensor("w1", new long[] {e, c, 1, 1}, random(e * c)))
            .addInitializer(OnnxModels.floatTensor("b1", new long[] {e}, random(e)))
            .addInitializer(OnnxModels.floatTensor("w2", new long[] {e, depthwise ? 1 : e, 3, 3},
                random(e * (depthwise ? 1 : e) * 9)))
            .addInitializer(OnnxModels.floatTensor("w3", new long[] {c, e, 1, 1}, random(c * e)))
            .addInitializer(OnnxModels.floatTensor("lo", new long[] {}, 0f))
            .addInitializer(OnnxModels.floatTensor("hi", new long[] {}, 6f))
            .addNode(OnnxModels.node("Conv", List.of("x", "w1", "b1"), List.of("a")))
            .addNode(OnnxModels.node("Relu", List.of("a"), List.of("e")))
            .addNode(OnnxModels.node("Conv", List.of("e", "w2"), List.of("d"), ints("pads", 1, 1, 1, 1),
                AttributeProto.newBuilder().setName("group").setType(AttributeProto.AttributeType.INT)
                    .setI(depthwise ? e : 1).build()))
            .addNode(OnnxModels.node("Clip", List.of("d", "lo", "hi"), List.of("dc")))
            .addNode(OnnxModels.node("Conv", List.of("dc", "w3"), List.of("p")))
            .addNode(OnnxModels.node("Add", List.of("p", "x"), List.of("y")))
            .addOutput(OnnxModels.floatInput("y", "N", c, 9, 7));
        if (tapExpanded) {
            g.addOutput(OnnxModels.floatInput("e", "N", e, 9, 7));
        }
        ModelProto m = OnnxModels.model(g.build(), 13);
        Path f = dir.resolve("block" + depthwise + tapExpanded + ".onnx");
        Files.write(f, m.toByteArray());
        return f;
    }

    @Test
    void aBlockWithADepthwiseLayerRunsChannelsLastBetweenTwoTransposes() throws IOException {
        try (Model m = optimized(block(true, false))) {
            assertEquals(6, new ChannelsLastLayout().apply(m)); // 3 convolutions, the Add, 2 transposes
            assertEquals(List.of("Transpose", ChannelsLastConv.OP, ChannelsLastConv.OP, ChannelsLastConv.OP, "Add",
                "Transpose"), ops(m));
            List<Node> n = m.graph().nodes();
            assertEquals(List.of(0L, 2L, 3L, 1L), boxed(n.get(0).intsAttr("perm", null)));
            assertEquals(List.of(0L, 3L, 1L, 2L), boxed(n.get(5).intsAttr("perm", null)));
            // the residual reads x through the same transpose as the first layer, and y keeps its name and layout
            assertEquals(n.get(0).outputs().get(0), n.get(4).input(1));
            assertEquals("y", n.get(5).outputs().get(0));
            assertEquals("Clip", n.get(2).stringAttr("activation", ""));
            ValueType t = m.graph().type(n.get(1).outputs().get(0));
            assertEquals("f32[N,9,7,24]", t.toString());
        }
    }

    @Test
    void valuesReadOutsideTheBlockAreTransposedBackUnderTheirOwnName() throws IOException {
        try (Model m = optimized(block(true, true))) {
            new ChannelsLastLayout().apply(m);
            List<Node> back = m.graph().nodes().stream().filter(n -> n.opType().equals("Transpose")
                && n.outputs().get(0).equals("e")).toList();
            assertEquals(1, back.size(), ops(m).toString());
        }
    }

    @Test
    void blocksWithoutDepthwiseLayersAndClaimedLayersAreLeftAlone() throws IOException {
        try (Model m = optimized(block(false, false))) {
            List<String> before = ops(m);
            assertEquals(0, new ChannelsLastLayout().apply(m));
            assertEquals(before, ops(m));
        }
        try (Model m = optimized(block(true, false))) {
            // another backend takes the depthwise layer: the pointwise layers alone are not worth converting
            assertEquals(0, new ChannelsLastLayout(n -> n.attributes().containsKey("group")).apply(m));
        }
    }

    @Test
    void aFirstLayerJoinsTheBlockAndReadsItsImageAsItIs() throws IOException {
        GraphProto g = GraphProto.newBuilder().addInput(OnnxModels.floatInput("x", 1, 3, 16, 16))
            .addInitializer(OnnxModels.floatTensor("w1", new long[] {16, 3, 3, 3}, random(16 * 27)))
            .addInitializer(OnnxModels.floatTensor("w2", new long[] {16, 1, 3, 3}, random(16 * 9)))
            .addNode(OnnxModels.node("Conv", List.of("x", "w1"), List.of("a"), ints("strides", 2, 2),
                ints("pads", 1, 1, 1, 1)))
            .addNode(OnnxModels.node("Relu", List.of("a"), List.of("r")))
            .addNode(OnnxModels.node("Conv", List.of("r", "w2"), List.of("y"), ints("pads", 1, 1, 1, 1),
                AttributeProto.newBuilder().setName("group").setType(AttributeProto.AttributeType.INT).setI(16).build()))
            .addOutput(OnnxModels.floatInput("y", 1, 16, 8, 8)).build();
        Path f = dir.resolve("stem.onnx");
        Files.write(f, OnnxModels.model(g, 13).toByteArray());
        try (Model m = optimized(f)) {
            new ChannelsLastLayout().apply(m);
            assertEquals(List.of(ChannelsLastConv.OP, ChannelsLastConv.OP, "Transpose"), ops(m));
            assertEquals("x", m.graph().nodes().get(0).input(0));
        }
        assertRunsAsOnCpuRef(f, 1, 3, 16, 16);
    }

    @Test
    void aGlobalAveragePoolEndsTheBlockWithoutATranspose() throws IOException {
        GraphProto g = GraphProto.newBuilder().addInput(OnnxModels.floatInput("x", "N", 16, 6, 5))
            .addInitializer(OnnxModels.floatTensor("w", new long[] {16, 1, 3, 3}, random(16 * 9)))
            .addNode(OnnxModels.node("Conv", List.of("x", "w"), List.of("d"), ints("pads", 1, 1, 1, 1),
                AttributeProto.newBuilder().setName("group").setType(AttributeProto.AttributeType.INT).setI(16).build()))
            .addNode(OnnxModels.node("GlobalAveragePool", List.of("d"), List.of("y")))
            .addOutput(OnnxModels.floatInput("y", "N", 16, 1, 1)).build();
        Path f = dir.resolve("gap.onnx");
        Files.write(f, OnnxModels.model(g, 13).toByteArray());
        try (Model m = optimized(f)) {
            new ChannelsLastLayout().apply(m);
            assertEquals(List.of("Transpose", ChannelsLastConv.OP, ChannelsLastConv.GLOBAL_AVERAGE_POOL), ops(m));
            assertEquals("y", m.graph().nodes().get(2).outputs().get(0));
        }
        assertRunsAsOnCpuRef(f, 2, 16, 6, 5);
    }

    @Test
    void imagesOfSymbolicSizeConvertAndRunAtAnySize() throws IOException {
        GraphProto g = GraphProto.newBuilder().addInput(OnnxModels.floatInput("x", "N", 16, "H", "W"))
            .addInitializer(OnnxModels.floatTensor("w", new long[] {16, 1, 3, 3}, random(16 * 9)))
            .addInitializer(OnnxModels.floatTensor("p", new long[] {8, 16, 1, 1}, random(8 * 16)))
            .addNode(OnnxModels.node("Conv", List.of("x", "w"), List.of("d"), ints("pads", 1, 1, 1, 1), ints("strides", 2, 2),
                AttributeProto.newBuilder().setName("group").setType(AttributeProto.AttributeType.INT).setI(16).build()))
            .addNode(OnnxModels.node("Conv", List.of("d", "p"), List.of("y")))
            .addOutput(OnnxModels.floatInput("y", "N", 8, "H2", "W2")).build();
        Path f = dir.resolve("symbolic.onnx");
        Files.write(f, OnnxModels.model(g, 13).toByteArray());
        try (Model m = optimized(f)) {
            assertEquals(4, new ChannelsLastLayout().apply(m));
            assertEquals(0, new PointwiseDepthwiseFusion().apply(m)); // its size unknown: not fused
        }
        assertRunsAsOnCpuRef(f, 1, 16, 9, 13);
        assertRunsAsOnCpuRef(f, 2, 16, 20, 6);
    }

    @Test
    void aFirstLayerInsideABlockReadsItsImageTransposedBack() throws IOException {
        // x -> 1×1 to 4 channels = a; a -> depthwise -> d; a -> 3×3 dense 4 -> 4 (a "first layer" by its channels)
        // -> b; y = d + b: one region, in which the dense layer still reads a as NCHW
        GraphProto g = GraphProto.newBuilder().addInput(OnnxModels.floatInput("x", 1, 8, 10, 10))
            .addInitializer(OnnxModels.floatTensor("w1", new long[] {4, 8, 1, 1}, random(32)))
            .addInitializer(OnnxModels.floatTensor("w2", new long[] {4, 4, 3, 3}, random(4 * 36)))
            .addInitializer(OnnxModels.floatTensor("w3", new long[] {4, 1, 3, 3}, random(36)))
            .addNode(OnnxModels.node("Conv", List.of("x", "w1"), List.of("a")))
            .addNode(OnnxModels.node("Conv", List.of("a", "w3"), List.of("d"), ints("pads", 1, 1, 1, 1),
                AttributeProto.newBuilder().setName("group").setType(AttributeProto.AttributeType.INT).setI(4).build()))
            .addNode(OnnxModels.node("Conv", List.of("a", "w2"), List.of("b"), ints("pads", 1, 1, 1, 1)))
            .addNode(OnnxModels.node("Add", List.of("d", "b"), List.of("y")))
            .addOutput(OnnxModels.floatInput("y", 1, 4, 10, 10)).build();
        Path f = dir.resolve("inner-first.onnx");
        Files.write(f, OnnxModels.model(g, 13).toByteArray());
        try (Model m = optimized(f)) {
            new ChannelsLastLayout().apply(m);
            assertEquals(4, m.graph().nodes().stream().filter(n -> ChannelsLastConv.is(n) || n.opType().equals("Add"))
                .count(), ops(m).toString());
            assertTrue(m.graph().nodes().stream().anyMatch(n -> n.outputs().get(0).equals("a")),
                "a is transposed back for the dense layer: " + ops(m));
        }
        assertRunsAsOnCpuRef(f, 1, 8, 10, 10);
    }

    @Test
    void aLargeExpansionFusesIntoTheDepthwiseLayerAndASmallOneDoesNot() throws IOException {
        try (Model m = optimized(block(true, false))) {
            new ChannelsLastLayout().apply(m);
            // 9 × 7 × 24 floats between the layers: far below the threshold
            assertEquals(0, new PointwiseDepthwiseFusion().apply(m));
        }
        try (Model m = optimized(block(true, true))) {
            new ChannelsLastLayout().apply(m);
            m.graph().nodes().stream().filter(ChannelsLastConv::is).map(n -> n.outputs().get(0)).forEach(v -> {
                ValueType t = m.graph().type(v); // as if the image were 112 × 112: above the threshold
                m.graph().setType(v, ValueType.tensor(t.dtype(), List.of(t.dims().get(0), dev.sparq.graph.Dim.of(112),
                    dev.sparq.graph.Dim.of(112), t.dims().get(3))));
            });
            // the expanded value "e" is also a graph output: read twice, so not fused
            assertEquals(0, new PointwiseDepthwiseFusion().apply(m));
        }
        try (Model m = optimized(block(true, false))) {
            new ChannelsLastLayout().apply(m);
            Node expandNode = m.graph().nodes().get(1);
            ValueType t = m.graph().type(expandNode.outputs().get(0));
            m.graph().setType(expandNode.outputs().get(0), ValueType.tensor(t.dtype(), List.of(t.dims().get(0),
                dev.sparq.graph.Dim.of(112), dev.sparq.graph.Dim.of(112), t.dims().get(3))));
            assertEquals(1, new PointwiseDepthwiseFusion().apply(m));
            assertEquals(List.of("Transpose", ChannelsLastConv.FUSED_OP, ChannelsLastConv.OP, "Add", "Transpose"), ops(m));
            Node f = m.graph().nodes().get(1);
            assertEquals("Relu", f.stringAttr(ChannelsLastConv.POINTWISE_ACTIVATION, ""));
            assertEquals("Clip", f.stringAttr("activation", ""));
            assertEquals(List.of("w1", "b1", "w2", ""), f.inputs().subList(1, 5));
        }
    }

    @Test
    void cpuSimdRunsTheConvertedBlockAsCpuRefRunsTheOriginal() throws IOException {
        Path f = block(true, true);
        SessionOptions simd = SessionOptions.builder().backend("cpu-simd").threads(2).build();
        SessionOptions plain = SessionOptions.builder().backend("cpu-simd").disablePass(ChannelsLastLayout.NAME).build();
        SessionOptions ref = SessionOptions.builder().backend("cpu-ref").build();
        float[] in = random(2 * 8 * 9 * 7);
        try (Session s = Sparq.load(f, simd); Session p = Sparq.load(f, plain); Session r = Sparq.load(f, ref);
             Tensor x = Tensor.fromFloats(in, 2, 8, 9, 7);
             Session.Result got = s.run(Map.of("x", x)); Session.Result want = r.run(Map.of("x", x))) {
            assertTrue(s.plan().steps().stream().anyMatch(st -> ChannelsLastConv.is(st.node())));
            assertTrue(p.plan().steps().stream().noneMatch(st -> ChannelsLastConv.is(st.node())));
            for (String out : List.of("y", "e")) {
                float[] a = got.get(out).toFloatArray();
                float[] b = want.get(out).toFloatArray();
                assertEquals(DType.F32, got.get(out).dtype());
                for (int i = 0; i < a.length; i++) {
                    assertEquals(b[i], a[i], 1e-4 * Math.max(1, Math.abs(b[i])), out + "[" + i + "]");
                }
            }
        }
    }

    /** cpu-simd (with its layout passes) and cpu-ref give y within 1e-4 on a random input of {@code shape}. */
    private void assertRunsAsOnCpuRef(Path f, long... shape) {
        float[] in = random((int) java.util.Arrays.stream(shape).reduce(1, (p, q) -> p * q));
        try (Session s = Sparq.load(f, SessionOptions.builder().backend("cpu-simd").build());
             Session r = Sparq.load(f, SessionOptions.builder().backend("cpu-ref").build());
             Tensor x = Tensor.fromFloats(in, shape);
             Session.Result got = s.run(Map.of("x", x)); Session.Result want = r.run(Map.of("x", x))) {
            assertEquals(java.util.Arrays.toString(want.first().shape()), java.util.Arrays.toString(got.first().shape()));
            float[] a = got.first().toFloatArray();
            float[] b = want.first().toFloatArray();
            for (int i = 0; i < a.length; i++) {
                assertEquals(b[i], a[i], 1e-4 * Math.max(1, Math.abs(b[i])), "y[" + i + "]");
            }
        }
    }

    private static List<Long> boxed(long[] v) {
        return java.util.Arrays.stream(v).boxed().toList();
    }
}
