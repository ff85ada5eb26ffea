package dev.sparq.backend.cpu.simd;

import static dev.sparq.testing.KernelHarness.i;
import static dev.sparq.testing.KernelHarness.ints;
import static dev.sparq.testing.KernelHarness.s;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.sparq.backend.Backend;
import dev.sparq.backend.ExecutionContext;
import dev.sparq.backend.Kernel;
import dev.sparq.backend.KernelRequest;
import dev.sparq.backend.WorkerPool;
import dev.sparq.backend.cpu.ref.CpuRefBackend;
import dev.sparq.backend.geometry.ConvAttributes;
import dev.sparq.backend.tuning.CandidateTimer;
import dev.sparq.backend.tuning.KernelTuner;
import dev.sparq.backend.tuning.TimingCache;
import dev.sparq.graph.Attribute;
import dev.sparq.graph.Node;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import dev.sparq.testing.KernelHarness;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Every convolution algorithm the tuner can pick (im2col / pointwise GEMM, direct, direct depthwise, Winograd),
 * forced one by one on awkward shapes and checked against cpu-ref, and which ones each shape is offered.
 */
class ConvCandidatesTest {
    private static final Backend SIMD = new SimdBackend();
    private static final Backend REF = new CpuRefBackend();
    private final Random rnd = new Random(20261128);

    private Tensor random(long... shape) {
        Tensor t = Tensor.allocate(DType.F32, shape);
        for (long j = 0; j < t.size(); j++) {
            t.setFloat(j, (float) rnd.nextGaussian());
        }
        return t;
    }

    record Case(int n, int c, int h, int w, int cout, int k, int stride, int pad, int dil, int group, String autoPad,
                List<String> offered) {
    }

