package dev.sparq.backend.cpu.simd;

import static dev.sparq.testing.KernelHarness.f;
import static dev.sparq.testing.KernelHarness.i;
import static dev.sparq.testing.KernelHarness.ints;
import static dev.sparq.testing.KernelHarness.s;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sparq.backend.Backend;
import dev.sparq.backend.geometry.ConvAttributes;
import dev.sparq.backend.ExecutionContext;
import dev.sparq.backend.Kernel;
import dev.sparq.backend.WorkerPool;
import dev.sparq.backend.cpu.ref.CpuRefBackend;
import dev.sparq.backend.tuning.KernelTuner;
import dev.sparq.graph.Attribute;
import dev.sparq.graph.Node;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import dev.sparq.testing.KernelHarness;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * cpu-simd against the cpu-ref oracle on random and awkward shapes (1×1, primes, tails shorter than a vector), with
 * the fixed rules' kernels (tuning off, so the checks do not depend on timing; the timed candidates have their own
 * tests: {@link ConvCandidatesTest}, {@link SparseKernelsTest}).
 */
class SimdVsReferenceTest {
    private static final Backend SIMD = new SimdBackend();
    private static final Backend REF = new CpuRefBackend();
    private final Random rnd = new Random(20261126);
    private KernelTuner.Scope rules;

    @BeforeEach
    void fixedRules() {
        rules = KernelTuner.use(KernelTuner.off());
    }

    @AfterEach
    void restore() {
        rules.close();
    }

    private Tensor random(long... shape) {
        Tensor t = Tensor.allocate(DType.F32, shape);
        for (long i = 0; i < t.size(); i++) {
            t.setFloat(i, (float) rnd.nextGaussian());
        }
        return t;
    }

    /** Runs the node on both backends (inputs from firstConstant on are constants) and compares. */
    private void compare(Node node, int firstConstant, double tol, Tensor... inputs) {
        Tensor[] want = KernelHarness.run(REF, node, 13, firstConstant, inputs);
        Tensor[] got = KernelHarness.run(SIMD, node, 13, firstConstant, inputs);
        assertClose(want[0], got[0], tol, node.toString());
        want[0].close();
        got[0].close();
    }

    static void assertClose(Tensor want, Tensor got, double tol, String what) {
        assertArrayEquals(want.shape(), got.shape(), what);
        double scale = 1e-6;
        for (long i = 0; i < want.size(); i++) {
            scale = Math.max(scale, Math.abs(want.getFloat(i)));
        }
        for (long i = 0; i < want.size(); i++) {
            double err = Math.abs(want.getFloat(i) - got.getFloat(i));
            if (err > tol * scale) {
                throw new AssertionError(what + ": element " + i + " is " + got.getFloat(i) + ", cpu-ref says "
                    + want.getFloat(i) + " (tolerance " + tol * scale + ")");
            }
        }
    }

    @Test
    void gemmOnAwkwardShapes() {
        int[] sizes = {1, 2, 7, 8, 9, 16, 17, 31, 33, 100, 257};
        for (int m : sizes) {
            for (int n : new int[] {1, 15, 16, 17, 33, 64, 130}) {
                for (int k : new int[] {1, 3, 16, 255, 256, 257, 600}) {
                    if ((long) m * n * k > 3_000_000) {
                        continue;
                    }
                    boolean transB = (m + n + k) % 2 == 0;
                    try (Tensor a = random(m, k); Tensor b = transB ? random(n, k) : random(k, n); Tensor c = random(n)) {
                        Node node = KernelHarness.node("Gemm", 3, 1, i("transB", transB ? 1 : 0), f("alpha", 0.5f),
                            f("beta", 2f));
                        compare(node, 1, 1e-5, a, b, c);
                    }
                }
            }
        }
    }

