package dev.sparq.graph.pass;

import static dev.sparq.graph.pass.PassTests.ops;
import static dev.sparq.graph.pass.PassTests.optimized;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparq.Session;
import dev.sparq.SessionOptions;
import dev.sparq.Sparq;
import dev.sparq.backend.Backend;
import dev.sparq.backend.cpu.ref.CpuRefBackend;
import dev.sparq.backend.cpu.simd.SimdBackend;
import dev.sparq.graph.Attribute;
import dev.sparq.graph.Model;
import dev.sparq.graph.Node;
import dev.sparq.onnx.proto.Onnx.AttributeProto;
import dev.sparq.onnx.proto.Onnx.GraphProto;
import dev.sparq.onnx.proto.Onnx.ModelProto;
import dev.sparq.tensor.Tensor;
import dev.sparq.testing.KernelHarness;
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
 * The residual-add fusion on ResNet-style blocks: what it fuses (with and without the Relu, Z produced after the
 * convolution), what it leaves (a broadcasting Add, a convolution output read elsewhere), that cpu-simd runs the
 * fused graph as cpu-ref runs the original, and that both backends' FusedConv with Z is Conv, Add, Relu.
 */
class ResidualAddFusionTest {
    @TempDir
    Path dir;
    private final Random rnd = new Random(21);

