package dev.sparq.backend.cpu.simd;

import static dev.sparq.testing.KernelHarness.ints;
import static dev.sparq.testing.KernelHarness.node;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparq.backend.Backend;
import dev.sparq.backend.Kernel;
import dev.sparq.backend.KernelRequest;
import dev.sparq.backend.cpu.ref.CpuRefBackend;
import dev.sparq.backend.tuning.KernelTuner;
import dev.sparq.graph.Node;
import dev.sparq.graph.ValueType;
import dev.sparq.sparse.SparseInt8Rows;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import dev.sparq.testing.KernelHarness;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** cpu-simd's sparse QLinearConv / QLinearMatMul: the integers of cpu-ref at several densities, and the choice. */
class SparseIntKernelsTest {
    private static final Backend SIMD = new SimdBackend();
    private static final Backend REF = new CpuRefBackend();
    private final Random rnd = new Random(3);

    private Tensor bytes(DType t, long... shape) {
        byte[] v = new byte[(int) dev.sparq.tensor.Shapes.size(shape)];
        rnd.nextBytes(v);
        return Tensor.fromBytes(t, v, shape);
    }

    /** 8-bit weights equal to {@code zero} except about {@code density} of them. */
    private Tensor pruned(DType t, int zero, double density, long... shape) {
        byte[] v = new byte[(int) dev.sparq.tensor.Shapes.size(shape)];
        for (int i = 0; i < v.length; i++) {
            int off = rnd.nextInt(100) + 1; // centered values stay within 8 bits
            v[i] = (byte) (rnd.nextDouble() < density ? zero + (rnd.nextBoolean() ? off : -off) : zero);
        }
        return Tensor.fromBytes(t, v, shape);
    }

    private static Tensor f32(float... v) {
        return Tensor.fromFloats(v, v.length == 1 ? new long[0] : new long[] {v.length});
    }

    private static Tensor scalar(DType t, int v) {
        return Tensor.fromBytes(t, new byte[] {(byte) v});
    }

    /** Runs n on cpu-simd with {@code kernel} forced and on cpu-ref: same integers. */
    private static void same(String kernel, Node n, Tensor... in) {
        Tensor want = KernelHarness.run(REF, n, 13, 1, in)[0];
        Tensor got;
        try (KernelTuner.Scope ignored = KernelTuner.use(Tuners.forcing(kernel))) {
            got = KernelHarness.run(SIMD, n, 13, 1, in)[0];
        }
        assertEquals(want.dtype(), got.dtype());
        assertArrayEquals(want.shape(), got.shape());
        assertArrayEquals(want.toLongArray(), got.toLongArray(), kernel + " " + n);
        want.close();
        got.close();
    }

    @Test
    void sparseConvolutionMatchesTheReference() {
        // c, h, w, cout, k, stride, pad, dilation
        int[][] cases = {{1, 5, 5, 1, 1, 1, 0, 1}, {3, 9, 11, 8, 3, 1, 1, 1}, {4, 12, 12, 5, 3, 2, 1, 1},
            {2, 10, 9, 7, 5, 1, 2, 2}, {16, 7, 7, 33, 1, 1, 0, 1}, {3, 23, 21, 8, 7, 2, 3, 1},
            {64, 14, 14, 24, 3, 1, 1, 1}, {67, 1, 1, 13, 1, 1, 0, 1}, {5, 30, 29, 9, 1, 2, 0, 1}};
        for (int[] c : cases) {
            for (double d : new double[] {0, 0.05, 0.1, 0.4}) {
                Node n = node("QLinearConv", 9, 1, ints("strides", c[5], c[5]), ints("pads", c[6], c[6], c[6], c[6]),
                    ints("dilations", c[7], c[7]));
                float[] wScale = new float[c[3]];
                int[] bias = new int[c[3]];
                for (int i = 0; i < c[3]; i++) {
                    wScale[i] = 0.002f + rnd.nextFloat() * 0.01f;
                    bias[i] = rnd.nextInt(2001) - 1000;
                }
                try (Tensor xu = bytes(DType.U8, 2, c[0], c[1], c[2]); Tensor xs = bytes(DType.I8, 1, c[0], c[1], c[2]);
                     Tensor w = pruned(DType.I8, 0, d, c[3], c[0], c[4], c[4]); Tensor b = Tensor.fromInts(bias, c[3])) {
                    same("sparse-int8", n, xu, f32(0.03f), scalar(DType.U8, 77), w, f32(wScale), scalar(DType.I8, 0),
                        f32(0.07f), scalar(DType.U8, 120), b);
                    same("sparse-int8", n, xs, f32(0.03f), scalar(DType.I8, -77), w, f32(0.004f), scalar(DType.I8, 0),
                        f32(0.2f), scalar(DType.I8, 3), null);
                }
            }
        }
    }