    @Test
    void matMulIntegerIsExact() {
        int[][] shapes = {{1, 1, 1}, {7, 33, 5}, {16, 64, 64}, {3, 300, 47}};
        for (int[] sh : shapes) {
            for (DType aType : new DType[] {DType.U8, DType.I8}) {
                byte[] av = new byte[sh[0] * sh[1]];
                byte[] bv = new byte[sh[1] * sh[2]];
                byte[] zb = new byte[sh[2]];
                rnd.nextBytes(av);
                rnd.nextBytes(bv);
                rnd.nextBytes(zb);
                try (Tensor a = Tensor.fromBytes(aType, av, sh[0], sh[1]); Tensor b = Tensor.fromBytes(DType.I8, bv, sh[1], sh[2]);
                     Tensor za = Tensor.fromBytes(aType, new byte[] {(byte) 7}); Tensor zbT = Tensor.fromBytes(DType.I8, zb, sh[2])) {
                    Node node = KernelHarness.node("MatMulInteger", 4, 1);
                    Tensor want = KernelHarness.run(REF, node, 13, 1, a, b, za, zbT)[0];
                    Tensor got = KernelHarness.run(SIMD, node, 13, 1, a, b, za, zbT)[0];
                    assertArrayEquals(want.toLongArray(), got.toLongArray(), aType + java.util.Arrays.toString(sh));
                    want.close();
                    got.close();
                }
            }
        }
    }

    @Test
    void quantizeAndDequantizeGiveTheReferenceIntegers() {
        float scale = 0.25f;
        for (int n : new int[] {1, 7, 16, 33, 1000}) {
            float[] v = new float[n];
            for (int i = 0; i < n; i++) {
                // ties (k + 0.5 after scaling), saturating values, negatives, NaN and infinities
                v[i] = switch (i % 7) {
                    case 0 -> (rnd.nextInt(200) - 100 + 0.5f) * scale;
                    case 1 -> (float) rnd.nextGaussian() * 1e6f;
                    case 2 -> i == 2 ? Float.NaN : -(float) rnd.nextGaussian() * 10;
                    case 3 -> i == 3 ? Float.POSITIVE_INFINITY : (float) rnd.nextGaussian();
                    case 4 -> i == 4 ? Float.NEGATIVE_INFINITY : rnd.nextFloat() * 64;
                    default -> (float) rnd.nextGaussian() * 30;
                };
            }
            for (byte[] zp : new byte[][] {{(byte) 128}, {0}, {(byte) 255}}) {
                for (DType type : new DType[] {DType.U8, DType.I8}) {
                    try (Tensor x = Tensor.fromFloats(v, n); Tensor s = Tensor.fromFloats(new float[] {scale});
                         Tensor z = Tensor.fromBytes(type, zp)) {
                        Node q = KernelHarness.node("QuantizeLinear", 3, 1);
                        Tensor want = KernelHarness.run(REF, q, 13, 1, x, s, z)[0];
                        Tensor got = KernelHarness.run(SIMD, q, 13, 1, x, s, z)[0];
                        assertArrayEquals(want.toLongArray(), got.toLongArray(), "quantize " + type + " zp " + zp[0]);
                        Node dq = KernelHarness.node("DequantizeLinear", 3, 1);
                        Tensor back = KernelHarness.run(REF, dq, 13, 1, want, s, z)[0];
                        Tensor back2 = KernelHarness.run(SIMD, dq, 13, 1, want, s, z)[0];
                        assertArrayEquals(back.toFloatArray(), back2.toFloatArray(), "dequantize " + type);
                        for (Tensor t : new Tensor[] {want, got, back, back2}) {
                            t.close();
                        }
                    }
                }
            }
        }
    }

    @Test
    void byteMaxPoolMatchesTheReference() {
        for (DType type : new DType[] {DType.U8, DType.I8}) {
            byte[] v = new byte[2 * 3 * 11 * 12];
            rnd.nextBytes(v);
            try (Tensor x = Tensor.fromBytes(type, v, 2, 3, 11, 12)) {
                for (Node n : new Node[] {
                    KernelHarness.node("MaxPool", 1, 1, ints("kernel_shape", 3, 3), ints("strides", 2, 2),
                        ints("pads", 1, 1, 1, 1)),
                    KernelHarness.node("MaxPool", 1, 1, ints("kernel_shape", 2, 3), ints("pads", 0, 2, 1, 0))}) {
                    Tensor want = KernelHarness.run(REF, n, 13, 1, x)[0];
                    Tensor got = KernelHarness.run(SIMD, n, 13, 1, x)[0];
                    assertArrayEquals(want.toLongArray(), got.toLongArray(), type + " " + n);
                    want.close();
                    got.close();
                }
            }
        }
    }

    @Test
    void matmulWithBatchDims() {
        try (Tensor a = random(2, 3, 5, 19); Tensor b = random(19, 23)) {
            compare(KernelHarness.node("MatMul", 2, 1), 1, 1e-5, a, b);
        }
    }

