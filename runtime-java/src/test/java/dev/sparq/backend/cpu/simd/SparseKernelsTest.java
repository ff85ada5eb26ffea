package dev.sparq.backend.cpu.simd;

import static dev.sparq.testing.KernelHarness.f;
import static dev.sparq.testing.KernelHarness.i;
import static dev.sparq.testing.KernelHarness.ints;
import static dev.sparq.testing.KernelHarness.s;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparq.backend.Backend;
import dev.sparq.backend.ExecutionContext;
import dev.sparq.backend.Kernel;
import dev.sparq.backend.KernelRequest;
import dev.sparq.backend.WorkerPool;
import dev.sparq.backend.cpu.ref.CpuRefBackend;
import dev.sparq.backend.tuning.KernelTuner;
import dev.sparq.graph.Dim;
import dev.sparq.graph.Node;
import dev.sparq.graph.ValueType;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import dev.sparq.testing.KernelHarness;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The sparse formats as cpu-simd kernels (Gemm, MatMul, 1×1 and im2col convolution), each forced through a fake
 * tuner, against cpu-ref on awkward shapes: 1×1, primes, tails shorter than a vector, batches on both sides of the
 * per-row / transposed split. Runs at every vector width (see pom.xml).
 */
class SparseKernelsTest {
    private static final Backend SIMD = new SimdBackend();
    private static final Backend REF = new CpuRefBackend();
    private static final List<String> GEMM_FORMATS = List.of("sparse-csr", "sparse-sell", "sparse-blocked",
        "sparse-sell-chunked", "sparse-sell-chunked-wide");
    private static final List<String> CONV_FORMATS = List.of("sparse-csr", "sparse-blocked");
    private final Random rnd = new Random(20261127);

    private Tensor random(long... shape) {
        Tensor t = Tensor.allocate(DType.F32, shape);
        for (long i = 0; i < t.size(); i++) {
            t.setFloat(i, (float) rnd.nextGaussian());
        }
        return t;
    }