    @Test
    void everyCandidateMatchesTheReference() {
        List<Case> cases = List.of(
            new Case(1, 1, 1, 1, 1, 1, 1, 0, 1, 1, "NOTSET", List.of("pointwise-gemm", "direct")),
            new Case(2, 3, 7, 7, 5, 1, 1, 0, 1, 1, "NOTSET", List.of("pointwise-gemm", "direct")),
            new Case(1, 1, 8, 8, 16, 3, 1, 1, 1, 1, "NOTSET", List.of("pixel-gemm", "im2col-gemm", "direct", "winograd", "winograd-2x2")),
            new Case(1, 3, 17, 19, 8, 3, 1, 1, 1, 1, "NOTSET", List.of("pixel-gemm", "im2col-gemm", "direct", "winograd", "winograd-2x2")),
            new Case(1, 5, 12, 12, 7, 3, 2, 1, 1, 1, "NOTSET", List.of("im2col-gemm", "pixel-gemm")),
            new Case(1, 3, 11, 13, 4, 3, 3, 2, 1, 1, "NOTSET", List.of("im2col-gemm", "direct")),
            new Case(1, 2, 9, 10, 6, 3, 1, 2, 2, 1, "NOTSET", List.of("pixel-gemm", "im2col-gemm", "direct")),
            new Case(2, 6, 8, 8, 6, 3, 1, 1, 1, 2, "NOTSET", List.of("im2col-gemm", "direct")),
            new Case(1, 8, 15, 14, 8, 3, 2, 1, 1, 8, "NOTSET", List.of("im2col-gemm", "direct-depthwise", "depthwise-blocked")),
            new Case(2, 4, 9, 9, 4, 3, 1, 2, 2, 4, "NOTSET", List.of("im2col-gemm", "direct-depthwise", "depthwise-blocked")),
            new Case(1, 6, 13, 11, 6, 3, 2, 2, 2, 6, "NOTSET", List.of("im2col-gemm", "direct-depthwise", "depthwise-blocked")),
            new Case(2, 5, 8, 7, 5, 3, 2, 1, 1, 5, "NOTSET", List.of("im2col-gemm", "direct-depthwise", "depthwise-blocked")),
            // channels in vector lanes: part blocks (37 = 2 × 16 + 5 at 512 bits), a 1×1 image inside its padding, 5×5
            // stride 2, no padding, SAME_UPPER's uneven padding
            new Case(1, 37, 7, 7, 37, 3, 1, 1, 1, 37, "NOTSET", List.of("im2col-gemm", "direct-depthwise", "depthwise-blocked")),
            new Case(2, 16, 1, 1, 16, 3, 1, 1, 1, 16, "NOTSET", List.of("im2col-gemm", "direct-depthwise", "depthwise-blocked")),
            // rows of 35 pixels: two whole 16 × 16 transposes and a tail, on the way in and out
            new Case(1, 19, 18, 35, 19, 3, 1, 1, 1, 19, "NOTSET", List.of("im2col-gemm", "direct-depthwise", "depthwise-blocked")),
            new Case(1, 20, 14, 13, 20, 5, 2, 2, 1, 20, "NOTSET", List.of("im2col-gemm", "direct-depthwise", "depthwise-blocked")),
            new Case(1, 33, 9, 6, 33, 3, 1, 0, 1, 33, "NOTSET", List.of("im2col-gemm", "direct-depthwise", "depthwise-blocked")),
            new Case(1, 24, 10, 11, 24, 3, 2, 0, 1, 24, "SAME_UPPER", List.of("im2col-gemm", "direct-depthwise", "depthwise-blocked")),
            new Case(1, 2, 11, 12, 5, 3, 2, 1, 2, 1, "NOTSET", List.of("pixel-gemm", "im2col-gemm", "direct")),
            new Case(1, 8, 7, 7, 16, 3, 1, 1, 1, 1, "NOTSET", List.of("im2col-gemm", "pixel-gemm", "pixel-rows", "winograd", "winograd-2x2")),
            // pixel rows: a reduction of three k blocks (the last short), a part last panel (45 = 32 + 13 at 512
            // bits); stride 2 at batch 2; 14-wide rows of a 5×5 kernel
            new Case(1, 40, 7, 7, 45, 3, 1, 1, 1, 1, "NOTSET", List.of("im2col-gemm", "pixel-rows", "winograd", "winograd-2x2")),
            new Case(2, 20, 14, 14, 33, 3, 2, 1, 1, 1, "NOTSET", List.of("im2col-gemm", "pixel-gemm", "pixel-rows")),
            new Case(1, 6, 10, 14, 9, 5, 1, 2, 1, 1, "NOTSET", List.of("im2col-gemm", "pixel-gemm", "pixel-rows")),
            new Case(2, 9, 13, 10, 11, 3, 1, 1, 1, 1, "NOTSET", List.of("im2col-gemm", "pixel-gemm", "winograd", "winograd-2x2")),
            new Case(1, 12, 9, 17, 20, 3, 1, 0, 1, 1, "SAME_UPPER", List.of("im2col-gemm", "pixel-gemm", "winograd", "winograd-2x2")),
            new Case(1, 3, 10, 9, 33, 3, 2, 0, 1, 1, "SAME_LOWER", List.of("pixel-gemm", "im2col-gemm", "direct")),
            // images wide enough for the im2col GEMM over flat-numbered pixels (stride 1 and 2×2, any dilation)
            new Case(1, 3, 64, 64, 16, 3, 2, 1, 1, 1, "NOTSET", List.of("pixel-gemm", "im2col-gemm", "direct")),
            new Case(1, 3, 61, 62, 13, 7, 2, 3, 1, 1, "NOTSET", List.of("pixel-gemm", "im2col-gemm")),
            new Case(2, 8, 40, 40, 35, 3, 1, 1, 1, 1, "NOTSET", List.of("im2col-gemm", "pixel-gemm", "winograd", "winograd-2x2")),
            // Winograd F(4×4) in two blocks of tile rows (7 + 5 of 12 at 512 bits), the last tiles of a row and column
            // partly outside the 46 × 47 output
            new Case(1, 64, 46, 47, 20, 3, 1, 1, 1, 1, "NOTSET", List.of("im2col-gemm", "winograd")),
            new Case(1, 4, 50, 45, 6, 3, 2, 2, 2, 1, "NOTSET", List.of("pixel-gemm", "im2col-gemm")),
            // 1×1 at stride 2 without padding reads the even rows' phases only: an odd image height, rows of 7; with
            // padding it reads odd input rows
            new Case(1, 6, 13, 12, 9, 1, 2, 0, 1, 1, "NOTSET", List.of("im2col-gemm", "direct", "pixel-gemm")),
            new Case(2, 40, 14, 13, 70, 1, 2, 0, 1, 1, "NOTSET", List.of("im2col-gemm", "pixel-gemm", "pixel-rows")),
            new Case(1, 5, 9, 10, 6, 1, 2, 1, 1, 1, "NOTSET", List.of("im2col-gemm", "direct", "pixel-gemm")),
            // the im2col GEMM subsamples a 1×1 strided layer's rows: 20 and 33 outputs a row (whole vector steps and
            // tails of 4 and 1 at 512 bits), and stride 3, which takes every third value
            new Case(1, 5, 9, 40, 5, 1, 2, 0, 1, 1, "NOTSET", List.of("im2col-gemm", "direct", "pixel-gemm")),
            new Case(1, 6, 5, 66, 4, 1, 2, 0, 1, 1, "NOTSET", List.of("im2col-gemm", "direct", "pixel-gemm")),
            new Case(2, 3, 10, 11, 4, 1, 3, 0, 1, 1, "NOTSET", List.of("im2col-gemm", "direct")),
            // pixels broadcast: 3 weight panels (70 channels), a reduction of a whole GEMM k block (28 · 9 = 252)
            new Case(1, 28, 15, 15, 70, 3, 2, 1, 1, 1, "NOTSET", List.of("im2col-gemm", "pixel-gemm")));
        for (Case cs : cases) {
            try (Tensor x = random(cs.n, cs.c, cs.h, cs.w); Tensor wt = random(cs.cout, cs.c / cs.group, cs.k, cs.k);
                 Tensor b = random(cs.cout)) {
                List<Attribute> attrs = new ArrayList<>(List.of(i("group", cs.group), ints("strides", cs.stride, cs.stride),
                    ints("dilations", cs.dil, cs.dil), s("auto_pad", cs.autoPad)));
                if (cs.autoPad.equals("NOTSET")) {
                    attrs.add(ints("pads", cs.pad, cs.pad, cs.pad, cs.pad));
                }
                Node conv = KernelHarness.node("Conv", 3, 1, attrs.toArray(Attribute[]::new));
                List<String> offered = new ArrayList<>();
                try (KernelTuner.Scope ignored = KernelTuner.use(Tuners.recording(offered))) {
                    KernelHarness.run(SIMD, conv, 13, 1, x, wt, b)[0].close();
                }
                if (cs.offered.size() > 1) {
                    assertEquals(cs.offered, offered, cs.toString());
                }
                Tensor want = KernelHarness.run(REF, conv, 13, 1, x, wt, b)[0];
                for (String name : cs.offered) {
                    try (KernelTuner.Scope ignored = KernelTuner.use(Tuners.forcing(name))) {
                        Tensor got = KernelHarness.run(SIMD, conv, 13, 1, x, wt, b)[0];
                        double tol = name.startsWith("winograd") ? 1e-4 : 1e-5;
                        SimdVsReferenceTest.assertClose(want, got, tol, name + " " + cs);
                        got.close();
                    }
                }
                want.close();
            }
        }
    }