    @Test
    void convolutionsOfEveryKind() {
        record Case(int n, int c, int h, int w, int cout, int k, int stride, int pad, int dil, int group, String autoPad) {
        }
        List<Case> cases = new ArrayList<>(List.of(
            new Case(1, 1, 1, 1, 1, 1, 1, 0, 1, 1, "NOTSET"),
            new Case(1, 3, 7, 7, 5, 1, 1, 0, 1, 1, "NOTSET"),      // pointwise
            new Case(2, 16, 13, 11, 24, 1, 1, 0, 1, 1, "NOTSET"),
            new Case(1, 3, 17, 19, 8, 3, 1, 1, 1, 1, "NOTSET"),
            new Case(1, 5, 12, 12, 7, 3, 2, 1, 1, 1, "NOTSET"),
            new Case(1, 4, 9, 10, 6, 5, 1, 2, 2, 1, "NOTSET"),
            new Case(2, 6, 8, 8, 6, 3, 1, 1, 1, 2, "NOTSET"),      // grouped
            new Case(1, 8, 15, 15, 8, 3, 1, 1, 1, 8, "NOTSET"),    // depthwise
            new Case(1, 8, 15, 14, 8, 3, 2, 1, 1, 8, "NOTSET"),    // depthwise, stride 2
            new Case(1, 6, 16, 13, 6, 5, 3, 2, 1, 6, "NOTSET"),    // depthwise, stride 3
            new Case(2, 4, 9, 9, 4, 3, 1, 2, 2, 4, "NOTSET"),      // depthwise, dilation 2
            new Case(1, 3, 23, 21, 8, 7, 2, 3, 1, 1, "NOTSET"),    // ResNet stem shape, stride 2
            new Case(1, 4, 6, 7, 4, 5, 1, 0, 1, 4, "SAME_UPPER"),
            new Case(1, 3, 10, 9, 33, 3, 2, 0, 1, 1, "SAME_LOWER"),
            new Case(1, 32, 56, 56, 64, 3, 1, 1, 1, 1, "NOTSET"),
            new Case(1, 12, 9, 17, 20, 3, 1, 0, 1, 1, "SAME_UPPER")));
        for (Case cs : cases) {
            try (Tensor x = random(cs.n, cs.c, cs.h, cs.w); Tensor wt = random(cs.cout, cs.c / cs.group, cs.k, cs.k);
                 Tensor b = random(cs.cout)) {
                List<Attribute> attrs = new ArrayList<>(List.of(i("group", cs.group), ints("strides", cs.stride, cs.stride),
                    ints("dilations", cs.dil, cs.dil), s("auto_pad", cs.autoPad)));
                if (cs.autoPad.equals("NOTSET")) {
                    attrs.add(ints("pads", cs.pad, cs.pad, cs.pad, cs.pad));
                }
                compare(KernelHarness.node("Conv", 3, 1, attrs.toArray(Attribute[]::new)), 1, 1e-5, x, wt, b);
            }
        }
    }

