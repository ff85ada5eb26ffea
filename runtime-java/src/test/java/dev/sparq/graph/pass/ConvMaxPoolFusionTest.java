package dev.sparq.graph.pass;

import static dev.sparq.testing.OnnxModels.ints;
import static dev.sparq.graph.pass.PassTests.ops;
import static dev.sparq.graph.pass.PassTests.optimized;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparq.Session;
import dev.sparq.SessionOptions;
import dev.sparq.Sparq;
import dev.sparq.graph.Model;
import dev.sparq.graph.Node;
import dev.sparq.quant.CalibrationData;
import dev.sparq.quant.CalibrationResult;
import dev.sparq.quant.Calibrator;
import dev.sparq.onnx.proto.Onnx.GraphProto;
import dev.sparq.onnx.proto.Onnx.ModelProto;
import dev.sparq.tensor.Tensor;
import dev.sparq.testing.OnnxModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The first-layer + MaxPool fusion on ResNet-style stems: what it fuses (with and without the Relu, both pool
 * paddings after), what it leaves (other pools, a convolution read elsewhere, wide inputs, claimed nodes), that
 * cpu-simd runs the fused graph as cpu-ref runs the original, at 1 and 2 threads, and that calibration (which keeps
 * statistics by value name) still sees the convolution's output.
 */
class ConvMaxPoolFusionTest {
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

    /** What a stem looks like: its convolution and pool, and what to vary. */
    record Stem(int cin, int h, int w, int cout, int k, int stride, boolean relu, long[] poolKernel, long[] poolStrides,
                long[] poolPads, boolean tap) {
        static Stem resnet(int h, int w, int cout) {
            return new Stem(3, h, w, cout, 7, 2, true, new long[] {3, 3}, new long[] {2, 2}, new long[] {1, 1, 1, 1},
                false);
        }

        Stem withPool(long[] kernel, long[] strides, long[] pads) {
            return new Stem(cin, h, w, cout, k, stride, relu, kernel, strides, pads, tap);
        }

        int oh() {
            return (h + 2 * (k / 2) - k) / stride + 1;
        }

        int ow() {
            return (w + 2 * (k / 2) - k) / stride + 1;
        }

        int ph() {
            return (int) ((oh() + poolPads[0] + poolPads[2] - poolKernel[0]) / poolStrides[0] + 1);
        }

        int pw() {
            return (int) ((ow() + poolPads[1] + poolPads[3] - poolKernel[1]) / poolStrides[1] + 1);
        }
    }

    /** x [N, cin, h, w] -> Conv (pad k/2) -> Relu (when asked) -> MaxPool -> y; {@code tap} also outputs the conv. */
    private Path stem(Stem s) throws IOException {
        GraphProto.Builder g = GraphProto.newBuilder().addInput(OnnxModels.floatInput("x", "N", s.cin(), s.h(), s.w()))
            .addInitializer(OnnxModels.floatTensor("w", new long[] {s.cout(), s.cin(), s.k(), s.k()},
                random(s.cout() * s.cin() * s.k() * s.k())))
            .addInitializer(OnnxModels.floatTensor("b", new long[] {s.cout()}, random(s.cout())));
        int p = s.k() / 2;
        g.addNode(OnnxModels.node("Conv", List.of("x", "w", "b"), List.of("c"), ints("pads", p, p, p, p),
            ints("strides", s.stride(), s.stride()), ints("kernel_shape", s.k(), s.k())));
        if (s.relu()) {
            g.addNode(OnnxModels.node("Relu", List.of("c"), List.of("r")));
        }
        g.addNode(OnnxModels.node("MaxPool", List.of(s.relu() ? "r" : "c"), List.of("y"),
            ints("kernel_shape", s.poolKernel()), ints("strides", s.poolStrides()), ints("pads", s.poolPads())));
        g.addOutput(OnnxModels.floatInput("y", "N", s.cout(), s.ph(), s.pw()));
        if (s.tap()) {
            g.addOutput(OnnxModels.floatInput(s.relu() ? "r" : "c", "N", s.cout(), s.oh(), s.ow()));
        }
        ModelProto m = OnnxModels.model(g.build(), 13);
        Path f = dir.resolve("stem" + s.hashCode() + ".onnx");
        Files.write(f, m.toByteArray());
        return f;
    }