    @Test
    void withTuningOffWinogradIsTheRuleWhereItMeasuredFaster() {
        // {channels, image side}: F(4×4) from 24×24 (from 12×12 where the channels-last F(4×4) runs), F(2×2) from
        // 12×12 (from 7×7 with 256 channels), im2col below or for few channels
        String mid = ChannelsLastWinograd.available() ? "winograd" : "winograd-2x2";
        Object[][] cases = {{64, 56, "winograd"}, {128, 28, "winograd"}, {32, 14, mid}, {32, 12, mid},
            {32, 7, "im2col-gemm"}, {8, 28, "im2col-gemm"}, {256, 6, "im2col-gemm"},
            {256, 7, WinogradWeightWarming.ON ? "pixel-rows" : "winograd-2x2"}};
        for (Object[] c : cases) {
            int ch = (int) c[0];
            int side = (int) c[1];
            try (Tensor w = random(ch, ch, 3, 3); Tensor b = random(ch)) {
                String chosen = chosenWithTuningOff(KernelHarness.node("Conv", 3, 1, ints("pads", 1, 1, 1, 1)), w, b,
                    1, ch, side, side);
                assertTrue(chosen.startsWith(c[2] + ":"), ch + "x" + side + ": " + chosen);
            }
        }
        // where the rule names a tile size, the timer is not offered the other one, and where it is F(4×4) not pixel
        // rows either (timed faster alone, slower inside ResNet-18)
        for (Object[] c : new Object[][] {{64, 56, List.of("im2col-gemm", "winograd")},
            {32, 14, ChannelsLastWinograd.available() ? List.of("im2col-gemm", "winograd")
                : List.of("im2col-gemm", "pixel-rows", "winograd-2x2")},
            {32, 7, List.of("im2col-gemm", "pixel-rows", "winograd", "winograd-2x2")}}) {
            int ch = (int) c[0];
            int side = (int) c[1];
            List<String> offered = new ArrayList<>();
            try (Tensor x = random(1, ch, side, side); Tensor w = random(ch, ch, 3, 3); Tensor b = random(ch);
                 KernelTuner.Scope ignored = KernelTuner.use(Tuners.recording(offered))) {
                KernelHarness.run(SIMD, KernelHarness.node("Conv", 3, 1, ints("pads", 1, 1, 1, 1)), 13, 1, x, w, b)[0]
                    .close();
            }
            assertEquals(c[2], offered, ch + "x" + side);
        }
    }