    @Test
    void winogradMatchesDirectConvolution() {
        // {n, cin, h, w, cout, pad}: several tile blocks (first), one channel, channels and tile counts that are
        // not multiples of the vector width, outputs not multiples of the tile, a pad of 2 (output larger than input),
        // more than 256 channels (two GEMM depth blocks), enough blocks for 2 threads to split blocks (last)
        int[][] cases = {{1, 32, 56, 56, 64, 1}, {1, 8, 7, 7, 16, 1}, {2, 9, 13, 10, 11, 1}, {1, 16, 5, 6, 8, 0},
            {1, 12, 9, 17, 20, 0}, {1, 1, 11, 9, 1, 1}, {1, 1, 3, 3, 3, 0}, {1, 17, 23, 29, 5, 1}, {1, 3, 6, 31, 33, 2},
            {1, 70, 30, 30, 19, 1}, {1, 260, 8, 9, 9, 1}, {1, 64, 50, 50, 24, 1}};
        for (int[] c : cases) {
            try (Tensor x = random(c[0], c[1], c[2], c[3]); Tensor w = random(c[4], c[1], 3, 3); Tensor b = random(c[4]);
                 WorkerPool pool = new WorkerPool(2)) {
                Node node = KernelHarness.node("Conv", 3, 1, ints("pads", c[5], c[5], c[5], c[5]));
                Tensor want = KernelHarness.run(REF, node, 13, 1, x, w, b)[0];
                float[] bias = b.toFloatArray();
                for (long i = 0; i < want.size(); i++) {
                    want.setFloat(i, Math.max(0f, want.getFloat(i))); // the Relu fused into the Winograd store
                }
                // the tile-per-lane kernel at both tile sizes, with the regular and the narrow GEMM tile, and
                // F(4×4) with channels in lanes where its 512-bit tile runs
                int variants = ChannelsLastWinograd.available() ? 5 : 4;
                for (int variant = 0; variant < variants; variant++) {
                    int tile = variant < 2 || variant == 4 ? 4 : 2;
                    boolean narrow = variant % 2 == 1;
                    String what = "Winograd F(" + tile + "x" + tile + ")" + (narrow ? " narrow " : " ")
                        + (variant == 4 ? "channels-last " : "") + java.util.Arrays.toString(c);
                    Kernel wino = variant == 4
                        ? new ChannelsLastWinograd(ConvAttributes.of(node, w), w, bias, Activation.RELU)
                        : new WinogradConv(ConvAttributes.of(node, w), w, bias, Activation.RELU, tile, narrow);
                    // the transformed weights, (tile + 2)² / 9 of the plain ones, are what inspect reports
                    assertTrue(wino.packedWeightBytes() >= (tile + 2) * (tile + 2) * w.size() * Float.BYTES / 9, what);
                    Tensor got = wino.run(new Tensor[] {x, w, b}, ExecutionContext.standalone())[0];
                    assertClose(want, got, 1e-4, what);
                    Tensor two = wino.run(new Tensor[] {x, w, b}, ExecutionContext.standalone(2, pool))[0];
                    assertArrayEquals(got.toFloatArray(), two.toFloatArray(), what + ": 1 vs 2 threads");
                    got.close();
                    two.close();
                }
                want.close();
            }
        }
    }

    @Test
    void clampAddAndPooling() {
        try (Tensor x = random(2, 3, 5, 7); Tensor y = random(2, 3, 5, 7); Tensor lo = Tensor.fromFloats(new float[] {-0.5f});
             Tensor hi = Tensor.fromFloats(new float[] {0.25f})) {
            compare(KernelHarness.node("Relu", 1, 1), 1, 0, x);
            compare(KernelHarness.node("Clip", 3, 1), 1, 0, x, lo, hi);
            compare(KernelHarness.node("Add", 2, 1), 2, 0, x, y);
            compare(KernelHarness.node("GlobalAveragePool", 1, 1), 1, 1e-6, x);
        }
        try (Tensor x = random(1, 3, 11, 12)) {
            compare(KernelHarness.node("MaxPool", 1, 1, ints("kernel_shape", 3, 3), ints("strides", 2, 2),
                ints("pads", 1, 1, 1, 1)), 1, 0, x);
            compare(KernelHarness.node("MaxPool", 1, 1, ints("kernel_shape", 2, 2), ints("strides", 2, 2)), 1, 0, x);
            compare(KernelHarness.node("MaxPool", 1, 1, ints("kernel_shape", 3, 2), ints("strides", 1, 1),
                ints("pads", 0, 1, 2, 0)), 1, 0, x);
        }
        // stride 2 × 2 runs on 2 × 2 phase planes: odd sizes, uneven pads; stride 2 × 1 does not
        try (Tensor x = random(2, 3, 13, 9)) {
            compare(KernelHarness.node("MaxPool", 1, 1, ints("kernel_shape", 3, 3), ints("strides", 2, 2),
                ints("pads", 1, 0, 2, 1)), 1, 0, x);
            compare(KernelHarness.node("MaxPool", 1, 1, ints("kernel_shape", 2, 3), ints("strides", 2, 1),
                ints("pads", 1, 1, 0, 1)), 1, 0, x);
            compare(KernelHarness.node("AveragePool", 1, 1, ints("kernel_shape", 3, 3), ints("strides", 2, 2),
                ints("pads", 0, 1, 1, 0), i("count_include_pad", 1)), 1, 1e-6, x);
        }
    }

