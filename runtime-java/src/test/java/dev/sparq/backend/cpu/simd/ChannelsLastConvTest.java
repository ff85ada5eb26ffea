package dev.sparq.backend.cpu.simd;

import static dev.sparq.testing.KernelHarness.f;
import static dev.sparq.testing.KernelHarness.floats;
import static dev.sparq.testing.KernelHarness.i;
import static dev.sparq.testing.KernelHarness.ints;
import static dev.sparq.testing.KernelHarness.s;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparq.backend.Backend;
import dev.sparq.backend.ExecutionContext;
import dev.sparq.backend.KernelRequest;
import dev.sparq.backend.WorkerPool;
import dev.sparq.backend.cpu.ref.CpuRefBackend;
import dev.sparq.backend.tuning.KernelTuner;
import dev.sparq.graph.Attribute;
import dev.sparq.graph.ChannelsLastConv;
import dev.sparq.graph.Node;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import dev.sparq.testing.KernelHarness;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * cpu-simd's channels-last kernels against cpu-ref's Conv and Transpose on NCHW data: depthwise layers (the 3×3 fast
 * path and the edges, channel counts that leave part vectors, strides, dilations, other kernel sizes), every pointwise
 * GEMM candidate on pixel counts around the tiles' 12 and 16 rows, and the layout transposes.
 */
class ChannelsLastConvTest {
    private static final Backend SIMD = new SimdBackend();
    private static final Backend REF = new CpuRefBackend();
    private final Random rnd = new Random(20261127);

    private Tensor random(long... shape) {
        Tensor t = Tensor.allocate(DType.F32, shape);
        for (long j = 0; j < t.size(); j++) {
            t.setFloat(j, (float) rnd.nextGaussian());
        }
        return t;
    }

    /** [N,C,H,W] to [N,H,W,C] and back, element by element: the tests' own transposes. */
    static Tensor toNhwc(Tensor x) {
        long[] s = x.shape();
        Tensor y = Tensor.allocate(DType.F32, s[0], s[2], s[3], s[1]);
        for (long n = 0; n < s[0]; n++) {
            for (long c = 0; c < s[1]; c++) {
                for (long p = 0; p < s[2] * s[3]; p++) {
                    y.setFloat((n * s[2] * s[3] + p) * s[1] + c, x.getFloat((n * s[1] + c) * s[2] * s[3] + p));
                }
            }
        }
        return y;
    }

    static Tensor toNchw(Tensor y) {
        long[] s = y.shape();
        Tensor x = Tensor.allocate(DType.F32, s[0], s[3], s[1], s[2]);
        for (long n = 0; n < s[0]; n++) {
            for (long c = 0; c < s[3]; c++) {
                for (long p = 0; p < s[1] * s[2]; p++) {
                    x.setFloat((n * s[3] + c) * s[1] * s[2] + p, y.getFloat((n * s[1] * s[2] + p) * s[3] + c));
                }
            }
        }
        return x;
    }

    private static Node nhwcConv(Attribute... attrs) {
        Node n = KernelHarness.node("Conv", 3, 1, attrs);
        return new Node("c", ChannelsLastConv.OP, ChannelsLastConv.DOMAIN, n.inputs(), n.outputs(), n.attributes());
    }

    private static Node fusedConv(Attribute... attrs) {
        Node n = KernelHarness.node("FusedConv", 3, 1, attrs);
        return new Node("c", "FusedConv", "com.microsoft", n.inputs(), n.outputs(), n.attributes());
    }

    /** cpu-simd's NhwcConv on the NHWC image against cpu-ref's FusedConv on the NCHW one. */
    private void check(Tensor x, Tensor w, Tensor b, ExecutionContext ctx, String what, Attribute... attrs) {
        try (Tensor xl = toNhwc(x); Tensor want = KernelHarness.run(REF, fusedConv(attrs), 13, 1, x, w, b)[0];
             Tensor gotL = KernelHarness.run(SIMD, nhwcConv(attrs), 13, 1, ctx, xl, w, b)[0];
             Tensor got = toNchw(gotL)) {
            SimdVsReferenceTest.assertClose(want, got, 1e-5, what);
        }
    }

