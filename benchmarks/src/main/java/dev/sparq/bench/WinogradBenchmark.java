package dev.sparq.bench;

import dev.sparq.backend.ExecutionContext;
import dev.sparq.backend.Kernel;
import dev.sparq.backend.KernelRequest;
import dev.sparq.backend.WorkerPool;
import dev.sparq.backend.cpu.simd.SimdBackend;
import dev.sparq.backend.tuning.KernelTuner;
import dev.sparq.backend.tuning.TimingCache;
import dev.sparq.graph.Attribute;
import dev.sparq.graph.Node;
import dev.sparq.graph.ValueType;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.IntConsumer;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * ResNet-18's 3×3 stride-1 convolutions (C→C channels at H×H, pad 1, bias, Relu) on cpu-simd, batch 1: each
 * convolution algorithm (im2col GEMM, pixel rows, Winograd) forced through a fake tuner, side by side. The
 * {@code flop} counter is the direct convolution's 2·C·C·9·H·H per call, so its rate is the "GFLOP/s of the direct
 * equivalent" whatever the algorithm actually computes (score: calls per second). Forks with {@code -Dsparq.winograd=true} so both Winograd tile sizes
 * are offered at every shape (by default only the one the rule names is).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--add-modules=jdk.incubator.vector",
    "-Dsparq.winograd=true"})
@State(Scope.Benchmark)
public class WinogradBenchmark {
    /** "C,H" (or CxH on the command line). */
    @Param({"64,56", "128,28", "256,14", "512,7"})
    String shape;

    @Param({"im2col-gemm", "pixel-rows", "winograd", "winograd-2x2"})
    String impl;

    @Param({"1", "2"})
    int threads;

    /**
     * Layers with weights of their own, run in turn: 1 keeps one layer's weights cached (a hot loop); more make
     * each call stream its weights from memory as inside a model (e.g. 8 × 9.4 MB at 512 channels).
     */
    @Param({"1"})
    int copies;

    private Kernel[] kernels;
    private int turn;

    private long flops;
    private Tensor[] inputs;
    private WorkerPool pool;
    private ExecutionContext ctx;
    private final Arena buffers = Arena.ofShared();
    private final MemorySegment out = buffers.allocate(16L << 20, 64);

    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Flops {
        public long flop;
    }

    @Setup(Level.Trial)
    public void setUp() {
        String[] p = shape.split("[,x]");
        int c = Integer.parseInt(p[0]);
        int h = Integer.parseInt(p[1]);
        flops = 2L * c * c * 9 * h * h;
        Random r = new Random(11);
        Tensor x = BenchTensors.random(r, 1, c, h, h);
        Tensor w = BenchTensors.random(r, c, c, 3, 3);
        Tensor b = BenchTensors.random(r, c);
        inputs = new Tensor[] {x, w, b};
        pool = threads > 1 ? new WorkerPool(threads) : null;
        int n = threads;
        WorkerPool wp = pool;
        ctx = new ExecutionContext() {
            @Override
            public Tensor allocate(DType dtype, long... dims) {
                return Tensor.wrap(dtype, dims, out);
            }

            @Override
            public int threads() {
                return n;
            }

            @Override
            public void parallelFor(int tasks, IntConsumer body) {
                if (wp == null) {
                    ExecutionContext.super.parallelFor(tasks, body);
                } else {
                    wp.parallelFor(tasks, body);
                }
            }
        };
        Node node = new Node("conv", "FusedConv", "com.microsoft", List.of("x", "w", "b"), List.of("y"), Map.of(
            "pads", new Attribute("pads", Attribute.Type.INTS, List.of(1L, 1L, 1L, 1L)),
            "activation", new Attribute("activation", Attribute.Type.STRING, "Relu")));
        kernels = new Kernel[copies];
        try (KernelTuner.Scope ignored = KernelTuner.use(forcing(impl))) {
            for (int i = 0; i < copies; i++) {
                Tensor wi = i == 0 ? w : BenchTensors.random(r, c, c, 3, 3);
                kernels[i] = new SimdBackend().kernelFor(new KernelRequest(node, 1, Map.of("w", wi, "b", b),
                    Map.of("x", ValueType.tensor(DType.F32, x.shape())), Arena.global())).orElseThrow();
            }
        }
        System.out.println("# " + shape + " " + impl + ": " + kernels[0].describe());
    }

    private static KernelTuner forcing(String name) {
        return KernelTuner.timing(TimingCache.inMemory(), (names, runs, budget) -> {
            if (!names.contains(name)) {
                throw new IllegalStateException(name + " is not among " + names);
            }
            return names.stream().mapToDouble(n -> n.equals(name) ? 1 : 1000).toArray();
        }, 0);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        for (Tensor t : inputs) {
            t.close();
        }
        if (pool != null) {
            pool.close();
        }
    }

    @Benchmark
    public Object conv(Flops f) {
        f.flop += flops;
        turn = turn + 1 == kernels.length ? 0 : turn + 1;
        return kernels[turn].run(inputs, ctx);
    }
}