    @Test
    void separableMaxPoolMatchesTheReferenceExactly() {
        // 3×3 / 2 with a pad of 1 before: 1×1 and 2×2 images, odd and even sides, rows longer than a vector with a
        // tail (37, 40), ResNet-18's 112×112; pads after of 1 and 0
        int[][] sizes = {{1, 1}, {2, 2}, {3, 5}, {17, 40}, {35, 37}, {112, 112}};
        for (int[] hw : sizes) {
            for (int after : new int[] {1, 0}) {
                if (hw[0] + 1 + after < 3 || hw[1] + 1 + after < 3) {
                    continue; // no whole window
                }
                int oh = (hw[0] + 1 + after - 3) / 2 + 1;
                int ow = (hw[1] + 1 + after - 3) / 2 + 1;
                assertTrue(MaxPool3x3Stride2.fits(new dev.sparq.backend.geometry.ConvGeometry2d(1, hw[0], hw[1], 3, 3,
                    2, 2, 1, 1, 1, 1, oh, ow)), java.util.Arrays.toString(hw));
                try (Tensor x = random(2, 3, hw[0], hw[1]); WorkerPool pool = new WorkerPool(2)) {
                    Node node = KernelHarness.node("MaxPool", 1, 1, ints("kernel_shape", 3, 3), ints("strides", 2, 2),
                        ints("pads", 1, 1, after, after));
                    Tensor want = KernelHarness.run(REF, node, 13, 1, x)[0];
                    Tensor got = KernelHarness.run(SIMD, node, 13, 1, ExecutionContext.standalone(2, pool), x)[0];
                    assertArrayEquals(want.toFloatArray(), got.toFloatArray(), node + " " + java.util.Arrays.toString(hw));
                    want.close();
                    got.close();
                }
            }
        }
        // windows whose centre falls past the input take the general path
        assertFalse(MaxPool3x3Stride2.fits(new dev.sparq.backend.geometry.ConvGeometry2d(1, 4, 4, 3, 3, 2, 2, 1, 1, 1,
            1, 3, 3)));
    }

    @Test
    void elementwiseOpsSplitOverThreadsMatchTheReference() {
        // long single rows (same shapes, a scalar operand) are split into per-thread ranges; odd sizes leave tails
        try (Tensor a = random(3, 11, 997); Tensor b = random(3, 11, 997); Tensor s = random(1);
             WorkerPool pool = new WorkerPool(3)) {
            for (Node node : new Node[] {KernelHarness.node("Add", 2, 1), KernelHarness.node("Mul", 2, 1),
                KernelHarness.node("Relu", 1, 1)}) {
                for (Tensor other : new Tensor[] {b, s}) {
                    Tensor[] in = node.opType().equals("Relu") ? new Tensor[] {a} : new Tensor[] {a, other};
                    Tensor want = KernelHarness.run(REF, node, 13, in.length, in)[0];
                    Tensor got = KernelHarness.run(SIMD, node, 13, in.length, ExecutionContext.standalone(3, pool),
                        in)[0];
                    assertClose(want, got, 1e-6, node + " on 3 threads");
                    want.close();
                    got.close();
                }
            }
        }
    }

    @Test
    void broadcastingArithmetic() {
        long[][][] shapes = {{{2, 3, 5, 7}, {2, 3, 5, 7}}, {{2, 3, 5, 7}, {3, 1, 1}}, {{4, 33}, {33}}, {{1}, {6, 5}},
            {{3, 1, 17}, {1, 4, 1}}, {{2, 3, 4}, {}}, {{7}, {7}}};
        for (long[][] sh : shapes) {
            try (Tensor a = random(sh[0]); Tensor b = random(sh[1])) {
                for (String op : new String[] {"Add", "Sub", "Mul", "Div"}) {
                    compare(KernelHarness.node(op, 2, 1), 2, 1e-6, a, b);
                    compare(KernelHarness.node(op, 2, 1), 2, 1e-6, b, a);
                }
            }
        }
    }