    @Test
    void pixelRowsStayTheRuleOnSmallImagesOnlyWhereWinogradWeightsAreWarmed() {
        assertTrue(ConvKernels.smallImagePixelRows("winograd-2x2", 7 * 7, true));
        assertFalse(ConvKernels.smallImagePixelRows("winograd-2x2", 7 * 7, false), "F(2×2) without the warming");
        assertFalse(ConvKernels.smallImagePixelRows("winograd-2x2", 14 * 14, true), "larger images keep Winograd");
        assertFalse(ConvKernels.smallImagePixelRows("winograd", 7 * 7, true));
        assertFalse(ConvKernels.smallImagePixelRows(null, 7 * 7, true));
        // whichever the rule, F(2×2) is still offered to the timer at 7×7, and must beat pixel rows by the margin
        List<String> offered = new ArrayList<>();
        try (Tensor x = random(1, 256, 7, 7); Tensor w = random(256, 256, 3, 3); Tensor b = random(256);
             KernelTuner.Scope ignored = KernelTuner.use(Tuners.recording(offered))) {
            KernelHarness.run(SIMD, KernelHarness.node("Conv", 3, 1, ints("pads", 1, 1, 1, 1)), 13, 1, x, w, b)[0]
                .close();
        }
        assertEquals(List.of("im2col-gemm", "pixel-rows", "winograd-2x2"), offered);
    }

    @Test
    void withTuningOffSmallDepthwisePlanesRunChannelsInLanes() {
        // {channels, image side, stride}: up to 14×14 output pixels blocked, larger planes row by row
        Object[][] cases = {{960, 7, 1, "depthwise-blocked"}, {384, 14, 1, "depthwise-blocked"},
            {576, 14, 2, "depthwise-blocked"}, {192, 28, 2, "depthwise-blocked"}, {192, 28, 1, "direct-depthwise"},
            {32, 112, 1, "direct-depthwise"}};
        for (Object[] c : cases) {
            int ch = (int) c[0];
            int side = (int) c[1];
            int stride = (int) c[2];
            try (Tensor w = random(ch, 1, 3, 3); Tensor b = random(ch)) {
                Node conv = KernelHarness.node("Conv", 3, 1, i("group", ch), ints("pads", 1, 1, 1, 1),
                    ints("strides", stride, stride));
                String chosen = chosenWithTuningOff(conv, w, b, 1, ch, side, side);
                assertTrue(chosen.startsWith(c[3] + ":"), ch + "x" + side + "/" + stride + ": " + chosen);
            }
        }
    }