    /** Zeros in kinds the formats care about; rows × cols seen with the reduction axis last. */
    private void prune(Tensor w, String how, int rows, int cols) {
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                long at = (long) r * cols + c;
                boolean keep = switch (how) {
                    case "90%" -> rnd.nextInt(10) == 0;
                    case "70%" -> rnd.nextInt(10) < 3;
                    case "2:4" -> (c % 4 == (r + c / 4) % 4) || (c % 4 == (r + c / 4 + 1 + r % 3) % 4);
                    case "blocks" -> (r / 16 + c) % 5 == 0;  // whole 16-row blocks, some columns
                    case "one" -> r == rows / 2 && c == cols / 3;
                    default -> false;                          // "zero"
                };
                if (!keep) {
                    w.setFloat(at, 0f);
                }
            }
        }
    }

    /** Runs the node with {@code format} forced; checks the choice was made and the result against cpu-ref. */
    private float[] check(String format, Node node, double tol, Tensor... inputs) {
        Tensor want = KernelHarness.run(REF, node, 13, 1, inputs)[0];
        try (KernelTuner.Scope ignored = KernelTuner.use(Tuners.forcing(format))) {
            Tensor got = KernelHarness.run(SIMD, node, 13, 1, inputs)[0];
            SimdVsReferenceTest.assertClose(want, got, tol, format + " " + node + " " + shapes(inputs));
            float[] values = got.toFloatArray();
            want.close();
            got.close();
            return values;
        }
    }

    private static String shapes(Tensor... ts) {
        List<String> s = new ArrayList<>();
        for (Tensor t : ts) {
            s.add(t == null ? "-" : java.util.Arrays.toString(t.shape()));
        }
        return s.toString();
    }

    @Test
    void gemmInEveryFormatMatchesTheReference() {
        for (String how : new String[] {"90%", "70%", "2:4", "blocks", "one", "zero"}) {
            for (int m : new int[] {1, 3, 7, 16, 17, 40}) {
                for (int[] nk : new int[][] {{1, 4}, {5, 12}, {33, 64}, {67, 129}, {40, 8}}) {
                    int n = nk[0];
                    int k = nk[1];
                    boolean transB = (m + n) % 2 == 0;
                    try (Tensor a = random(m, k); Tensor b = transB ? random(n, k) : random(k, n); Tensor c = random(n)) {
                        if (transB) {
                            prune(b, how, n, k);
                        } else {
                            pruneTransposed(b, how, k, n);
                        }
                        Node gemm = KernelHarness.node("Gemm", 3, 1, i("transB", transB ? 1 : 0), f("alpha", 0.5f),
                            f("beta", 2f));
                        Node fused = new Node("g", "FusedGemm", "com.microsoft", gemm.inputs(), gemm.outputs(),
                            Map.of("transB", i("transB", transB ? 1 : 0), "activation", s("activation", "Relu")));
                        List<String> formats = new ArrayList<>(GEMM_FORMATS);
                        if (how.equals("2:4") && k % 4 == 0 || how.equals("zero") && k % 4 == 0) {
                            formats.add("sparse-2:4");
                        }
                        float[] first = null;
                        for (String format : formats) {
                            float[] got = check(format, gemm, 1e-5, a, b, c);
                            if (first == null) {
                                first = got;
                            } else {
                                // every format sums each output in column order: the same values
                                assertArrayEquals(first, got, 0f, format + " vs " + formats.get(0) + " " + how);
                            }
                            check(format, fused, 1e-5, a, b, c);
                        }
                    }
                }
            }
        }
    }

    /** Prunes B [k, n] (transB = 0) so that W = Bᵀ gets the pattern along its rows. */
    private void pruneTransposed(Tensor b, String how, int k, int n) {
        try (Tensor t = Tensor.allocate(DType.F32, n, k)) {
            for (int r = 0; r < n; r++) {
                for (int c = 0; c < k; c++) {
                    t.setFloat((long) r * k + c, b.getFloat((long) c * n + r));
                }
            }
            prune(t, how, n, k);
            for (int r = 0; r < n; r++) {
                for (int c = 0; c < k; c++) {
                    b.setFloat((long) c * n + r, t.getFloat((long) r * k + c));
                }
            }
        }
    }

    @Test
    void matMulWithLeadingDims() {
        for (String how : new String[] {"90%", "2:4"}) {
            try (Tensor a = random(2, 3, 5, 24); Tensor b = random(24, 19)) {
                pruneTransposed(b, how, 24, 19);
                List<String> formats = new ArrayList<>(GEMM_FORMATS);
                if (how.equals("2:4")) {
                    formats.add("sparse-2:4");
                }
                for (String format : formats) {
                    check(format, KernelHarness.node("MatMul", 2, 1), 1e-5, a, b);
                }
            }
        }
    }

    @Test
    void pointwiseAndStridedOneByOneConvolutions() {
        // {n, c, h, w, cout, stride, pad}: pointwise reads the image; stride or padding goes through im2col
        int[][] cases = {{1, 4, 1, 1, 3, 1, 0}, {2, 16, 7, 9, 24, 1, 0}, {1, 12, 13, 11, 5, 2, 0}, {1, 8, 5, 5, 17, 1, 1},
            {1, 64, 14, 14, 128, 2, 0}, {1, 20, 3, 37, 7, 1, 0}};
        for (int[] c : cases) {
            for (String how : new String[] {"90%", "70%", "2:4", "blocks"}) {
                try (Tensor x = random(c[0], c[1], c[2], c[3]); Tensor w = random(c[4], c[1], 1, 1);
                     Tensor b = random(c[4])) {
                    prune(w, how, c[4], c[1]);
                    Node conv = KernelHarness.node("Conv", 3, 1, ints("strides", c[5], c[5]),
                        ints("pads", c[6], c[6], c[6], c[6]));
                    for (String format : formats(how, c[1])) {
                        check(format, conv, 1e-5, x, w, b);
                    }
                }
            }
        }
    }

    @Test
    void tailsOfEveryLengthAndReadsUpToTheEndOfTheImage() {
        // {n, c, h, w, cout, stride}: pixel tails of 1, 15, 17, 49, one whole vector past 4 (80), 40 past 64 (104);
        // 1×1 images; stride-2 rows whose whole vectors would run past the image (the last rows of the last image);
        // stride 3. The image tensors end where their data ends, so the last rows take the checked paths.
        int[][] cases = {{1, 5, 1, 1, 33, 1}, {1, 8, 1, 15, 20, 1}, {1, 8, 17, 1, 20, 1}, {2, 8, 7, 7, 9, 1},
            {1, 16, 8, 10, 18, 1}, {1, 16, 2, 52, 17, 1}, {1, 8, 1, 1, 6, 2}, {1, 6, 2, 2, 7, 2}, {2, 12, 14, 14, 19, 2},
            {1, 6, 2, 70, 9, 2}, {1, 9, 15, 13, 11, 2}, {1, 4, 9, 9, 5, 3}, {1, 20, 66, 2, 35, 2}};
        for (int[] c : cases) {
            for (String how : new String[] {"90%", "70%", "one"}) {
                try (Tensor x = random(c[0], c[1], c[2], c[3]); Tensor w = random(c[4], c[1], 1, 1);
                     Tensor b = random(c[4])) {
                    prune(w, how, c[4], c[1]);
                    Node conv = KernelHarness.node("Conv", 3, 1, ints("strides", c[5], c[5]));
                    Node fused = new Node("c", "FusedConv", "com.microsoft", conv.inputs(), conv.outputs(),
                        Map.of("strides", ints("strides", c[5], c[5]), "activation", s("activation", "Relu")));
                    float[] csr = check("sparse-csr", conv, 1e-5, x, w, b);
                    // the same column order in every format: the same bits
                    assertArrayEquals(csr, check("sparse-blocked", conv, 1e-5, x, w, b), 0f, how + " " + shapes(x));
                    check("sparse-csr", fused, 1e-5, x, w, b);
                }
            }
        }
    }

    @Test
    void evenElementsReadNothingPastTheSource() {
        SparseOps ops = SparseOps.get();
        for (int n = 0; n < 3 * ops.lanes() + 2; n++) {
            for (int offset : new int[] {0, 3, 4 * ops.lanes() + 1}) {
                // the source ends at its last even element (whole vectors would run past it), or has floats to spare
                int size = Math.max(0, 2 * n - 1) + (offset > 3 ? 2 * offset : offset);
                float[] src = new float[size];
                for (int i = 0; i < size; i++) {
                    src[i] = i;
                }
                float[] dst = new float[n + 2 * ops.lanes()];
                java.util.Arrays.fill(dst, -1f);
                ops.evenElements(java.lang.foreign.MemorySegment.ofArray(src), offset, n,
                    java.lang.foreign.MemorySegment.ofArray(dst), 1);
                assertEquals(-1f, dst[0], "n=" + n);
                for (int i = 0; i < n; i++) {
                    assertEquals(offset + 2 * i, dst[1 + i], "n=" + n + " i=" + i);
                }
                for (int i = n + 1; i < dst.length; i++) {
                    assertEquals(-1f, dst[i], "written past the row: n=" + n + " i=" + i);
                }
            }
        }
    }

    private static List<String> formats(String how, int depth) {
        List<String> formats = new ArrayList<>(CONV_FORMATS);
        if (how.equals("2:4") && depth % 4 == 0) {
            formats.add("sparse-2:4");
        }
        return formats;
    }

    @Test
    void generalConvolutionsThroughIm2col() {
        // {n, c, h, w, cout, k, stride, pad, dilation}
        int[][] cases = {{1, 8, 10, 11, 13, 3, 1, 1, 1}, {2, 4, 9, 9, 6, 3, 2, 1, 1}, {1, 4, 12, 10, 5, 3, 1, 2, 2},
            {1, 3, 23, 21, 8, 7, 2, 3, 1}, {1, 16, 6, 6, 32, 3, 1, 1, 1}};
        for (int[] c : cases) {
            for (String how : new String[] {"90%", "2:4"}) {
                int depth = c[1] * c[5] * c[5];
                try (Tensor x = random(c[0], c[1], c[2], c[3]); Tensor w = random(c[4], c[1], c[5], c[5]);
                     Tensor b = random(c[4])) {
                    prune(w, how, c[4], depth);
                    Node conv = KernelHarness.node("Conv", 3, 1, ints("strides", c[6], c[6]),
                        ints("pads", c[7], c[7], c[7], c[7]), ints("dilations", c[8], c[8]));
                    Node fused = new Node("c", "FusedConv", "com.microsoft", conv.inputs(), conv.outputs(),
                        Map.of("strides", ints("strides", c[6], c[6]), "pads", ints("pads", c[7], c[7], c[7], c[7]),
                            "dilations", ints("dilations", c[8], c[8]), "activation", s("activation", "Relu")));
                    for (String format : formats(how, depth)) {
                        check(format, conv, 1e-5, x, w, b);
                        check(format, fused, 1e-5, x, w, b);
                    }
                }
            }
        }
    }

    @Test
    void aSymbolicBatchIsTimedSmallAndLarge() {
        try (Tensor b = random(40, 64); Tensor c = random(40)) {
            prune(b, "90%", 40, 64);
            Node gemm = KernelHarness.node("Gemm", 3, 1, i("transB", 1));
            Map<String, ValueType> types = Map.of("x0", ValueType.tensor(DType.F32, List.of(Dim.symbol("N"), Dim.of(64))));
            Kernel k;
            List<String> offered = new ArrayList<>();
            try (KernelTuner.Scope ignored = KernelTuner.use(Tuners.recording(offered))) {
                k = SIMD.kernelFor(new KernelRequest(gemm, 13, Map.of("x1", b, "x2", c), types, Arena.global()))
                    .orElseThrow();
            }
            assertTrue(k instanceof BatchSplitKernel, k.getClass().toString());
            assertTrue(k.describe().startsWith("batch <= 8: dense: ") && k.describe().contains("timed at batch 64"),
                k.describe());
            assertEquals(List.of("dense", "sparse-csr", "sparse-sell", "sparse-blocked"), offered.subList(0, 4));
            for (int m : new int[] {1, 8, 9, 50}) {
                try (Tensor a = random(m, 64)) {
                    Tensor want = KernelHarness.run(REF, gemm, 13, 1, a, b, c)[0];
                    Tensor got = k.run(new Tensor[] {a, b, c}, ExecutionContext.standalone())[0];
                    SimdVsReferenceTest.assertClose(want, got, 1e-5, "batch " + m);
                    want.close();
                    got.close();
                }
            }
        }
    }

    @Test
    void withTuningOffTheOldRuleHolds() {
        try (Tensor b = random(67, 129); Tensor c = random(67);
             KernelTuner.Scope ignored = KernelTuner.use(KernelTuner.off())) {
            prune(b, "90%", 67, 129);
            Node gemm = KernelHarness.node("Gemm", 3, 1, i("transB", 1));
            Kernel k = SIMD.kernelFor(new KernelRequest(gemm, 13, Map.of("x1", b, "x2", c), Map.of(), Arena.global()))
                .orElseThrow();
            assertEquals("sparse-csr: rule: tuning off [90.0% zeros]", k.describe().replaceAll("\\[[0-9.]+% ", "[90.0% "));
            for (int m : new int[] {1, 8, 9, 360}) {
                try (Tensor a = random(m, 129)) {
                    Tensor want = KernelHarness.run(REF, gemm, 13, 1, a, b, c)[0];
                    Tensor got = k.run(new Tensor[] {a, b, c}, ExecutionContext.standalone())[0];
                    SimdVsReferenceTest.assertClose(want, got, 1e-5, "batch " + m);
                    want.close();
                    got.close();
                }
            }
            try (Tensor dense = random(67, 129)) {
                Kernel d = SIMD.kernelFor(new KernelRequest(gemm, 13, Map.of("x1", dense, "x2", c), Map.of(),
                    Arena.global())).orElseThrow();
                assertEquals("dense: only candidate", d.describe());
            }
        }
    }

    @Test
    void oneAndManyThreadsGiveIdenticalBits() {
        try (Tensor w = random(200, 96); Tensor b = random(200); Tensor a1 = random(1, 96); Tensor a2 = random(70, 96);
             Tensor x = random(1, 96, 15, 15); Tensor cw = random(200, 96, 1, 1); WorkerPool pool = new WorkerPool(3)) {
            prune(w, "2:4", 200, 96);
            prune(cw, "2:4", 200, 96);
            Node gemm = KernelHarness.node("Gemm", 3, 1, i("transB", 1));
            Node conv = KernelHarness.node("Conv", 3, 1);
            for (String format : List.of("sparse-csr", "sparse-sell", "sparse-blocked", "sparse-2:4",
                "sparse-sell-chunked", "sparse-sell-chunked-wide")) {
                try (KernelTuner.Scope ignored = KernelTuner.use(Tuners.forcing(format))) {
                    for (Tensor a : new Tensor[] {a1, a2}) {
                        Tensor one = KernelHarness.run(SIMD, gemm, 13, 1, ExecutionContext.standalone(), a, w, b)[0];
                        Tensor many = KernelHarness.run(SIMD, gemm, 13, 1, ExecutionContext.standalone(3, pool), a, w,
                            b)[0];
                        assertArrayEquals(one.toFloatArray(), many.toFloatArray(), format + " Gemm " + a.dim(0));
                        one.close();
                        many.close();
                    }
                    if (!format.startsWith("sparse-sell")) {
                        Tensor one = KernelHarness.run(SIMD, conv, 13, 1, ExecutionContext.standalone(), x, cw, b)[0];
                        Tensor many = KernelHarness.run(SIMD, conv, 13, 1, ExecutionContext.standalone(3, pool), x, cw,
                            b)[0];
                        assertArrayEquals(one.toFloatArray(), many.toFloatArray(), format + " Conv");
                        one.close();
                        many.close();
                    }
                }
            }
        }
    }
}