    @Test
    void softmaxLayerNormAndAveragePool() {
        try (Tensor x = random(3, 5, 37); Tensor big = random(2, 1000)) {
            compare(KernelHarness.node("Softmax", 1, 1), 1, 1e-5, x);
            compare(KernelHarness.node("Softmax", 1, 1, i("axis", 1)), 1, 1e-5, big);
        }
        try (Tensor x = random(2, 7, 40); Tensor scale = random(40); Tensor bias = random(40); Tensor s2 = random(7, 40);
             Tensor b2 = random(7, 40)) {
            Node ln = KernelHarness.node("LayerNormalization", 3, 1, f("epsilon", 1e-5f));
            Tensor want = KernelHarness.run(REF, ln, 17, 1, x, scale, bias)[0];
            Tensor got = KernelHarness.run(SIMD, ln, 17, 1, x, scale, bias)[0];
            assertClose(want, got, 1e-5, "LayerNormalization");
            Node ln2 = KernelHarness.node("LayerNormalization", 3, 1, i("axis", 1));
            Tensor want2 = KernelHarness.run(REF, ln2, 17, 1, x, s2, b2)[0];
            Tensor got2 = KernelHarness.run(SIMD, ln2, 17, 1, x, s2, b2)[0];
            assertClose(want2, got2, 1e-5, "LayerNormalization axis 1");
            for (Tensor t : new Tensor[] {want, got, want2, got2}) {
                t.close();
            }
        }
        try (Tensor x = random(1, 3, 11, 12)) {
            for (int include : new int[] {0, 1}) {
                compare(KernelHarness.node("AveragePool", 1, 1, ints("kernel_shape", 3, 3), ints("strides", 2, 2),
                    ints("pads", 1, 1, 1, 1), i("count_include_pad", include)), 1, 1e-6, x);
                compare(KernelHarness.node("AveragePool", 1, 1, ints("kernel_shape", 2, 3), ints("pads", 0, 2, 1, 0),
                    i("count_include_pad", include)), 1, 1e-6, x);
            }
        }
    }

    /** Reductions and exp must round the same before and after the JIT compiles them (the first run is interpreted). */
    @Test
    void resultsDoNotChangeAsTheJitWarmsUp() {
        try (Tensor x = random(1, 777); Tensor y = Tensor.allocate(DType.F32, 1, 777)) {
            SimdOps ops = SimdOps.get();
            float firstSum = ops.sum(x.segment(), 0, 777);
            ops.softmax(x.segment(), y.segment(), 0, 777);
            float[] firstSoftmax = y.toFloatArray();
            for (int i = 0; i < 30_000; i++) {
                assertEquals(firstSum, ops.sum(x.segment(), 0, 777), 0f, "sum at call " + i);
                if (i % 10 == 9) {
                    ops.softmax(x.segment(), y.segment(), 0, 777);
                    assertArrayEquals(firstSoftmax, y.toFloatArray(), "softmax at call " + i);
                }
            }
        }
    }

    @Test
    void oneAndManyThreadsGiveIdenticalBits() {
        int[][] convs = {{16, 30, 40, 3, 1}, {512, 7, 512, 3, 1}, {3, 56, 64, 7, 2}, {64, 14, 128, 1, 2}};
        for (int[] c : convs) {
            Node conv = KernelHarness.node("Conv", 3, 1, ints("pads", c[3] / 2, c[3] / 2, c[3] / 2, c[3] / 2),
                ints("strides", c[4], c[4]));
            try (Tensor x = random(1, c[0], c[1], c[1]); Tensor w = random(c[2], c[0], c[3], c[3]); Tensor b = random(c[2]);
                 WorkerPool pool = new WorkerPool(3)) {
                Tensor one = KernelHarness.run(SIMD, conv, 13, 1, ExecutionContext.standalone(), x, w, b)[0];
                Tensor many = KernelHarness.run(SIMD, conv, 13, 1, ExecutionContext.standalone(3, pool), x, w, b)[0];
                assertArrayEquals(one.toFloatArray(), many.toFloatArray(), java.util.Arrays.toString(c));
                one.close();
                many.close();
            }
        }
        try (Tensor a = random(1, 512); Tensor w = random(1000, 512); Tensor b = random(1000);
             WorkerPool pool = new WorkerPool(2)) {
            Node gemm = KernelHarness.node("Gemm", 3, 1, i("transB", 1));
            Tensor one = KernelHarness.run(SIMD, gemm, 13, 1, ExecutionContext.standalone(), a, w, b)[0];
            Tensor many = KernelHarness.run(SIMD, gemm, 13, 1, ExecutionContext.standalone(2, pool), a, w, b)[0];
            assertArrayEquals(one.toFloatArray(), many.toFloatArray(), "Gemm");
            one.close();
            many.close();
        }
    }