    private float[] random(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) rnd.nextGaussian() * 0.5f;
        }
        return v;
    }

    private static AttributeProto pads(long p) {
        return AttributeProto.newBuilder().setName("pads").setType(AttributeProto.AttributeType.INTS).addInts(p)
            .addInts(p).addInts(p).addInts(p).build();
    }

    /**
     * x [N,16,14,14] -> 3×3 conv c1 (+Relu) -> 3×3 conv c2 (no bias) -> Add(c2, z) -> Relu (when {@code relu}) -> y,
     * where z is x itself or, with {@code downsample}, a 1×1 conv of x declared after c2; {@code broadcast} adds a
     * [16,1,1] constant instead; {@code tap} also makes c2's output a graph output.
     */
    private Path block(boolean relu, boolean downsample, boolean broadcast, boolean tap) throws IOException {
        int c = 16;
        GraphProto.Builder g = GraphProto.newBuilder().addInput(OnnxModels.floatInput("x", "N", c, 14, 14))
            .addInitializer(OnnxModels.floatTensor("w1", new long[] {c, c, 3, 3}, random(c * c * 9)))
            .addInitializer(OnnxModels.floatTensor("b1", new long[] {c}, random(c)))
            .addInitializer(OnnxModels.floatTensor("w2", new long[] {c, c, 3, 3}, random(c * c * 9)))
            .addInitializer(OnnxModels.floatTensor("wd", new long[] {c, c, 1, 1}, random(c * c)))
            .addInitializer(OnnxModels.floatTensor("k", new long[] {c, 1, 1}, random(c)))
            .addNode(OnnxModels.node("Conv", List.of("x", "w1", "b1"), List.of("a"), pads(1)))
            .addNode(OnnxModels.node("Relu", List.of("a"), List.of("r")))
            .addNode(OnnxModels.node("Conv", List.of("r", "w2"), List.of("p"), pads(1)));
        String z = broadcast ? "k" : downsample ? "d" : "x";
        if (downsample) {
            g.addNode(OnnxModels.node("Conv", List.of("x", "wd"), List.of("d")));
        }
        g.addNode(OnnxModels.node("Add", List.of("p", z), List.of(relu ? "s" : "y")));
        if (relu) {
            g.addNode(OnnxModels.node("Relu", List.of("s"), List.of("y")));
        }
        g.addOutput(OnnxModels.floatInput("y", "N", c, 14, 14));
        if (tap) {
            g.addOutput(OnnxModels.floatInput("p", "N", c, 14, 14));
        }
        ModelProto m = OnnxModels.model(g.build(), 13);
        Path f = dir.resolve("block" + relu + downsample + broadcast + tap + ".onnx");
        Files.write(f, m.toByteArray());
        return f;
    }

    @Test
    void convAddReluBecomesOneFusedConvWithZ() throws IOException {
        try (Model m = optimized(block(true, false, false, false))) {
            assertEquals(1, new ResidualAddFusion().apply(m));
            assertEquals(List.of("FusedConv", "FusedConv"), ops(m));
            Node f = m.graph().nodes().get(1);
            assertEquals(List.of("r", "w2", "", "x"), f.inputs());
            assertEquals(List.of("y"), f.outputs());
            assertEquals("Relu", f.stringAttr("activation", ""));
        }
        try (Model m = optimized(block(false, false, false, false))) {
            assertEquals(1, new ResidualAddFusion().apply(m));
            Node f = m.graph().nodes().get(1);
            assertEquals("", f.stringAttr("activation", ""));
            assertEquals(List.of("y"), f.outputs());
        }
    }

    @Test
    void theFusedConvTakesTheAddsPlaceAfterZsProducer() throws IOException {
        try (Model m = optimized(block(true, true, false, false))) {
            assertEquals(1, new ResidualAddFusion().apply(m));
            assertEquals(List.of("FusedConv", "Conv", "FusedConv"), ops(m));
            assertEquals("d", m.graph().nodes().get(2).input(3));
        }
    }

    @Test
    void broadcastingAddsAndConvolutionOutputsReadElsewhereAreLeftAlone() throws IOException {
        try (Model m = optimized(block(true, false, true, false))) {
            assertEquals(0, new ResidualAddFusion().apply(m));
            assertTrue(ops(m).contains("Add"));
        }
        try (Model m = optimized(block(true, false, false, true))) {
            assertEquals(0, new ResidualAddFusion().apply(m));
        }
        try (Model m = optimized(block(true, false, false, false))) {
            assertEquals(0, new ResidualAddFusion(n -> n.opType().equals("Conv")).apply(m), "claimed elsewhere");
        }
    }

    @Test
    void fusedGraphsRunAsCpuRefRunsTheOriginal() throws IOException {
        for (boolean relu : new boolean[] {true, false}) {
            for (boolean downsample : new boolean[] {true, false}) {
                Path f = block(relu, downsample, false, false);
                float[] in = random(2 * 16 * 14 * 14);
                SessionOptions unfused = SessionOptions.builder().backend("cpu-ref").build();
                try (Session want = Sparq.load(f, unfused);
                     Session simd = Sparq.load(f, SessionOptions.builder().backend("cpu-simd").threads(2).build());
                     Tensor x = Tensor.fromFloats(in, 2, 16, 14, 14);
                     Session.Result w = want.run(Map.of("x", x)); Session.Result got = simd.run(Map.of("x", x))) {
                    assertTrue(simd.plan().steps().stream().anyMatch(s -> s.node().inputs().size() == 4),
                        "fused under cpu-simd");
                    assertClose(w.get("y").toFloatArray(), got.get("y").toFloatArray(), relu + " " + downsample);
                }
            }
        }
    }

    @Test
    void bothBackendsComputeFusedConvWithZAsConvAddRelu() {
        Attribute pads = KernelHarness.ints("pads", 1, 1, 1, 1);
        Node conv = KernelHarness.node("Conv", 3, 1, pads);
        Node fused = new Node("f", "FusedConv", ActivationFusion.DOMAIN, List.of("x0", "x1", "x2", "x3"),
            List.of("y0"), Map.of("pads", pads, "activation", KernelHarness.s("activation", "Relu")));
        try (Tensor x = Tensor.fromFloats(random(2 * 5 * 7 * 9), 2, 5, 7, 9);
             Tensor w = Tensor.fromFloats(random(6 * 5 * 9), 6, 5, 3, 3); Tensor b = Tensor.fromFloats(random(6), 6);
             Tensor z = Tensor.fromFloats(random(2 * 6 * 7 * 9), 2, 6, 7, 9);
             Tensor wrong = Tensor.fromFloats(random(6 * 7 * 9), 1, 6, 7, 9)) {
            float[] want = KernelHarness.run(new CpuRefBackend(), conv, 13, 1, x, w, b)[0].toFloatArray();
            float[] zs = z.toFloatArray();
            for (int i = 0; i < want.length; i++) {
                want[i] = Math.max(want[i] + zs[i], 0f);
            }
            for (Backend backend : List.of(new CpuRefBackend(), new SimdBackend())) {
                assertClose(want, KernelHarness.run(backend, fused, 13, 1, x, w, b, z)[0].toFloatArray(), backend.id());
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> KernelHarness.run(backend, fused, 13, 1, x, w, b, wrong));
                assertTrue(e.getMessage().contains("Z has shape [1, 6, 7, 9]"), e.getMessage());
            }
        }
    }

    private static void assertClose(float[] want, float[] got, String what) {
        assertEquals(want.length, got.length, what);
        for (int i = 0; i < got.length; i++) {
            assertEquals(want[i], got[i], 1e-4 * Math.max(1, Math.abs(want[i])), what + " [" + i + "]");
        }
    }
}