    record Depthwise(int n, int c, int h, int w, int kh, int kw, int stride, int pad, int dil) {
    }

    @Test
    void depthwiseMatchesTheReference() {
        List<Depthwise> cases = List.of(
            new Depthwise(1, 16, 9, 9, 3, 3, 1, 1, 1),
            // part vectors of channels (17 = 16 + 1, 37 = 2 × 16 + 5 at 512 bits), one channel per... 2
            new Depthwise(2, 17, 7, 5, 3, 3, 1, 1, 1),
            new Depthwise(1, 37, 8, 11, 3, 3, 2, 1, 1),
            new Depthwise(1, 2, 6, 6, 3, 3, 2, 1, 1),
            // a 1×1 image inside its padding, a 2×3 one, no padding, wide padding, dilation
            new Depthwise(1, 32, 1, 1, 3, 3, 1, 1, 1),
            new Depthwise(2, 20, 2, 3, 3, 3, 1, 1, 1),
            new Depthwise(1, 48, 10, 12, 3, 3, 1, 0, 1),
            new Depthwise(1, 16, 9, 8, 3, 3, 1, 2, 2),
            new Depthwise(1, 19, 13, 14, 3, 3, 2, 2, 2),
            // stride 2 with an even and an odd width (the sliding window's last column), and stride 3 (the general
            // path): 3×3 takes strides 1 and 2 only
            new Depthwise(1, 32, 12, 16, 3, 3, 2, 1, 1),
            new Depthwise(1, 16, 10, 17, 3, 3, 3, 1, 1),
            // two columns, the narrowest the sliding loops take from column 0 (the left column as zeros)
            new Depthwise(1, 16, 5, 2, 3, 3, 1, 1, 1),
            new Depthwise(1, 16, 5, 2, 3, 3, 2, 1, 1),
            // other kernels: the general path
            new Depthwise(1, 24, 11, 10, 5, 5, 2, 2, 1),
            new Depthwise(1, 33, 7, 9, 1, 3, 1, 1, 1));
        for (Depthwise d : cases) {
            try (Tensor x = random(d.n, d.c, d.h, d.w); Tensor w = random(d.c, 1, d.kh, d.kw); Tensor b = random(d.c)) {
                int ph = d.kh == 1 ? 0 : d.pad;
                check(x, w, b, ExecutionContext.standalone(), d.toString(), i("group", d.c),
                    ints("strides", d.stride, d.stride), ints("dilations", d.dil, d.dil), ints("pads", ph, d.pad, ph, d.pad),
                    s("activation", "Clip"), floats("activation_params", -0.5f, 0.7f));
            }
        }
    }

    @Test
    void depthwiseWithAClampBlendsCannotApplyMatchesTheReference() {
        // an upper bound of +0.0 and a lower one of -0.0: Java's min and max order the zeros, a compare and blend
        // would not, so these take the general path
        float[][] bounds = {{-1f, 0f}, {-0f, 2f}};
        for (float[] bound : bounds) {
            try (Tensor x = random(1, 20, 7, 6); Tensor w = random(20, 1, 3, 3); Tensor b = random(20)) {
                check(x, w, b, ExecutionContext.standalone(), java.util.Arrays.toString(bound), i("group", 20),
                    ints("strides", 1, 1), ints("pads", 1, 1, 1, 1), s("activation", "Clip"),
                    floats("activation_params", bound[0], bound[1]));
            }
        }
    }