    @Test
    void everyMicroKernelAgreesWithTheScalarOne() {
        // The vector width in use is fixed per JVM (-Dsparq.simd); the build runs this class once per width.
        List<MicroKernel> kernels = new ArrayList<>(List.of(new ScalarMicroKernel(), MicroKernel.get()));
        if (MicroKernel.narrow() != null) {
            kernels.add(MicroKernel.narrow());
        }
        for (MicroKernel mk : kernels) {
            int nr = mk.nr();
            int mr = mk.mr();
            int kc = 37;
            float[] a = new float[kc * mr];
            float[] b = new float[kc * nr];
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) rnd.nextGaussian();
            }
            for (int i = 0; i < b.length; i++) {
                b[i] = (float) rnd.nextGaussian();
            }
            float[] rowBias = new float[mr];
            for (int i = 0; i < mr; i++) {
                rowBias[i] = i + 1;
            }
            // edge tiles (rows < mr, cols < nr) go through the tile buffer; full tiles without epilogue are stored
            // straight from registers, overwriting or adding to C
            Epilogue clamp = new Epilogue(rowBias, null, -1f, 1.5f);
            float[] colBias = new float[nr];
            for (int j = 0; j < nr; j++) {
                colBias[j] = 0.5f * j - 1f;
            }
            Epilogue columns = new Epilogue(null, colBias, -0.5f, Float.POSITIVE_INFINITY);
            // Relu6 without a bias, and bounds of a sign a compare-and-blend cannot honour (Epilogue#blendsMin)
            Epilogue relu6 = new Epilogue(null, null, 0f, 6f);
            Epilogue signedZeros = new Epilogue(null, colBias, -0.0f, 0.0f);
            // NaN and infinities in two rows of A: they reach the epilogue as NaN and ±inf sums
            float[] special = a.clone();
            for (int k = 0; k < kc; k++) {
                special[k * mr + 1] = k == 5 ? Float.NaN : special[k * mr + 1];
                special[k * mr + 2] = k == 7 ? Float.POSITIVE_INFINITY : special[k * mr + 2];
                special[k * mr + 3] = k == 9 ? Float.NEGATIVE_INFINITY : special[k * mr + 3];
            }
            for (int rows : new int[] {mr - 3, mr}) {
                for (int cols : new int[] {1, nr / 2 + 1, nr}) {
                    for (Epilogue ep : new Epilogue[] {relu6, signedZeros}) {
                        for (boolean accumulate : new boolean[] {false, true}) {
                            checkTile(mk, kc, special, b, rows, cols, ep, accumulate);
                        }
                    }
                    for (Epilogue ep : new Epilogue[] {clamp, columns, relu6, null}) {
                        for (boolean accumulate : new boolean[] {false, true}) {
                            checkTile(mk, kc, a, b, rows, cols, ep, accumulate);
                        }
                    }
                }
            }
        }
    }

    private static void checkTile(MicroKernel mk, int kc, float[] a, float[] b, int rows, int cols, Epilogue ep,
                                  boolean accumulate) {
        int mr = mk.mr();
        int nr = mk.nr();
        int ldc = nr + 3;
        // with and without reading a panel ahead (here the tile's own A panel, from its start): the same sums
        for (int ahead : new int[] {-1, 0}) {
            try (Tensor c = Tensor.allocate(DType.F32, mr, ldc)) {
                for (int i = 0; i < mr * ldc; i++) {
                    c.setFloat(i, 0.25f * (i % 7) - 0.5f);
                }
                mk.run(kc, a, 0, b, 0, c.segment(), 0, ldc, rows, cols, accumulate, ep, 0, 0, ahead);
                for (int r = 0; r < mr; r++) {
                    for (int j = 0; j < ldc; j++) {
                        int i = r * ldc + j;
                        float want = 0.25f * (i % 7) - 0.5f;
                        if (r < rows && j < cols) {
                            float sum = 0;
                            for (int k = 0; k < kc; k++) {
                                sum = Math.fma(a[k * mr + r], b[k * nr + j], sum);
                            }
                            want = accumulate ? sum + want : sum;
                            want = ep == null ? want : ep.apply(want, r, j);
                        }
                        float got = c.getFloat(i);
                        assertEquals(Float.floatToIntBits(want), Float.floatToIntBits(got), mk + " rows" + rows
                            + " cols" + cols + " ep" + ep + " acc" + accumulate + " ahead" + ahead + " r" + r + " j" + j
                            + ": " + want + " vs " + got);
                    }
                }
            }
        }
    }
}