    @Test
    void sparseMatMulMatchesTheReference() {
        int[][] shapes = {{1, 1, 1}, {5, 17, 33}, {64, 64, 64}, {3, 300, 10}, {1, 512, 100}};
        for (int[] s : shapes) {
            for (double d : new double[] {0, 0.05, 0.1, 0.4}) {
                float[] perCol = new float[s[2]];
                for (int i = 0; i < perCol.length; i++) {
                    perCol[i] = 0.001f + rnd.nextFloat() * 0.01f;
                }
                Node n = node("QLinearMatMul", 8, 1);
                try (Tensor a = bytes(DType.U8, s[0], s[1]); Tensor sa = bytes(DType.I8, s[0], s[1]);
                     Tensor b = pruned(DType.I8, 0, d, s[1], s[2]); Tensor bu = pruned(DType.U8, 128, d, s[1], s[2])) {
                    same("sparse-int8", n, a, f32(0.02f), scalar(DType.U8, 131), b, f32(perCol), scalar(DType.I8, 0),
                        f32(0.05f), scalar(DType.U8, 128));
                    same("sparse-int8", n, sa, f32(0.02f), scalar(DType.I8, -128), b, f32(0.01f), scalar(DType.I8, 0),
                        f32(0.3f), scalar(DType.I8, -3));
                    // uint8 weights pruned to their zero point 128
                    same("sparse-int8", n, a, f32(0.02f), scalar(DType.U8, 3), bu, f32(perCol), scalar(DType.U8, 128),
                        f32(0.05f), scalar(DType.U8, 7));
                }
            }
        }
    }

    @Test
    void denseAndSparseAreBothOfferedAndTheTimingDecides() {
        Node n = node("QLinearMatMul", 8, 1);
        try (Tensor b = pruned(DType.I8, 0, 0.1, 64, 32); Arena arena = Arena.ofConfined()) {
            Map<String, Tensor> constants = new java.util.HashMap<>(Map.of("x1", f32(0.02f), "x2", scalar(DType.U8, 1),
                "x3", b, "x4", f32(0.01f), "x5", scalar(DType.I8, 0), "x6", f32(0.05f), "x7", scalar(DType.U8, 128)));
            KernelRequest r = new KernelRequest(n, 13, constants, Map.of("x0", ValueType.tensor(DType.U8, 4, 64)), arena);
            List<String> offered = new ArrayList<>();
            try (KernelTuner.Scope ignored = KernelTuner.use(Tuners.recording(offered))) {
                Kernel k = SIMD.kernelFor(r).orElseThrow();
                assertEquals(List.of("dense-int8", "sparse-int8"), offered);
                assertTrue(k.describe().startsWith("dense-int8: "), k.describe());
            }
            try (KernelTuner.Scope ignored = KernelTuner.use(Tuners.forcing("sparse-int8"))) {
                Kernel k = SIMD.kernelFor(r).orElseThrow();
                assertTrue(k.describe().startsWith("sparse-int8: ") && k.describe().contains("% zeros]"), k.describe());
                // ~10% of 64 x 32 weights, one byte and a 16-bit index each, plus row starts and multipliers
                assertTrue(k.packedWeightBytes() < 64 * 32 / 2, k.packedWeightBytes() + " bytes");
            }
        }
    }

    @Test
    void theFormatKeepsEveryNonzeroInOrder() {
        int[] dense = {0, 3, 0, -128, 127, 0, 0, 0, 0, 0, 0, 1};
        SparseInt8Rows w = SparseInt8Rows.of(dense, 3, 4);
        assertEquals(4, w.nonzeros());
        assertEquals(List.of(1, 3, 0, 3), List.of(w.index(0), w.index(1), w.index(2), w.index(3)));
        assertEquals(List.of(3, -128, 127, 1), List.of(w.value(0), w.value(1), w.value(2), w.value(3)));
        assertEquals(List.of(0, 2, 3, 4), List.of(w.rowStart(0), w.rowStart(1), w.rowStart(2), w.rowStart(3)));
        assertEquals(4 + 2 * 4 + 4 * 4, w.packedBytes());
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
            () -> SparseInt8Rows.of(new int[] {200}, 1, 1));
    }
}