    @Test
    void aStemAndItsPoolBecomeOneNode() throws IOException {
        try (Model m = optimized(stem(Stem.resnet(32, 30, 16)))) {
            assertEquals(1, new ConvMaxPoolFusion().apply(m));
            assertEquals(List.of(ConvMaxPoolFusion.OP), ops(m));
            Node f = m.graph().nodes().get(0);
            assertEquals(ConvMaxPoolFusion.DOMAIN, f.domain());
            assertEquals(List.of("x", "w", "b"), f.inputs());
            assertEquals(List.of("y"), f.outputs());
            assertEquals("Relu", f.stringAttr("activation", ""));
            assertEquals(List.of(2L, 2L), List.of(f.intsAttr("strides", null)[0], f.intsAttr("strides", null)[1]));
            assertEquals(List.of(1L, 1L, 1L, 1L), boxed(f.intsAttr(ConvMaxPoolFusion.POOL_PADS, null)));
        }
        Stem plain = new Stem(1, 9, 11, 8, 3, 1, false, new long[] {3, 3}, new long[] {2, 2}, new long[] {1, 1, 0, 0},
            false);
        try (Model m = optimized(stem(plain))) {
            assertEquals(1, new ConvMaxPoolFusion().apply(m));
            Node f = m.graph().nodes().get(0);
            assertEquals("", f.stringAttr("activation", ""));
            assertEquals(List.of(1L, 1L, 0L, 0L), boxed(f.intsAttr(ConvMaxPoolFusion.POOL_PADS, null)));
        }
    }

    @Test
    void otherPoolsWideInputsAndConvolutionsReadElsewhereAreLeftAlone() throws IOException {
        Stem base = Stem.resnet(32, 30, 16);
        List<Stem> left = new ArrayList<>(List.of(
            base.withPool(new long[] {2, 2}, new long[] {2, 2}, new long[] {0, 0, 0, 0}),
            base.withPool(new long[] {3, 3}, new long[] {1, 1}, new long[] {1, 1, 1, 1}),
            base.withPool(new long[] {3, 3}, new long[] {2, 2}, new long[] {0, 0, 0, 0}),
            new Stem(8, 32, 30, 16, 3, 2, true, new long[] {3, 3}, new long[] {2, 2}, new long[] {1, 1, 1, 1}, false),
            new Stem(3, 32, 30, 16, 7, 2, true, new long[] {3, 3}, new long[] {2, 2}, new long[] {1, 1, 1, 1}, true)));
        for (Stem s : left) {
            try (Model m = optimized(stem(s))) {
                assertEquals(0, new ConvMaxPoolFusion().apply(m), s.toString());
                assertTrue(ops(m).contains("MaxPool"), s.toString());
            }
        }
        try (Model m = optimized(stem(base))) {
            assertEquals(0, new ConvMaxPoolFusion(n -> n.opType().equals("MaxPool")).apply(m), "claimed elsewhere");
        }
    }

    @Test
    void fusedGraphsRunAsCpuRefRunsTheOriginal() throws IOException {
        List<Stem> stems = List.of(Stem.resnet(37, 29, 64), Stem.resnet(32, 30, 20), Stem.resnet(16, 18, 40),
            new Stem(1, 9, 11, 8, 3, 1, false, new long[] {3, 3}, new long[] {2, 2}, new long[] {1, 1, 0, 0}, false));
        for (Stem s : stems) {
            Path f = stem(s);
            float[] in = random(2 * s.cin() * s.h() * s.w());
            try (Session want = Sparq.load(f, SessionOptions.builder().backend("cpu-ref").build());
                 Session one = Sparq.load(f, SessionOptions.builder().backend("cpu-simd").threads(1).build());
                 Session two = Sparq.load(f, SessionOptions.builder().backend("cpu-simd").threads(2).build());
                 Tensor x = Tensor.fromFloats(in, 2, s.cin(), s.h(), s.w());
                 Session.Result w = want.run(Map.of("x", x)); Session.Result a = one.run(Map.of("x", x));
                 Session.Result b = two.run(Map.of("x", x))) {
                assertTrue(one.plan().steps().stream().anyMatch(st -> ConvMaxPoolFusion.is(st.node())),
                    "fused under cpu-simd: " + s);
                float[] ref = w.get("y").toFloatArray();
                float[] got = a.get("y").toFloatArray();
                assertEquals(ref.length, got.length, s.toString());
                for (int i = 0; i < got.length; i++) {
                    assertEquals(ref[i], got[i], 1e-4 * Math.max(1, Math.abs(ref[i])), s + " [" + i + "]");
                }
                assertTrue(java.util.Arrays.equals(got, b.get("y").toFloatArray()), "1 and 2 threads: " + s);
            }
        }
    }

    @Test
    void calibrationStillSeesTheConvolutionOutput() throws IOException {
        Path f = stem(Stem.resnet(32, 30, 16));
        try (Tensor x = Tensor.fromFloats(random(3 * 32 * 30), 1, 3, 32, 30)) {
            CalibrationResult r = Calibrator.minmax().backend("cpu-simd").progress(null)
                .run(f, CalibrationData.ofTensors(List.of(x)));
            // the Relu's output, which ActivationFusion gives the convolution and this pass would hide in the pool
            assertTrue(r.activations().containsKey("r"), r.activations().keySet().toString());
        }
    }

    private static List<Long> boxed(long[] v) {
        return java.util.Arrays.stream(v).boxed().toList();
    }
}