    @Test
    void firstLayersReadNchwAndWriteNhwc() {
        // {cin, h, w, cout, k, stride, pad}: RGB 3×3 stride 2 with 40 output channels (a part tile), one channel,
        // 7×7 stride 2 (the reduction of 147), 1×1 stride 2, stride 1
        int[][] cases = {{3, 15, 16, 40, 3, 2, 1}, {1, 9, 9, 8, 3, 2, 1}, {3, 20, 18, 16, 7, 2, 3}, {4, 9, 8, 5, 1, 2, 0},
            {2, 11, 7, 33, 3, 1, 1}};
        // Relu, and a Clip that bites on both sides (as Relu6 does)
        Attribute[][] activations = {{s("activation", "Relu")},
            {s("activation", "Clip"), floats("activation_params", -0.5f, 0.7f)}};
        for (int[] c : cases) {
            for (Attribute[] act : activations) {
                List<Attribute> list = new ArrayList<>(List.of(ints("strides", c[5], c[5]),
                    ints("pads", c[6], c[6], c[6], c[6])));
                list.addAll(List.of(act));
                Attribute[] attrs = list.toArray(new Attribute[0]);
                try (Tensor x = random(2, c[0], c[1], c[2]); Tensor w = random(c[3], c[0], c[4], c[4]);
                     Tensor b = random(c[3]);
                     Tensor want = KernelHarness.run(REF, fusedConv(attrs), 13, 1, x, w, b)[0];
                     Tensor gotL = KernelHarness.run(SIMD, nhwcConv(attrs), 13, 1, x, w, b)[0];
                     Tensor got = toNchw(gotL)) {
                    SimdVsReferenceTest.assertClose(want, got, 1e-5, java.util.Arrays.toString(c) + " " + act[0]);
                }
            }
        }
    }

    /**
     * The channels-last first layer stores each pixel panel as it is computed, skipping the garbage columns of the
     * flat planes; the channels-first one stages rows and transposes them. Both sum each output in one FMA chain, so
     * their results are the same bits: images whose rows end mid-panel, channels of a part panel, one and two
     * panels, at 1 and 2 threads.
     */
    @Test
    void channelsLastFirstLayersAreTheChannelsFirstOnesTransposed() {
        // {cin, h, w, cout, k, stride, pad}
        int[][] cases = {{3, 37, 41, 32, 3, 2, 1}, {3, 30, 29, 64, 7, 2, 3}, {1, 13, 11, 33, 3, 1, 1},
            {3, 224, 224, 32, 3, 2, 1}};
        WorkerPool pool = new WorkerPool(2);
        try {
            for (int[] c : cases) {
                Node conv = fusedConv(ints("strides", c[5], c[5]), ints("pads", c[6], c[6], c[6], c[6]),
                    s("activation", "Clip"), floats("activation_params", -0.5f, 0.7f));
                try (Tensor x = random(2, c[0], c[1], c[2]); Tensor w = random(c[3], c[0], c[4], c[4]);
                     Tensor b = random(c[3])) {
                    dev.sparq.backend.geometry.ConvAttributes attrs = dev.sparq.backend.geometry.ConvAttributes.of(conv,
                        w);
                    Activation act = Activation.ofFused(conv);
                    PixelGemmConv first = new PixelGemmConv(attrs, w.toFloatArray(), b.toFloatArray(), act, c[0]);
                    PixelGemmConv last = new PixelGemmConv(attrs, w.toFloatArray(), b.toFloatArray(), act, c[0], true);
                    for (ExecutionContext ctx : List.of(ExecutionContext.standalone(),
                        ExecutionContext.standalone(2, pool))) {
                        try (Tensor want = first.run(new Tensor[] {x}, ctx)[0];
                             Tensor gotL = last.run(new Tensor[] {x}, ctx)[0]; Tensor got = toNchw(gotL)) {
                            assertArrayEquals(want.toFloatArray(), got.toFloatArray(), java.util.Arrays.toString(c));
                        }
                    }
                }
            }
        } finally {
            pool.close();
        }
    }

