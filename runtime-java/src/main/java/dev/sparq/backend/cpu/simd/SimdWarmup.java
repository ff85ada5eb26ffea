package dev.sparq.backend.cpu.simd;

import dev.sparq.backend.ExecutionContext;
import dev.sparq.backend.Kernel;
import dev.sparq.backend.geometry.ConvAttributes;
import dev.sparq.graph.Attribute;
import dev.sparq.graph.ChannelsLastConv;
import dev.sparq.graph.Node;
import dev.sparq.tensor.Tensor;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Brings a candidate's code to its compiled steady state before it is first timed in a process. Timed cold, Vector
 * API code runs interpreted or C1-compiled, 10-100× slower than it will (measured: a dense GEMM timed at 8 ms
 * instead of 70 µs; C2 takes over after some 5000 calls), and the choice would reward whichever kernel the JIT
 * reached first. So, once per candidate and process: the candidate runs ~10000 times on tiny layers (measured:
 * ~250 ms to reach C2 for the dense GEMM), now and then on one whose shape walks another code path of real layers
 * (batches on both sides of the per-row / transposed split, reductions longer than a GEMM k-block, stride 2), then
 * the compiler queue is left to drain. Only when a choice has to be timed: a cached choice needs none.
 */
final class SimdWarmup {
    private static final Set<String> WARM = ConcurrentHashMap.newKeySet();
    private static final int RUNS = 12_000;
    /** Every this many runs, one run takes a secondary path (larger, so slower while interpreted). */
    private static final int PATH_EVERY = 8;
    private static final long MAX_NANOS_PER_CANDIDATE = 700_000_000;
    private static final long MAX_DRAIN_NANOS = 1_000_000_000;

    private SimdWarmup() {
    }

    /** Warms the Gemm/MatMul candidates named (not yet warm in this process). */
    static void gemm(List<String> candidates) {
        warm("Gemm", candidates, SimdWarmup::gemmPaths);
    }

    /** Warms the Conv candidates named. */
    static void conv(List<String> candidates) {
        warm("Conv", candidates, SimdWarmup::convPaths);
    }

    /** Warms the channels-last pointwise candidates named. */
    static void channelsLast(List<String> candidates) {
        warm(ChannelsLastConv.OP, candidates, SimdWarmup::channelsLastPaths);
    }

    private interface Paths {
        /** Kernels for {@code name} on tiny layers, the main path first; empty if there is no such candidate. */
        List<Path> of(String name, Random r);
    }

    private record Path(Kernel kernel, Tensor input) {
    }

    private static void warm(String op, List<String> candidates, Paths paths) {
        touchAll();
        boolean any = false;
        for (String name : candidates) {
            if (!WARM.add(op + "/" + name)) {
                continue;
            }
            List<Path> list = paths.of(name, new Random(3));
            try {
                ExecutionContext ctx = ExecutionContext.standalone();
                long start = System.nanoTime();
                for (int i = 0; i < RUNS && !list.isEmpty() && System.nanoTime() - start < MAX_NANOS_PER_CANDIDATE; i++) {
                    int p = i % PATH_EVERY < list.size() - 1 ? 1 + i % PATH_EVERY : 0;
                    Path path = list.get(p);
                    path.kernel().run(new Tensor[] {path.input()}, ctx)[0].close();
                }
            } finally {
                list.forEach(p -> p.input().close());
            }
            any |= !list.isEmpty();
        }
        if (any) {
            drainCompiler();
        }
    }

    /**
     * Runs every path of every candidate once, before anything is compiled for good: the first run of a kernel
     * loads its classes (Vector API shapes, masks, shuffles), and each new subclass deoptimizes compiled code that
     * assumed there was none, which at a real layer's size takes seconds to undo.
     */
    private static void touchAll() {
        if (!WARM.add("loaded")) {
            return;
        }
        ExecutionContext ctx = ExecutionContext.standalone();
        List<String> names = new ArrayList<>(List.of("dense"));
        for (SparseWeights.Format f : SparseWeights.Format.values()) {
            names.add(f.candidate);
        }
        names.addAll(List.of("pointwise-gemm", "im2col-gemm", "direct", "direct-depthwise", "depthwise-blocked",
            "pixel-gemm", "pixel-rows", "winograd", "winograd-2x2"));
        for (String name : names) {
            for (Paths paths : List.<Paths>of(SimdWarmup::gemmPaths, SimdWarmup::convPaths)) {
                for (Path p : paths.of(name, new Random(3))) {
                    try (Tensor x = p.input()) {
                        p.kernel().run(new Tensor[] {x}, ctx)[0].close();
                    }
                }
            }
        }
    }