    @Test
    void withTuningOffFirstLayersBroadcastPixels() {
        // {input channels, kernel, stride, expected}: RGB stems pixels-broadcast, wider inputs im2col
        Object[][] cases = {{3, 7, 2, "pixel-gemm"}, {3, 3, 2, "pixel-gemm"}, {4, 3, 1, "pixel-gemm"},
            {8, 3, 2, "im2col-gemm"}};
        for (Object[] c : cases) {
            int cin = (int) c[0];
            int k = (int) c[1];
            int stride = (int) c[2];
            try (Tensor w = random(32, cin, k, k); Tensor b = random(32)) {
                Node conv = KernelHarness.node("Conv", 3, 1, ints("pads", k / 2, k / 2, k / 2, k / 2),
                    ints("strides", stride, stride));
                String chosen = chosenWithTuningOff(conv, w, b, 1, cin, 64, 64);
                assertTrue(chosen.startsWith(c[3] + ":"), cin + " " + k + "x" + k + "/" + stride + ": " + chosen);
            }
        }
    }

    @Test
    void aFirstLayerKeepsPixelGemmOnACloseCall() {
        // timed as ResNet-18's stem was in stop 24: pixel-gemm 1.25 ms, the im2col GEMM 1.38, i.e. within the tuner's
        // 10% margin. An RGB layer keeps its rule (pixel-gemm is its baseline too); a wider one keeps the im2col GEMM
        java.util.Map<String, Double> times = java.util.Map.of("pixel-gemm", 1.25e6, "im2col-gemm", 1.38e6);
        KernelTuner timed = KernelTuner.timing(TimingCache.inMemory(), (names, runs, budget) ->
            names.stream().mapToDouble(n -> times.getOrDefault(n, 9e6)).toArray(), 0);
        for (Object[] c : new Object[][] {{3, "pixel-gemm"}, {8, "im2col-gemm"}}) {
            int cin = (int) c[0];
            try (Tensor w = random(16, cin, 7, 7); Tensor b = random(16)) {
                Node conv = KernelHarness.node("Conv", 3, 1, ints("pads", 3, 3, 3, 3), ints("strides", 2, 2));
                String chosen = chosenBy(timed, conv, w, b, 1, cin, 32, 32);
                assertTrue(chosen.startsWith(c[1] + ":"), cin + " channels: " + chosen);
            }
        }
    }

    @Test
    void withTuningOffDeepLayersWithWholeTilesBroadcastRowsOfPixels() {
        // {input channels, output channels, image side, kernel, stride, expected}: whole tiles of 7 and at most
        // 2^20 outputs (the last: 56 × 56 × 512), else the other rules (F(2×2) at 7×7 only where its weights are not
        // warmed)
        Object[][] cases = {{128, 256, 28, 3, 2, "pixel-rows"},
            {512, 512, 7, 3, 1, WinogradWeightWarming.ON ? "pixel-rows" : "winograd-2x2"},
            {128, 256, 7, 3, 1, "pixel-rows"},
            {256, 512, 14, 1, 2, "pixel-rows"}, {32, 32, 7, 3, 1, "im2col-gemm"}, {64, 64, 56, 3, 1, "winograd"},
            {64, 128, 30, 3, 2, "im2col-gemm"}, {64, 512, 56, 3, 1, "winograd"}, {64, 512, 112, 3, 2, "im2col-gemm"}};
        for (Object[] c : cases) {
            int cin = (int) c[0];
            int cout = (int) c[1];
            int side = (int) c[2];
            int k = (int) c[3];
            int stride = (int) c[4];
            try (Tensor w = random(cout, cin, k, k); Tensor b = random(cout)) {
                Node conv = KernelHarness.node("Conv", 3, 1, ints("pads", k / 2, k / 2, k / 2, k / 2),
                    ints("strides", stride, stride));
                String chosen = chosenWithTuningOff(conv, w, b, 1, cin, side, side);
                assertTrue(chosen.startsWith(c[5] + ":"), java.util.Arrays.toString(c) + ": " + chosen);
            }
        }
    }

