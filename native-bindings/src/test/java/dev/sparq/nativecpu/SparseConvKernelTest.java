package dev.sparq.nativecpu;

import static dev.sparq.testing.KernelHarness.ints;
import static dev.sparq.testing.KernelHarness.node;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparq.backend.Availability;
import dev.sparq.backend.Backend;
import dev.sparq.backend.ExecutionContext;
import dev.sparq.backend.Kernel;
import dev.sparq.backend.KernelRequest;
import dev.sparq.backend.WorkerPool;
import dev.sparq.backend.cpu.ref.CpuRefBackend;
import dev.sparq.backend.tuning.KernelTuner;
import dev.sparq.backend.tuning.TimingCache;
import dev.sparq.graph.Node;
import dev.sparq.graph.ValueType;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import dev.sparq.testing.KernelHarness;
import java.lang.foreign.Arena;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The native sparse QLinearConv: the same integers as cpu-ref at several densities, and its per-layer choice. */
class SparseConvKernelTest {
    private static final Backend REF = new CpuRefBackend();
    /** The sparse kernel alone, whatever the timing would say. */
    private static final Backend SPARSE = new Backend() {
        @Override
        public String id() {
            return "cpu-native-sparse";
        }

        @Override
        public String description() {
            return "test: the sparse int8 convolution only";
        }

        @Override
        public Availability availability() {
            return Availability.available("test");
        }

        @Override
        public Optional<Kernel> kernelFor(KernelRequest r) {
            return Optional.of(switch (r.node().opType()) {
                case "QLinearMatMul" -> SparseMatMulKernel.qlinearMatMul(r);
                case "QGemm" -> SparseMatMulKernel.qgemm(r);
                default -> SparseConvKernel.create(r);
            });
        }
    };
    private final Random rnd = new Random(5);