    private static List<Path> gemmPaths(String name, Random r) {
        List<Path> paths = new ArrayList<>();
        // full GEMM tiles and a tail, several vector slices and a tail (a path first taken at the real shape would
        // send the compiled code back to the interpreter)
        int n = 2 * MicroKernel.get().nr() + 3;
        // {k, m}: the main path, a reduction past one GEMM k block (one chain for one row of panel-major weights,
        // two k blocks for two rows), a batch past the per-row / transposed split that fills whole pixel tiles of the
        // sparse product and has a tail
        for (int[] km : new int[][] {{64, 1}, {Gemm.KC + 4, 1}, {Gemm.KC + 4, 2}, {64, 71}}) {
            int k = km[0];
            float[] w = weights(r, name.equals("sparse-2:4"), n, k);
            Epilogue bias = new Epilogue(null, new float[n], Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY);
            SparseWeights.Format format = format(name);
            Kernel kernel = name.equals("dense")
                ? new GemmKernels.ConstantB(new PackedMatrix(n, k, MicroKernel.get().nr(), (j, kk) -> w[j * k + kk],
                    true), bias, true)
                : format != null ? new SparseGemmKernel(SparseWeights.of(format, w, n, k), bias, true, null, 0) : null;
            if (kernel != null) {
                paths.add(new Path(kernel, SimdTuning.random(km[1], k)));
            }
        }
        return paths;
    }

    /** The sparse format of that candidate name, or null for the other candidates. */
    private static SparseWeights.Format format(String name) {
        for (SparseWeights.Format f : SparseWeights.Format.values()) {
            if (f.candidate.equals(name)) {
                return f;
            }
        }
        return null;
    }

    private static List<Path> convPaths(String name, Random r) {
        List<Path> paths = new ArrayList<>();
        // {cin, size, cout, kernel, stride, group} per candidate, the main path first: 9×9 pixels fill whole GEMM
        // tiles and sparse pixel tiles and leave tails; 32 input channels × 3×3 make a reduction longer than a GEMM
        // k-block
        int[][] shapes = switch (name) {
            // GEMM convolutions: 14 output channels are a whole 12-row weight tile and a ragged one (a tile path
            // first taken at the real shape traps the compiled kernel back to the interpreter while it is timed)
            case "pointwise-gemm" -> new int[][] {{8, 9, 14, 1, 1, 1}};
            case "im2col-gemm" -> new int[][] {{4, 9, 14, 3, 1, 1}, {4, 9, 14, 3, 2, 1}, {32, 9, 14, 3, 1, 1},
                {8, 9, 14, 1, 2, 1}};
            // direct: 6 output channels, 4 summed together and 2 one by one
            case "direct" -> new int[][] {{2, 9, 6, 3, 1, 1}, {2, 9, 6, 3, 2, 1}};
            case "direct-depthwise" -> new int[][] {{8, 9, 8, 3, 1, 8}, {8, 9, 8, 3, 2, 8}};
            // a whole block of channels (at 512 bits) and a part of one; 9 output columns are 2 × 4 and a tail
            case "depthwise-blocked" -> new int[][] {{16, 9, 16, 3, 1, 16}, {8, 9, 8, 3, 2, 8}};
            // pixels broadcast: a part panel of output channels (14), two panels (40), stride 2, a last pixel panel
            case "pixel-gemm" -> new int[][] {{3, 9, 14, 3, 1, 1}, {3, 12, 40, 3, 2, 1}};
            // pixel rows: rows of 7, a reduction of two k blocks (144), two panels (40), stride 2 with a part panel
            case "pixel-rows" -> new int[][] {{16, 7, 40, 3, 1, 1}, {8, 14, 14, 3, 2, 1}};
            case "winograd", "winograd-2x2" -> new int[][] {{8, 9, 12, 3, 1, 1}};
            // sparse: strided 1×1 outputs of 9×9, 7×7 and 12×12 leave pixel tails of 2, 3-4 and 1 vectors (512 bits),
            // each its own method: one never run here is timed interpreted
            case "sparse-csr", "sparse-blocked", "sparse-2:4" -> new int[][] {{8, 9, 12, 1, 1, 1}, {4, 9, 12, 3, 2, 1},
                {8, 18, 12, 1, 2, 1}, {8, 14, 12, 1, 2, 1}, {8, 24, 12, 1, 2, 1}};
            default -> new int[0][];
        };
        for (int[] s : shapes) {
            int depth = s[0] / s[5] * s[3] * s[3];
            float[] w = weights(r, name.equals("sparse-2:4"), s[2], depth);
            long p = s[3] / 2;
            Node node = new Node("warmup", "Conv", "", List.of("x", "w"), List.of("y"), Map.of(
                "strides", new Attribute("strides", Attribute.Type.INTS, List.of((long) s[4], (long) s[4])),
                "pads", new Attribute("pads", Attribute.Type.INTS, List.of(p, p, p, p))));
            float[] bias = new float[s[2]];
            try (Tensor wt = Tensor.fromFloats(w, s[2], s[0] / s[5], s[3], s[3])) {
                ConvAttributes attrs = ConvAttributes.of(node, wt);
                Kernel kernel = switch (name) {
                    case "pointwise-gemm", "im2col-gemm" ->
                        ConvKernels.gemmConv(attrs, w, bias, Activation.RELU, s[5], s[2], depth);
                    case "direct" -> new DirectConv(attrs, w, bias, Activation.RELU, s[0] / s[5], s[5]);
                    case "direct-depthwise" -> new DepthwiseConv(attrs, w, bias, Activation.RELU);
                    case "depthwise-blocked" -> new BlockedDepthwiseConv(attrs, w, bias, Activation.RELU);
                    case "pixel-gemm" -> new PixelGemmConv(attrs, w, bias, Activation.RELU, s[0]);
                    case "pixel-rows" -> new PixelRowConv(attrs, w, bias, Activation.RELU, s[0]);
                    case "winograd" -> WinogradConv.create(attrs, wt, bias, Activation.RELU, 4,
                        WinogradConv.narrowFits(4, s[1], s[1]));
                    case "winograd-2x2" -> new WinogradConv(attrs, wt, bias, Activation.RELU, 2,
                        WinogradConv.narrowFits(2, s[1], s[1]));
                    default -> new SparseConv(attrs, SparseWeights.of(format(name), w, s[2], depth), bias,
                        Activation.RELU, s[0]);
                };
                paths.add(new Path(kernel, SimdTuning.random(1, s[0], s[1], s[1])));
            }
        }
        return paths;
    }