    @Test
    void pixelRowsFuseReluAndGiveTheSameBitsOnTwoThreads() {
        // {input channels, side, output channels, stride}: threads split 3 weight panels (more weight than input; 2
        // k blocks and a short one, 260 · 9 / 128), or the output rows (more input than weight: 28 rows, 21, and 14
        // at stride 2)
        int[][] cases = {{260, 7, 70, 1}, {260, 14, 70, 2}, {16, 28, 40, 1}, {16, 21, 40, 1}, {16, 28, 40, 2}};
        for (int[] c : cases) {
            try (Tensor x = random(1, c[0], c[1], c[1]); Tensor w = random(c[2], c[0], 3, 3); Tensor b = random(c[2]);
                 WorkerPool pool = new WorkerPool(2)) {
                Node node = KernelHarness.node("Conv", 3, 1, ints("pads", 1, 1, 1, 1), ints("strides", c[3], c[3]));
                Tensor want = KernelHarness.run(REF, node, 13, 1, x, w, b)[0];
                for (long j = 0; j < want.size(); j++) {
                    want.setFloat(j, Math.max(0f, want.getFloat(j)));
                }
                PixelRowConv k = new PixelRowConv(ConvAttributes.of(node, w), w.toFloatArray(), b.toFloatArray(),
                    Activation.RELU, c[0]);
                Tensor one = k.run(new Tensor[] {x, w, b}, ExecutionContext.standalone())[0];
                Tensor two = k.run(new Tensor[] {x, w, b}, ExecutionContext.standalone(2, pool))[0];
                String what = "pixel-rows " + java.util.Arrays.toString(c);
                SimdVsReferenceTest.assertClose(want, one, 1e-5, what);
                assertArrayEquals(one.toFloatArray(), two.toFloatArray(), what + ": 1 vs 2 threads");
                want.close();
                one.close();
                two.close();
            }
        }
    }

    @Test
    void channelsLastWinogradGivesTheSameBitsWithThreadsFarApart() {
        assumeTrue(ChannelsLastWinograd.available(), "the channels-last Winograd kernel needs 512-bit vectors");
        // {input channels, height, width, output channels}: near, two threads share each block's phases; far apart,
        // each takes whole blocks of tile rows (12 rows as 6 + 6; 7 as 4 + 3 with part tiles; 2 as 1 + 1; 15 rows of
        // 128 channels, too large for one block a thread, as 4 + 4 and 4 + 3)
        int[][] cases = {{64, 46, 47, 20}, {16, 28, 25, 40}, {8, 7, 6, 3}, {128, 60, 60, 8}};
        for (int[] c : cases) {
            try (Tensor x = random(1, c[0], c[1], c[2]); Tensor w = random(c[3], c[0], 3, 3); Tensor b = random(c[3]);
                 WorkerPool pool = new WorkerPool(2)) {
                Node node = KernelHarness.node("Conv", 3, 1, ints("pads", 1, 1, 1, 1));
                Tensor want = KernelHarness.run(REF, node, 13, 1, x, w, b)[0];
                for (long j = 0; j < want.size(); j++) {
                    want.setFloat(j, Math.max(0f, want.getFloat(j)));
                }
                Kernel k = new ChannelsLastWinograd(ConvAttributes.of(node, w), w, b.toFloatArray(), Activation.RELU);
                Tensor one = k.run(new Tensor[] {x, w, b}, ExecutionContext.standalone())[0];
                Tensor near = k.run(new Tensor[] {x, w, b}, twoThreads(pool, false))[0];
                Tensor far = k.run(new Tensor[] {x, w, b}, twoThreads(pool, true))[0];
                String what = "winograd " + java.util.Arrays.toString(c);
                SimdVsReferenceTest.assertClose(want, one, 1e-4, what);
                assertArrayEquals(one.toFloatArray(), near.toFloatArray(), what + ": 1 thread vs 2 near");
                assertArrayEquals(one.toFloatArray(), far.toFloatArray(), what + ": 1 thread vs 2 far apart");
                for (Tensor t : new Tensor[] {want, one, near, far}) {
                    t.close();
                }
            }
        }
    }

    /** Two threads on {@code pool}, said to run far apart or not whatever the pool measured. */
    private static ExecutionContext twoThreads(WorkerPool pool, boolean farApart) {
        ExecutionContext two = ExecutionContext.standalone(2, pool);
        return new ExecutionContext() {
            @Override
            public Tensor allocate(DType dtype, long... shape) {
                return two.allocate(dtype, shape);
            }

            @Override
            public int threads() {
                return 2;
            }

            @Override
            public void parallelFor(int tasks, java.util.function.IntConsumer body) {
                two.parallelFor(tasks, body);
            }

            @Override
            public boolean threadsFarApart() {
                return farApart;
            }
        };
    }

