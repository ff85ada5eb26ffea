package dev.sparq.nativecpu;

import static dev.sparq.testing.KernelHarness.ints;
import static dev.sparq.testing.KernelHarness.node;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sparq.SessionOptions;
import dev.sparq.backend.Backend;
import dev.sparq.backend.cpu.ref.CpuRefBackend;
import dev.sparq.conformance.ConformanceRunner;
import dev.sparq.conformance.Tolerance;
import dev.sparq.graph.ClampedQuantizedOp;
import dev.sparq.graph.Node;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import dev.sparq.testing.KernelHarness;
import dev.sparq.testing.SharedData;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** QLinearMatMul / QLinearConv on cpu-native: the same integers as cpu-ref, on awkward shapes. */
class QLinearKernelsTest {
    private static final Backend REF = new CpuRefBackend();
    private static final Backend NATIVE = new CpuNativeBackend();
    private final Random rnd = new Random(11);

    @BeforeEach
    void requireCompiler() {
        org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.Files.exists(java.nio.file.Path.of("/usr/bin/gcc")),
            "no C compiler at build time: the native library was not built");
    }

    /** When set, int8 tensors hold "7-bit" values in [-64, 64] (reduce_range weights: AVX2 then takes vpmaddubsw). */
    private boolean sevenBit;

    private Tensor bytes(DType t, long... shape) {
        byte[] v = new byte[(int) dev.sparq.tensor.Shapes.size(shape)];
        rnd.nextBytes(v);
        if (sevenBit && t == DType.I8) {
            for (int i = 0; i < v.length; i++) {
                v[i] = (byte) (rnd.nextInt(129) - 64);
            }
        }
        return Tensor.fromBytes(t, v, shape);
    }

    private static Tensor f32(float... v) {
        return Tensor.fromFloats(v, v.length == 1 ? new long[0] : new long[] {v.length});
    }

    private static Tensor u8(int v) {
        return Tensor.fromBytes(DType.U8, new byte[] {(byte) v});
    }

    private static Tensor i8(int v) {
        return Tensor.fromBytes(DType.I8, new byte[] {(byte) v});
    }

    private static void same(Node n, int firstConstant, Tensor... in) {
        Tensor want = KernelHarness.run(REF, n, 13, firstConstant, in)[0];
        Tensor got = KernelHarness.run(NATIVE, n, 13, firstConstant, in)[0];
        assertEquals(want.dtype(), got.dtype());
        assertArrayEquals(want.shape(), got.shape());
        if (want.dtype() == DType.F32) {
            assertArrayEquals(want.toFloatArray(), got.toFloatArray(), n.toString());
        } else {
            assertArrayEquals(want.toLongArray(), got.toLongArray(), n.toString());
        }
        want.close();
        got.close();
    }

    /** Runs {@code body} per int8 GEMM path this CPU has (each has its own fused requantization epilogue), with
        full-range and with 7-bit int8 values (AVX2's vpmaddubsw tile only runs on the latter). */
    private void onEveryGemmPath(Runnable body) {
        CpuKernels k = CpuKernels.get();
        String original = k.gemmPath();
        int ran = 0;
        try {
            for (String path : new String[] {"avx512-vnni", "avx-vnni", "avx2", "avx2-widen", "avx2-maddubs",
                "neon-dotprod", "neon", "scalar"}) {
                if (k.forceGemmPath(path)) {
                    for (boolean seven : new boolean[] {false, true}) {
                        sevenBit = seven;
                        body.run();
                    }
                    ran++;
                }
            }
        } finally {
            sevenBit = false;
            k.forceGemmPath(original);
        }
        assertEquals(true, ran >= 2, "scalar and at least one vector path");
    }

    @Test
    void qlinearMatMulMatchesTheReference() {
        onEveryGemmPath(this::qlinearMatMulShapes);
    }

    private void qlinearMatMulShapes() {
        // m, k, n: M = 1, K not a multiple of 4, N not a multiple of 32, more rows than one 48-row block
        int[][] shapes = {{1, 1, 1}, {5, 17, 33}, {64, 64, 64}, {3, 300, 10}, {1, 7, 45}, {49, 130, 65}, {1, 512, 1000}};
        for (int[] s : shapes) {
            float[] perCol = new float[s[2]];
            for (int i = 0; i < perCol.length; i++) {
                perCol[i] = 0.001f + rnd.nextFloat() * 0.01f;
            }
            for (boolean signedOut : new boolean[] {false, true}) {
                try (Tensor a = bytes(DType.U8, s[0], s[1]); Tensor b = bytes(DType.I8, s[1], s[2]);
                     Tensor sa = bytes(DType.I8, s[0], s[1])) {
                    same(node("QLinearMatMul", 8, 1), 1, a, f32(0.02f), u8(131), b, f32(perCol), i8(0), f32(0.05f),
                        signedOut ? i8(-3) : u8(128));
                    // int8 activations (the calibrator's default scheme), zero points at both ends
                    same(node("QLinearMatMul", 8, 1), 1, sa, f32(0.02f), i8(-128), b, f32(perCol), i8(0), f32(0.05f),
                        signedOut ? i8(0) : u8(0));
                    // a fused Relu before an int8 output, and a Clip's band before a uint8 one
                    same(clamped(node("QLinearMatMul", 8, 1), signedOut ? 0 : 3, signedOut ? 127 : 40), 1, sa,
                        f32(0.02f), i8(-128), b, f32(perCol), i8(0), f32(0.05f), signedOut ? i8(0) : u8(0));
                    same(node("QLinearMatMul", 8, 1), 1, sa, f32(0.02f), i8(127), b, f32(0.01f), i8(0), f32(0.3f),
                        signedOut ? i8(-128) : u8(255));
                }
            }
        }
    }

    /**
     * Runs {@code body} once per fused-convolution path this CPU has ("scalar" means the im2col + GEMM route;
     * "avx512-vbmi" adds the byte-permute depthwise kernel to VNNI; "amx" runs dense layers of 16 or more input
     * channels on tiles, the rest as avx512-vbmi).
     */
    private static void onEveryConvPath(Runnable body) {
        onConvPaths(body, "amx", "avx512-vbmi", "avx512-vnni", "scalar");
    }

    private static void onConvPaths(Runnable body, String... paths) {
        CpuKernels k = CpuKernels.get();
        String original = k.convPath();
        try {
            for (String path : paths) {
                if (k.forceConvPath(path)) {
                    body.run();
                }
            }
        } finally {
            k.forceConvPath(original);
        }
    }

    @Test
    void qlinearConvMatchesTheReference() {
        // c, h, w, cout, k, stride, pad, dilation
        int[][] cases = {{1, 5, 5, 1, 1, 1, 0, 1}, {3, 9, 11, 8, 3, 1, 1, 1}, {4, 12, 12, 5, 3, 2, 1, 1},
            {2, 10, 9, 7, 5, 1, 2, 2}, {16, 7, 7, 33, 1, 1, 0, 1}, {3, 23, 21, 8, 7, 2, 3, 1},
            {64, 14, 14, 24, 3, 1, 1, 1}, {9, 13, 17, 16, 1, 2, 0, 1}, {3, 32, 32, 17, 7, 2, 3, 1},
            {128, 9, 11, 40, 3, 2, 1, 1}, {64, 7, 7, 64, 1, 1, 0, 1},
            // AMX steps of fewer than 64 input channels, and a zero-padded last step
            {16, 12, 12, 40, 1, 1, 0, 1}, {24, 9, 8, 33, 3, 2, 1, 1}, {100, 7, 9, 40, 3, 1, 1, 1}};
        onEveryConvPath(() -> {
            for (int[] c : cases) {
                conv(c, 1);
            }
        });
    }

    @Test
    void depthwiseQlinearConvMatchesTheReference() {
        org.junit.jupiter.api.Assumptions.assumeTrue(FusedConvKernel.available(), "no fused convolution path here");
        // c, h, w, (cout = c), k, stride, pad, dilation
        int[][] cases = {{1, 5, 5, 1, 3, 1, 1, 1}, {19, 9, 11, 19, 3, 1, 1, 1}, {32, 12, 12, 32, 3, 2, 1, 1},
            {5, 10, 9, 5, 5, 1, 2, 2}, {7, 17, 16, 7, 3, 2, 0, 1}, {3, 40, 38, 3, 3, 1, 1, 1},
            // byte-permute path: rows packed two to a vector, 16-lane segments with tails, stride 3, 4 taps a row
            {6, 7, 7, 6, 3, 1, 1, 1}, {8, 14, 14, 8, 3, 2, 1, 1}, {4, 56, 56, 4, 3, 1, 1, 1},
            {3, 66, 70, 3, 3, 2, 1, 1}, {3, 20, 50, 3, 3, 3, 1, 1}, {2, 11, 37, 2, 4, 2, 1, 1}};
        // the im2col route ("scalar") takes no depthwise layers
        onConvPaths(() -> {
            for (int[] c : cases) {
                conv(c, c[0]);
            }
        }, "amx", "avx512-vbmi", "avx512-vnni");
    }

    private void conv(int[] c, int group) {
        int cinPerGroup = c[0] / group;
        float[] wScale = new float[c[3]];
        int[] bias = new int[c[3]];
        for (int i = 0; i < c[3]; i++) {
            wScale[i] = 0.002f + rnd.nextFloat() * 0.01f;
            bias[i] = rnd.nextInt(2001) - 1000;
        }
        Node n = node("QLinearConv", 9, 1, ints("strides", c[5], c[5]), ints("pads", c[6], c[6], c[6], c[6]),
            ints("dilations", c[7], c[7]),
            new dev.sparq.graph.Attribute("group", dev.sparq.graph.Attribute.Type.INT, (long) group));
        try (Tensor x = bytes(DType.U8, 2, c[0], c[1], c[2]); Tensor w = bytes(DType.I8, c[3], cinPerGroup, c[4], c[4]);
             Tensor b = Tensor.fromInts(bias, c[3])) {
            same(n, 1, x, f32(0.03f), u8(77), w, f32(wScale), i8(0), f32(0.07f), u8(120), b);
            // a fused Relu: the output clamped at its zero point
            same(clamped(n, 120, 255), 1, x, f32(0.03f), u8(77), w, f32(wScale), i8(0), f32(0.07f), u8(120), b);
            same(n, 1, x, f32(0.03f), u8(0), w, f32(0.004f), i8(0), f32(0.2f), i8(5), null);
        }
        try (Tensor x = bytes(DType.I8, 2, c[0], c[1], c[2]); Tensor w = bytes(DType.I8, c[3], cinPerGroup, c[4], c[4]);
             Tensor b = Tensor.fromInts(bias, c[3])) {
            // int8 activations: the padding must contribute the (shifted) zero point, i.e. nothing
            same(n, 1, x, f32(0.03f), i8(0), w, f32(wScale), i8(0), f32(0.07f), i8(0), b);
            // int8 symmetric output after a Relu (what sparq's calibration makes), and a Clip's band
            same(clamped(n, 0, 127), 1, x, f32(0.03f), i8(0), w, f32(wScale), i8(0), f32(0.07f), i8(0), b);
            same(clamped(n, -9, 17), 1, x, f32(0.03f), i8(0), w, f32(wScale), i8(0), f32(0.07f), i8(0), b);
            same(n, 1, x, f32(0.03f), i8(-77), w, f32(0.004f), i8(0), f32(0.2f), u8(3), null);
        }
    }

    /** {@code n} with a Relu / Clip on its quantized output fused in. */
    static Node clamped(Node n, int min, int max) {
        return ClampedQuantizedOp.clamped(n, min, max, n.outputs().get(0));
    }

    @Test
    void groupedConvolutionIsLeftToOtherBackends() {
        Node n = node("QLinearConv", 9, 1, new dev.sparq.graph.Attribute("group", dev.sparq.graph.Attribute.Type.INT, 2L));
        try (Tensor x = bytes(DType.U8, 1, 4, 5, 5); Tensor w = bytes(DType.I8, 4, 2, 3, 3)) {
            // the harness reports a backend that declines the node as "has no kernel"
            AssertionError e = org.junit.jupiter.api.Assertions.assertThrows(AssertionError.class,
                () -> KernelHarness.run(NATIVE, n, 13, 1, x, f32(0.03f), u8(7), w, f32(0.01f), i8(0), f32(0.07f), u8(1)));
            org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("has no kernel"), e.getMessage());
        }
    }

    private static Node qgemm(boolean transB) {
        java.util.List<String> in = new java.util.ArrayList<>();
        for (int i = 0; i < 9; i++) {
            in.add("x" + i);
        }
        return new Node("qgemm", "QGemm", "com.microsoft", in, java.util.List.of("y0"), java.util.Map.of("transB",
            new dev.sparq.graph.Attribute("transB", dev.sparq.graph.Attribute.Type.INT, transB ? 1L : 0L)));
    }

    @Test
    void qgemmMatchesTheReference() {
        onEveryGemmPath(this::qgemmShapes);
    }

    private void qgemmShapes() {
        int[][] shapes = {{1, 1, 1}, {1, 512, 10}, {3, 64, 256}, {5, 17, 33}, {50, 31, 70}, {1, 1280, 1000}};
        for (int[] s : shapes) {
            float[] perCol = new float[s[2]];
            int[] bias = new int[s[2]];
            for (int i = 0; i < perCol.length; i++) {
                perCol[i] = 0.001f + rnd.nextFloat() * 0.01f;
                bias[i] = rnd.nextInt(20001) - 10000;
            }
            for (boolean transB : new boolean[] {false, true}) {
                long[] bShape = transB ? new long[] {s[2], s[1]} : new long[] {s[1], s[2]};
                try (Tensor a = bytes(DType.U8, s[0], s[1]); Tensor sa = bytes(DType.I8, s[0], s[1]);
                     Tensor b = bytes(DType.I8, bShape); Tensor c = Tensor.fromInts(bias, s[2])) {
                    same(qgemm(transB), 1, a, f32(0.02f), u8(131), b, f32(perCol), i8(0), c, f32(0.05f), u8(128));
                    same(qgemm(transB), 1, sa, f32(0.02f), i8(-5), b, f32(0.004f), i8(0), c, f32(0.05f), i8(3));
                    same(clamped(qgemm(transB), 3, 127), 1, sa, f32(0.02f), i8(-5), b, f32(0.004f), i8(0), c,
                        f32(0.05f), i8(3));
                    same(qgemm(transB), 1, sa, f32(0.02f), i8(0), b, f32(perCol), i8(0), null, f32(0.5f), null);
                    // without y_scale the output is float32: the int32 sum (+ C) times a_scale · b_scale[n]
                    same(qgemm(transB), 1, a, f32(0.02f), u8(131), b, f32(perCol), i8(0), c, null, null);
                    same(qgemm(transB), 1, sa, f32(0.03f), i8(-7), b, f32(0.004f), null, null, null, null);
                }
            }
        }
    }

    @Test
    void onnxNodeTestsForIntegerOpsPassWithCpuNativeFirst() throws Exception {
        ConformanceRunner runner = new ConformanceRunner(SessionOptions.builder().backend("cpu-native").threads(2).build(),
            Tolerance.ONNX_DEFAULT);
        for (String t : new String[] {"test_qlinearconv", "test_qlinearmatmul_2D", "test_qlinearmatmul_3D", "test_matmulinteger"}) {
            Path dir = SharedData.nodeTests().resolve(t);
            ConformanceRunner.Outcome o = runner.runOne(dir);
            assertEquals(ConformanceRunner.Status.PASSED, o.status(), t + ": " + o.detail());
        }
    }

}