    /**
     * The fused pointwise + 3×3 depthwise kernel against cpu-ref's two convolutions: heights that leave a part group
     * of rows, stride 2, no padding, part vectors of channels, a batch of 2, and 2 threads.
     */
    @Test
    void pointwiseIntoDepthwiseMatchesTheReferenceAndIsThreadCountInvariant() {
        // {n, cin, h, w, cexp, stride, pad}
        int[][] cases = {{1, 8, 9, 8, 32, 1, 1}, {2, 5, 10, 12, 17, 2, 1}, {1, 16, 7, 4, 48, 1, 0}, {1, 3, 1, 1, 16, 1, 1},
            {1, 24, 14, 13, 40, 2, 1}, {2, 4, 5, 16, 16, 1, 1}};
        WorkerPool pool = new WorkerPool(2);
        try {
            for (int[] c : cases) {
                try (Tensor x = random(c[0], c[1], c[2], c[3]); Tensor w1 = random(c[4], c[1], 1, 1); Tensor b1 = random(c[4]);
                     Tensor w2 = random(c[4], 1, 3, 3); Tensor b2 = random(c[4]); Tensor xl = toNhwc(x)) {
                    Attribute[] dw = {i("group", c[4]), ints("strides", c[5], c[5]), ints("pads", c[6], c[6], c[6], c[6]),
                        s("activation", "Clip"), floats("activation_params", -0.5f, 0.7f)};
                    Tensor mid = KernelHarness.run(REF, fusedConv(s("activation", "Relu")), 13, 1, x, w1, b1)[0];
                    Tensor want = KernelHarness.run(REF, fusedConv(dw), 13, 1, mid, w2, b2)[0];
                    Node fused = KernelHarness.node("F", 5, 1, dw);
                    java.util.Map<String, Attribute> attrs = new LinkedHashMap<>(fused.attributes());
                    attrs.put(ChannelsLastConv.POINTWISE_ACTIVATION, s(ChannelsLastConv.POINTWISE_ACTIVATION, "Relu"));
                    fused = new Node("f", ChannelsLastConv.FUSED_OP, ChannelsLastConv.DOMAIN, fused.inputs(), fused.outputs(),
                        attrs);
                    Tensor one = KernelHarness.run(SIMD, fused, 13, 1, ExecutionContext.standalone(), xl, w1, b1, w2, b2)[0];
                    Tensor two = KernelHarness.run(SIMD, fused, 13, 1, ExecutionContext.standalone(2, pool), xl, w1, b1, w2,
                        b2)[0];
                    try (Tensor got = toNchw(one)) {
                        SimdVsReferenceTest.assertClose(want, got, 1e-5, java.util.Arrays.toString(c));
                    }
                    assertArrayEquals(one.toFloatArray(), two.toFloatArray(), java.util.Arrays.toString(c));
                    for (Tensor t : new Tensor[] {mid, want, one, two}) {
                        t.close();
                    }
                }
            }
        } finally {
            pool.close();
        }
    }