    @Test
    void depthwiseKernelsFuseAClampThatBitesOnBothSides() {
        // {channels, height, width, stride}: a part block of lanes (37), rows of 35 pixels, stride 2 on odd sides
        int[][] cases = {{37, 7, 7, 1}, {19, 18, 35, 1}, {24, 11, 13, 2}, {8, 15, 14, 2}};
        Activation clamp = new Activation(-0.1f, 0.2f);
        for (int[] c : cases) {
            try (Tensor x = random(1, c[0], c[1], c[2]); Tensor w = random(c[0], 1, 3, 3); Tensor b = random(c[0])) {
                Node node = KernelHarness.node("Conv", 3, 1, i("group", c[0]), ints("pads", 1, 1, 1, 1),
                    ints("strides", c[3], c[3]));
                Tensor want = KernelHarness.run(REF, node, 13, 1, x, w, b)[0];
                for (long j = 0; j < want.size(); j++) {
                    want.setFloat(j, Math.min(clamp.max(), Math.max(clamp.min(), want.getFloat(j))));
                }
                ConvAttributes attrs = ConvAttributes.of(node, w);
                for (Kernel k : List.of(new DepthwiseConv(attrs, w.toFloatArray(), b.toFloatArray(), clamp),
                    new BlockedDepthwiseConv(attrs, w.toFloatArray(), b.toFloatArray(), clamp))) {
                    try (Tensor got = k.run(new Tensor[] {x, w, b}, ExecutionContext.standalone())[0]) {
                        SimdVsReferenceTest.assertClose(want, got, 1e-5,
                            k.getClass().getSimpleName() + " " + java.util.Arrays.toString(c));
                    }
                }
                want.close();
            }
        }
    }

    /** The kernel the rules choose (tuning off) for {@code conv} with these weights on an input of that shape. */
    private static String chosenWithTuningOff(Node conv, Tensor w, Tensor b, long... inputShape) {
        return chosenBy(KernelTuner.off(), conv, w, b, inputShape);
    }

    /** The kernel {@code tuner} chooses for {@code conv} with these weights on an input of that shape. */
    private static String chosenBy(KernelTuner tuner, Node conv, Tensor w, Tensor b, long... inputShape) {
        try (KernelTuner.Scope ignored = KernelTuner.use(tuner)) {
            return SIMD.kernelFor(new KernelRequest(conv, 13, java.util.Map.of("x1", w, "x2", b),
                java.util.Map.of("x0", dev.sparq.graph.ValueType.tensor(DType.F32, inputShape)),
                java.lang.foreign.Arena.global())).orElseThrow().describe();
        }
    }

    @Test
    void theRealTimerChoosesOneThatWorks() {
        KernelTuner real = KernelTuner.timing(TimingCache.inMemory(), CandidateTimer.wallClock(), 5_000_000);
        try (Tensor x = random(1, 3, 20, 20); Tensor w = random(8, 3, 3, 3); Tensor b = random(8);
             KernelTuner.Scope ignored = KernelTuner.use(real)) {
            Node conv = KernelHarness.node("Conv", 3, 1, ints("pads", 1, 1, 1, 1));
            Kernel k = SIMD.kernelFor(new KernelRequest(conv, 13, java.util.Map.of("x1", w, "x2", b),
                java.util.Map.of("x0", dev.sparq.graph.ValueType.tensor(DType.F32, 1, 3, 20, 20)),
                java.lang.foreign.Arena.global())).orElseThrow();
            // any candidate may win (pixel-gemm and direct time within 1% of each other here); each must compute it
            assertTrue(k.describe().matches("[a-z0-9-]+: .* vs .* \\(timed\\)"), k.describe());
            Tensor want = KernelHarness.run(REF, conv, 13, 1, x, w, b)[0];
            Tensor got = k.run(new Tensor[] {x, w, b}, dev.sparq.backend.ExecutionContext.standalone())[0];
            SimdVsReferenceTest.assertClose(want, got, 1e-5, k.describe());
            want.close();
            got.close();
            assertEquals(1, real.timedNodes());
        }
    }
}