    private static List<Path> channelsLastPaths(String name, Random r) {
        if (name.equals("nhwc-pairs")) {
            // 9×9 pixels: whole tiles and a part one; an even and an odd reduction; both tile shapes (2 and 3
            // vectors of outputs), each with a part vector
            List<Path> paths = new ArrayList<>();
            int width = ChannelsLastGemm.pairsWidth();
            for (int cin : new int[] {8, 17}) {
                for (int cout : new int[] {width * 2 / 3 - 3, width - 3}) {
                    paths.add(new Path(new PairTileGemm(weights(r, false, cout, cin), cout, cin,
                        Activation.RELU.epilogue(null, new float[cout])), SimdTuning.random(1, 9, 9, cin)));
                }
            }
            return paths;
        }
        MicroKernel mk = switch (name) {
            case "nhwc-gemm", "nhwc-rows" -> MicroKernel.get();
            case "nhwc-gemm-16", "nhwc-rows-16" -> MicroKernel.narrow();
            default -> null;
        };
        if (mk == null) {
            return List.of();
        }
        // 9×9 pixels: whole pixel panels and a tail; 40 output channels: whole tiles and a part one; a reduction
        // of two k blocks on the second path
        List<Path> paths = new ArrayList<>();
        for (int cin : new int[] {8, Gemm.KC + 4}) {
            float[] w = weights(r, false, 40, cin);
            paths.add(new Path(ChannelsLastConvKernels.pointwise(mk, name.startsWith("nhwc-rows"), w, 40, cin, new float[40], Activation.RELU),
                SimdTuning.random(1, 9, 9, cin)));
        }
        return paths;
    }

    /** 70%-pruned weights (most formats' candidates), or 2:4 ones. */
    private static float[] weights(Random r, boolean twoFour, int rows, int depth) {
        float[] w = new float[rows * depth];
        for (int i = 0; i < w.length; i++) {
            boolean keep = twoFour ? (i % 4 == (i / 4) % 4 || i % 4 == (i / 4 + 2) % 4) : r.nextInt(10) < 3;
            w[i] = keep ? (float) r.nextGaussian() : 0f;
        }
        return w;
    }

    /**
     * Waits until the JIT has finished the compilations the warm-up queued: total compile time has not grown for
     * 100 ms (it grows when a compilation ends, and C2 takes tens of ms on a large Vector API method).
     */
    private static void drainCompiler() {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        if (jit == null || !jit.isCompilationTimeMonitoringSupported()) {
            return;
        }
        long start = System.nanoTime();
        long last = -1;
        int quiet = 0;
        while (quiet < 10 && System.nanoTime() - start < MAX_DRAIN_NANOS) {
            long now = jit.getTotalCompilationTime();
            quiet = now == last ? quiet + 1 : 0;
            last = now;
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