    @BeforeEach
    void requireCompiler() {
        org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.Files.exists(java.nio.file.Path.of("/usr/bin/gcc")),
            "no C compiler at build time: the native library was not built");
    }

    private Tensor bytes(DType t, long... shape) {
        byte[] v = new byte[(int) dev.sparq.tensor.Shapes.size(shape)];
        rnd.nextBytes(v);
        return Tensor.fromBytes(t, v, shape);
    }

    /** int8 weights with about {@code density} of them nonzero. */
    private Tensor pruned(double density, long... shape) {
        byte[] v = new byte[(int) dev.sparq.tensor.Shapes.size(shape)];
        for (int i = 0; i < v.length; i++) {
            v[i] = rnd.nextDouble() < density ? (byte) (rnd.nextInt(255) - 127 | 1) : 0;
        }
        return Tensor.fromBytes(DType.I8, v, shape);
    }

    private static Tensor f32(float... v) {
        return Tensor.fromFloats(v, v.length == 1 ? new long[0] : new long[] {v.length});
    }

    private static Tensor scalar(DType t, int v) {
        return Tensor.fromBytes(t, new byte[] {(byte) v});
    }

    private static Node conv(int k, int stride, int pad, int dilation) {
        return node("QLinearConv", 9, 1, ints("strides", stride, stride), ints("pads", pad, pad, pad, pad),
            ints("dilations", dilation, dilation), ints("kernel_shape", k, k));
    }

    private static void same(Backend b, Node n, Tensor... in) {
        Tensor want = KernelHarness.run(REF, n, 13, 1, in)[0];
        Tensor got = KernelHarness.run(b, n, 13, 1, in)[0];
        assertEquals(want.dtype(), got.dtype());
        assertArrayEquals(want.shape(), got.shape());
        assertArrayEquals(want.toLongArray(), got.toLongArray(), n.toString());
        want.close();
        got.close();
    }

    @Test
    void matchesTheReferenceOnEveryPathAndDensity() {
        QSparseBindings qs = QSparseBindings.get();
        String original = qs.path();
        // c, h, w, cout, k, stride, pad, dilation
        int[][] cases = {{1, 5, 5, 1, 1, 1, 0, 1}, {3, 9, 11, 8, 3, 1, 1, 1}, {4, 12, 12, 5, 3, 2, 1, 1},
            {2, 10, 9, 7, 5, 1, 2, 2}, {16, 7, 7, 33, 1, 1, 0, 1}, {3, 23, 21, 8, 7, 2, 3, 1},
            {64, 14, 14, 24, 3, 1, 1, 1}, {67, 1, 1, 13, 1, 1, 0, 1}, {130, 6, 5, 17, 3, 1, 1, 1}};
        double[] densities = {0, 0.05, 0.1, 0.4};
        try {
            for (String path : new String[] {"scalar", "avx512-vnni"}) {
                if (!qs.force(path)) {
                    continue;
                }
                for (int[] c : cases) {
                    for (double d : densities) {
                        float[] wScale = new float[c[3]];
                        int[] bias = new int[c[3]];
                        for (int i = 0; i < c[3]; i++) {
                            wScale[i] = 0.002f + rnd.nextFloat() * 0.01f;
                            bias[i] = rnd.nextInt(2001) - 1000;
                        }
                        Node n = conv(c[4], c[5], c[6], c[7]);
                        try (Tensor xu = bytes(DType.U8, 2, c[0], c[1], c[2]); Tensor xs = bytes(DType.I8, 1, c[0], c[1], c[2]);
                             Tensor w = pruned(d, c[3], c[0], c[4], c[4]); Tensor b = Tensor.fromInts(bias, c[3])) {
                            same(SPARSE, n, xu, f32(0.03f), scalar(DType.U8, 77), w, f32(wScale), scalar(DType.I8, 0),
                                f32(0.07f), scalar(DType.U8, 120), b);
                            // int8 activations: the padding must contribute the (shifted) zero point, i.e. nothing
                            same(SPARSE, n, xs, f32(0.03f), scalar(DType.I8, -77), w, f32(0.004f), scalar(DType.I8, 0),
                                f32(0.2f), scalar(DType.I8, 3), null);
                            // a fused Relu before an int8 output
                            same(SPARSE, QLinearKernelsTest.clamped(n, 3, 127), xs, f32(0.03f), scalar(DType.I8, -77), w,
                                f32(0.004f), scalar(DType.I8, 0), f32(0.2f), scalar(DType.I8, 3), null);
                        }
                    }
                }
            }
        } finally {
            qs.force(original);
        }
    }

    @Test
    void twoAndThreeThreadsGiveTheSameBytesAsOne() {
        // big enough that the kernel takes every thread offered: the input fill is split by plane, the compute by
        // output channel (cout 64) or, with few channels, by pixel tile (cout 9)
        int[][] cases = {{64, 28, 28, 64, 3, 1}, {3, 224, 224, 9, 7, 2}, {20, 60, 60, 64, 3, 2}};
        for (int[] c : cases) {
            Node n = conv(c[4], c[5], c[4] / 2, 1);
            try (Arena shared = Arena.ofShared(); Tensor x = bytes(DType.U8, 1, c[0], c[1], c[2]);
                 Tensor w = pruned(0.1, c[3], c[0], c[4], c[4])) {
                Tensor[] in = {x, f32(0.03f), scalar(DType.U8, 77), w, f32(0.004f), scalar(DType.I8, 0), f32(0.07f),
                    scalar(DType.U8, 120)};
                Tensor want = KernelHarness.run(REF, n, 13, 1, in)[0];
                Map<String, Tensor> constants = new java.util.HashMap<>();
                for (int i = 1; i < in.length; i++) {
                    constants.put("x" + i, in[i]);
                }
                Node bare = new Node(n.name(), n.opType(), n.domain(), List.of("x0", "x1", "x2", "x3", "x4", "x5",
                    "x6", "x7"), n.outputs(), n.attributes());
                // a shared arena: the workers read the packed weights
                Kernel k = SparseConvKernel.create(new KernelRequest(bare, 13, constants,
                    Map.of("x0", ValueType.tensor(DType.U8, x.shape())), shared));
                for (int threads : new int[] {1, 2, 3}) {
                    try (WorkerPool pool = new WorkerPool(threads)) {
                        Tensor got = k.run(new Tensor[] {x}, ExecutionContext.standalone(threads, pool))[0];
                        assertArrayEquals(want.toLongArray(), got.toLongArray(), threads + " threads " + n);
                        got.close();
                    }
                }
                want.close();
            }
        }
    }

    private static Node qgemm(boolean transB) {
        List<String> in = new java.util.ArrayList<>();
        for (int i = 0; i < 9; i++) {
            in.add("x" + i);
        }
        return new Node("qgemm", "QGemm", "com.microsoft", in, List.of("y0"), Map.of("transB",
            new dev.sparq.graph.Attribute("transB", dev.sparq.graph.Attribute.Type.INT, transB ? 1L : 0L)));
    }

    @Test
    void sparseMatMulAndGemmMatchTheReference() {
        // m, k, cols: one row is the fully connected layer at batch 1
        int[][] shapes = {{1, 1, 1}, {1, 512, 100}, {3, 64, 256}, {5, 17, 33}, {70, 9, 3}};
        for (int[] s : shapes) {
            for (double d : new double[] {0, 0.1, 0.4}) {
                float[] perCol = new float[s[2]];
                int[] bias = new int[s[2]];
                for (int i = 0; i < perCol.length; i++) {
                    perCol[i] = 0.001f + rnd.nextFloat() * 0.01f;
                    bias[i] = rnd.nextInt(20001) - 10000;
                }
                try (Tensor a = bytes(DType.U8, s[0], s[1]); Tensor sa = bytes(DType.I8, s[0], s[1]);
                     Tensor b = pruned(d, s[1], s[2]); Tensor bt = pruned(d, s[2], s[1]);
                     Tensor c = Tensor.fromInts(bias, s[2])) {
                    same(SPARSE, node("QLinearMatMul", 8, 1), a, f32(0.02f), scalar(DType.U8, 131), b, f32(perCol),
                        scalar(DType.I8, 0), f32(0.05f), scalar(DType.U8, 128));
                    same(SPARSE, node("QLinearMatMul", 8, 1), sa, f32(0.02f), scalar(DType.I8, -128), b, f32(0.01f),
                        scalar(DType.I8, 0), f32(0.3f), scalar(DType.I8, -3));
                    same(SPARSE, qgemm(false), a, f32(0.02f), scalar(DType.U8, 131), b, f32(perCol),
                        scalar(DType.I8, 0), c, f32(0.05f), scalar(DType.U8, 128));
                    same(SPARSE, qgemm(true), sa, f32(0.02f), scalar(DType.I8, -5), bt, f32(0.004f),
                        scalar(DType.I8, 0), c, f32(0.05f), scalar(DType.I8, 3));
                }
            }
        }
    }

    @Test
    void packedWeightsTakeUnderHalfAByteAtNinetyPercentZeros() {
        try (Arena arena = Arena.ofConfined(); Tensor w = pruned(0.1, 64, 64, 3, 3)) {
            Kernel k = SparseConvKernel.create(request(conv(3, 1, 1, 1), w, arena));
            long cout = 64;
            // about 1 - 0.9^4 = 34% of the 4-weight blocks kept (4 bytes each) plus 1 mask bit per block: ~0.38 B/weight
            assertTrue(k.packedWeightBytes() - 8 * cout < w.size() / 2, k.packedWeightBytes() + " bytes");
            assertTrue(k.packedWeightBytes() > w.size() / 10, k.packedWeightBytes() + " bytes");
        }
    }

    @Test
    void theLargeModeTakesSparseOnlyForLayersOfAtLeastTheThreshold() {
        long threshold = 512L * 1024;
        assertTrue(SparseInt8Choice.sparseWithoutTiming("large", 256L * 256 * 9, threshold), "layer3 3x3: 576 KiB");
        assertFalse(SparseInt8Choice.sparseWithoutTiming("large", 128L * 256 * 9, threshold), "288 KiB: timed");
        assertTrue(SparseInt8Choice.sparseWithoutTiming("always", 1, threshold));
        assertFalse(SparseInt8Choice.sparseWithoutTiming("tuned", Long.MAX_VALUE, threshold));
        assertFalse(SparseInt8Choice.sparseWithoutTiming("off", Long.MAX_VALUE, threshold));
    }

    @Test
    void aWrongInputThrowsBeforeTheNativeCall() {
        try (Arena arena = Arena.ofConfined(); Tensor w = pruned(0.1, 8, 4, 3, 3); Tensor x = bytes(DType.U8, 1, 5, 9, 9)) {
            Kernel k = SparseConvKernel.create(request(conv(3, 1, 1, 1), w, arena));
            assertThrows(IllegalArgumentException.class, () -> k.run(new Tensor[] {x}, ExecutionContext.standalone()));
        }
    }

    @Test
    void theTunerPicksWhatTimesFaster() {
        Node n = conv(3, 1, 1, 1);
        for (String winner : new String[] {"sparse-int8", "dense-int8"}) {
            KernelTuner fake = KernelTuner.timing(TimingCache.inMemory(),
                (names, runs, budget) -> names.stream().mapToDouble(s -> s.equals(winner) ? 1e3 : 1e5).toArray(), 1);
            try (Arena arena = Arena.ofConfined(); Tensor w = pruned(0.1, 16, 8, 3, 3);
                 Tensor x = bytes(DType.U8, 1, 8, 12, 12); KernelTuner.Scope ignored = KernelTuner.use(fake)) {
                Kernel k = new CpuNativeBackend().kernelFor(request(n, w, arena)).orElseThrow();
                assertTrue(k.describe().startsWith(winner + ": "), k.describe());
                assertTrue(k.describe().contains("% zeros]"), k.describe());
                assertTrue(k.packedWeightBytes() > 0);
                Tensor got = k.run(new Tensor[] {x, f32(0.03f), scalar(DType.U8, 9), w, f32(0.01f),
                    scalar(DType.I8, 0), f32(0.05f), scalar(DType.U8, 128), null}, ExecutionContext.standalone())[0];
                Tensor want = KernelHarness.run(REF, n, 13, 1, x, f32(0.03f), scalar(DType.U8, 9), w, f32(0.01f),
                    scalar(DType.I8, 0), f32(0.05f), scalar(DType.U8, 128), null)[0];
                assertArrayEquals(want.toLongArray(), got.toLongArray());
                got.close();
                want.close();
            }
        }
    }

    /** A QLinearConv request with uint8 input [1, c, 12, 12] and the given weights, scales and zero points constant. */
    private static KernelRequest request(Node n, Tensor w, Arena arena) {
        Map<String, Tensor> constants = new java.util.HashMap<>(Map.of("x1", f32(0.03f), "x2", scalar(DType.U8, 9),
            "x3", w, "x4", f32(0.01f), "x5", scalar(DType.I8, 0), "x6", f32(0.05f), "x7", scalar(DType.U8, 128)));
        Node bare = new Node(n.name(), n.opType(), n.domain(), List.of("x0", "x1", "x2", "x3", "x4", "x5", "x6", "x7"),
            n.outputs(), n.attributes());
        return new KernelRequest(bare, 13, constants,
            Map.of("x0", ValueType.tensor(DType.U8, 1, w.dim(1), 12, 12)), arena);
    }
}
