package dev.sparq.bench;

import dev.sparq.backend.ExecutionContext;
import dev.sparq.backend.Kernel;
import dev.sparq.backend.KernelRequest;
import dev.sparq.backend.cpu.simd.SimdBackend;
import dev.sparq.backend.tuning.KernelTuner;
import dev.sparq.backend.tuning.TimingCache;
import dev.sparq.graph.Attribute;
import dev.sparq.graph.Node;
import dev.sparq.graph.ValueType;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import java.lang.foreign.Arena;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
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
 * Pruned layers on cpu-simd, one thread: the dense kernel and each sparse format side by side on the same weights
 * (each forced through a fake tuner), and {@code chosen}: what the real tuner picks (see setUp). Weights are
 * magnitude-pruned (normal values, the smallest zeroed) to 90% or 70%, or to 2:4 (the 2 smallest of every 4 along
 * the reduction axis). Shapes: "gemm:MxNxK" (Gemm, transB=1: the digits MLP layers at batch 1 and 360, ResNet-18's
 * fc) and "conv:CinxHxWxCoutxstride" (ResNet-18's 1×1 downsampling convolutions, batch 1). A format that does not
 * apply (2:4 on weights without the pattern, sliced ELLPACK for convolution) runs nothing: its score is ~0.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector"})
@State(Scope.Benchmark)
public class SparseGemmBenchmark {
    @Param({"gemm:1x256x64", "gemm:1x128x256", "gemm:1x10x128", "gemm:1x1000x512", "gemm:360x256x64",
        "gemm:360x128x256", "conv:64x56x56x128x2", "conv:128x28x28x256x2", "conv:256x14x14x512x2"})
    String shape;

    @Param({"0.9", "0.7", "2:4"})
    String sparsity;

    @Param({"dense", "sparse-csr", "sparse-sell", "sparse-blocked", "sparse-2:4", "sparse-sell-chunked", "sparse-sell-chunked-wide",
        "chosen"})
    String impl;

    private Kernel kernel;
    private Tensor[] inputs;
    /** Outputs go to one preallocated buffer, as the executor's planned slab does: allocation is not measured. */
    private final Arena buffers = Arena.ofShared();
    private final java.lang.foreign.MemorySegment out = buffers.allocate(32 << 20, 64);
    private final ExecutionContext ctx = new ExecutionContext() {
        @Override
        public Tensor allocate(DType dtype, long... dims) {
            return Tensor.wrap(dtype, dims, out);
        }

        @Override
        public int threads() {
            return 1;
        }
    };

    @Setup(Level.Trial)
    public void setUp() {
        String[] kind = shape.split(":");
        int[] p = Arrays.stream(kind[1].split("x")).mapToInt(Integer::parseInt).toArray();
        Random r = new Random(5);
        boolean conv = kind[0].equals("conv");
        int rows = conv ? p[3] : p[1];
        int depth = conv ? p[0] : p[2];
        float[] w = prune(r, rows, depth);
        Tensor x = conv ? BenchTensors.random(r, 1, p[0], p[1], p[2]) : BenchTensors.random(r, p[0], p[2]);
        Tensor b = conv ? Tensor.fromFloats(w, rows, depth, 1, 1) : Tensor.fromFloats(w, rows, depth);
        Tensor c = BenchTensors.random(r, rows);
        Node node = conv
            ? new Node("conv", "Conv", "", List.of("x", "w", "c"), List.of("y"),
                Map.of("strides", new Attribute("strides", Attribute.Type.INTS, List.of((long) p[4], (long) p[4]))))
            : new Node("fc", "Gemm", "", List.of("x", "w", "c"), List.of("y"),
                Map.of("transB", new Attribute("transB", Attribute.Type.INT, 1L)));
        KernelRequest req = new KernelRequest(node, 13, Map.of("w", b, "c", c),
            Map.of("x", ValueType.tensor(DType.F32, x.shape())), Arena.global());
        inputs = new Tensor[] {x, b, c};
        // "chosen": the process-wide tuner, as a session gets it. Run once with an empty timing cache (the tuning
        // process itself: JIT warm-up, timing), then again: the figures to read are those of a process that finds
        // its choices in the cache, as every later load does.
        KernelTuner tuner = impl.equals("chosen") ? KernelTuner.current() : forcing(impl);
        try (KernelTuner.Scope ignored = KernelTuner.use(tuner)) {
            kernel = new SimdBackend().kernelFor(req).orElseThrow();
        } catch (NotOffered e) {
            kernel = null;
        }
        System.out.println("# " + shape + " " + sparsity + " " + impl + ": "
            + (kernel == null ? "not applicable" : kernel.describe()));
    }

    /** Thrown by the fake timer when the node does not offer the forced format. */
    private static final class NotOffered extends RuntimeException {
        NotOffered() {
            super(null, null, false, false);
        }
    }

    private static KernelTuner forcing(String name) {
        return KernelTuner.timing(TimingCache.inMemory(), (names, runs, budget) -> {
            // "dense" is the first candidate: the packed GEMM (im2col-gemm for a strided convolution)
            String want = name.equals("dense") ? names.get(0) : name;
            if (!names.contains(want)) {
                throw new NotOffered();
            }
            return names.stream().mapToDouble(n -> n.equals(want) ? 1 : 1000).toArray();
        }, 0);
    }

    /** Normal weights, magnitude-pruned as the {@code sparsity} parameter says. */
    private float[] prune(Random r, int rows, int depth) {
        float[] w = new float[rows * depth];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) r.nextGaussian();
        }
        if (sparsity.equals("2:4")) {
            for (int g = 0; g < w.length; g += 4) {
                Integer[] order = {g, g + 1, g + 2, g + 3};
                Arrays.sort(order, (i, j) -> Float.compare(Math.abs(w[i]), Math.abs(w[j])));
                w[order[0]] = 0;
                w[order[1]] = 0;
            }
        } else {
            float[] mags = new float[w.length];
            for (int i = 0; i < w.length; i++) {
                mags[i] = Math.abs(w[i]);
            }
            Arrays.sort(mags);
            float cut = mags[(int) (Double.parseDouble(sparsity) * w.length)];
            for (int i = 0; i < w.length; i++) {
                w[i] = Math.abs(w[i]) < cut ? 0 : w[i];
            }
        }
        return w;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        for (Tensor t : inputs) {
            t.close();
        }
    }

    @Benchmark
    public Object run() {
        return kernel == null ? null : kernel.run(inputs, ctx);
    }
}