    @Test
    void everyPointwiseCandidateMatchesTheReference() {
        // pixels around the 12-, 14- and 16-row tiles (1, 11, 12, 13, 14, 16, 17), split in 12-14-row panels (49 as
        // 13 + 3 × 12, 162 as 9 × 14 + 3 × 12); reductions of one value, odd, and two k blocks; output channels of
        // one lane, one 16-lane vector, a vector and a half, and past two vectors
        int[][] images = {{1, 1, 1}, {1, 1, 11}, {1, 3, 4}, {1, 1, 13}, {1, 2, 7}, {1, 4, 4}, {1, 1, 17}, {1, 7, 7},
            {2, 9, 9}};
        int[] depths = {1, 17, Gemm.KC + 4};
        int[] outs = {1, 16, 24, 33};
        for (int[] im : images) {
            for (int k : depths) {
                for (int cout : outs) {
                    try (Tensor x = random(im[0], k, im[1], im[2]); Tensor w = random(cout, k, 1, 1);
                         Tensor b = random(cout)) {
                        List<String> offered = new ArrayList<>();
                        try (KernelTuner.Scope ignored = KernelTuner.use(Tuners.recording(offered));
                             Tensor xl = toNhwc(x)) {
                            KernelHarness.run(SIMD, nhwcConv(s("activation", "Relu")), 13, 1, xl, w, b)[0].close();
                        }
                        if (offered.isEmpty()) {
                            offered.add("nhwc-gemm"); // the only candidate (128 bits, scalar): nothing was timed
                        }
                        assertTrue(offered.contains("nhwc-gemm"), offered.toString());
                        for (String name : offered) {
                            try (KernelTuner.Scope ignored = KernelTuner.use(Tuners.forcing(name))) {
                                check(x, w, b, ExecutionContext.standalone(), name + " " + List.of(im[0], im[1], im[2], k,
                                    cout), s("activation", "Relu"));
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * Weights past {@link ChannelsLastGemm#WEIGHT_MAJOR_BYTES} go weight panel by weight panel: against the reference
     * and 1 thread against 2, on 49 pixels (13 + 3 × 12), 17 (a 12-row panel and a 5-row tail) and 1 (tail only),
     * two k blocks and a last part panel of output channels.
     */
    @Test
    void largeWeightsGoWeightPanelByWeightPanel() {
        int k = Gemm.KC + 4;
        int cout = 1000;
        assertTrue((long) cout * k * Float.BYTES > ChannelsLastGemm.WEIGHT_MAJOR_BYTES, "the path under test");
        WorkerPool pool = new WorkerPool(2);
        try (Tensor w = random(cout, k, 1, 1); Tensor b = random(cout);
             KernelTuner.Scope ignored = KernelTuner.use(Tuners.forcing("nhwc-rows"))) {
            for (int[] im : new int[][] {{7, 7}, {1, 17}, {1, 1}}) {
                try (Tensor x = random(1, k, im[0], im[1]); Tensor xl = toNhwc(x)) {
                    if (!offers("nhwc-rows", xl, w, b)) {
                        continue; // not at this vector width
                    }
                    String what = "nhwc-rows " + im[0] + "×" + im[1];
                    check(x, w, b, ExecutionContext.standalone(), what, s("activation", "Relu"));
                    assertSameBitsOnTwoThreads(nhwcConv(), pool, what, xl, w, b);
                }
            }
        } finally {
            pool.close();
        }
    }

    /**
     * The two-steps-a-broadcast tile at both of its shapes (2 and 3 vectors of outputs): against the reference and 1
     * thread against 2 (pixel panels split differently), on an odd reduction and part panels of pixels.
     */
    @Test
    void pairTileMatchesTheReferenceAndGivesTheSameBitsOnTwoThreads() {
        if (ChannelsLastGemm.pairsWidth() == 0) {
            return; // no such tile at this vector width
        }
        int v = ChannelsLastGemm.pairsWidth() * 2 / 3;
        WorkerPool pool = new WorkerPool(2);
        try (KernelTuner.Scope ignored = KernelTuner.use(Tuners.forcing("nhwc-pairs"))) {
            for (int cout : new int[] {v - 3, v + v / 2 - 3}) {
                try (Tensor x = random(1, 33, 10, 13); Tensor xl = toNhwc(x); Tensor w = random(cout, 33, 1, 1);
                     Tensor b = random(cout)) {
                    if (!offers("nhwc-pairs", xl, w, b)) {
                        continue; // not at this vector width
                    }
                    check(x, w, b, ExecutionContext.standalone(2, pool), "nhwc-pairs, " + cout + " outputs",
                        s("activation", "Relu"));
                    assertSameBitsOnTwoThreads(nhwcConv(), pool, cout + " outputs", xl, w, b);
                }
            }
        } finally {
            pool.close();
        }
    }

    @Test
    void twoThreadsGiveTheSameBits() {
        WorkerPool pool = new WorkerPool(2);
        try (Tensor x = random(1, 13, 10, 12); Tensor xl = toNhwc(x); Tensor dw = random(13, 1, 3, 3);
             Tensor pw = random(20, 13, 1, 1); Tensor b = random(20)) {
            Attribute[] depthwise = {i("group", 13), ints("pads", 1, 1, 1, 1), ints("strides", 2, 2)};
            for (String name : List.of("nhwc-rows", "nhwc-gemm", "nhwc-gemm-16", "nhwc-rows-16", "depthwise")) {
                boolean dwise = name.equals("depthwise");
                Tensor w = dwise ? dw : pw;
                try (Tensor bias = dwise ? random(13) : random(20)) {
                    Attribute[] attrs = dwise ? depthwise : new Attribute[0];
                    try (KernelTuner.Scope ignored = KernelTuner.use(dwise ? KernelTuner.current() : Tuners.forcing(name))) {
                        if (!dwise && !offers(name, xl, pw, b)) {
                            continue; // not at this vector width
                        }
                        assertSameBitsOnTwoThreads(nhwcConv(attrs), pool, name, xl, w, bias);
                    }
                }
            }
        } finally {
            pool.close();
        }
    }

    /** {@code node} on cpu-simd at 1 thread and at 2 (pixel panels split differently): the same bits. */
    private static void assertSameBitsOnTwoThreads(Node node, WorkerPool pool, String what, Tensor... inputs) {
        try (Tensor one = KernelHarness.run(SIMD, node, 13, 1, ExecutionContext.standalone(), inputs)[0];
             Tensor two = KernelHarness.run(SIMD, node, 13, 1, ExecutionContext.standalone(2, pool), inputs)[0]) {
            assertArrayEquals(one.toFloatArray(), two.toFloatArray(), what);
        }
    }

    private static boolean offers(String name, Tensor xl, Tensor w, Tensor b) {
        List<String> offered = new ArrayList<>();
        try (KernelTuner.Scope ignored = KernelTuner.use(Tuners.recording(offered))) {
            KernelHarness.run(SIMD, nhwcConv(), 13, 1, xl, w, b)[0].close();
        }
        return offered.contains(name);
    }

    @Test
    void transposesMatchTheReference() {
        for (long[] shape : new long[][] {{2, 3, 5, 7}, {1, 17, 1, 33}, {1, 1, 1, 1}, {1, 40, 6, 6}}) {
            for (long[] perm : new long[][] {{0, 2, 3, 1}, {0, 3, 1, 2}}) {
                Node t = KernelHarness.node("Transpose", 1, 1, ints("perm", perm));
                try (Tensor x = random(shape); Tensor want = KernelHarness.run(REF, t, 13, x)[0];
                     Tensor got = KernelHarness.run(SIMD, t, 13, x)[0]) {
                    assertArrayEquals(want.shape(), got.shape());
                    assertArrayEquals(want.toFloatArray(), got.toFloatArray(), java.util.Arrays.toString(perm));
                }
            }
        }
    }

    @Test
    void globalAveragePoolOfNhwcMatchesTheReference() {
        // channels of a vector and a part (37 at 512 bits), one pixel, a batch of 2
        for (long[] shape : new long[][] {{2, 37, 7, 5}, {1, 16, 1, 1}, {1, 3, 4, 4}}) {
            Node gap = new Node("g", ChannelsLastConv.GLOBAL_AVERAGE_POOL, ChannelsLastConv.DOMAIN, List.of("x0"),
                List.of("y0"), Map.of());
            try (Tensor x = random(shape); Tensor xl = toNhwc(x);
                 Tensor want = KernelHarness.run(REF, KernelHarness.node("GlobalAveragePool", 1, 1), 13, x)[0];
                 Tensor got = KernelHarness.run(SIMD, gap, 13, xl)[0]) {
                SimdVsReferenceTest.assertClose(want, got, 1e-5, java.util.Arrays.toString(shape));
            }
        }
    }

    @Test
    void otherTransposesAndLayersAreLeftToOthers() {
        try (Arena arena = Arena.ofConfined(); Tensor w = random(4, 2, 3, 3)) {
            Map<String, dev.sparq.graph.ValueType> types = new LinkedHashMap<>();
            types.put("x0", dev.sparq.graph.ValueType.tensor(DType.F32, 1, 4, 4, 4));
            Node t = KernelHarness.node("Transpose", 1, 1, ints("perm", 0, 1, 3, 2));
            assertTrue(SIMD.kernelFor(new KernelRequest(t, 13, Map.of(), types, arena)).isEmpty());
            // a grouped convolution that is neither pointwise nor depthwise
            Node conv = nhwcConv(i("group", 2));
            assertTrue(SIMD.kernelFor(new KernelRequest(conv, 13, Map.of("x1", w), types, arena)).isEmpty());
        }
    }

    @Test
    void aWrongImageSaysWhatItShouldBe() {
        try (Tensor x = random(1, 5, 5, 3); Tensor w = random(4, 1, 3, 3); Tensor b = random(4)) {
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> KernelHarness.run(SIMD, nhwcConv(i("group", 4)), 13, 1, x, w, b));
            assertEquals("input f32[1, 5, 5, 3] must be f32 [N,H,W,4]", e.getMessage());
        }
    }
}
