package dev.sparq.bench;

import dev.sparq.backend.Backend;
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
import dev.sparq.nativecpu.CpuNativeBackend;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.LinkedHashMap;
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
 * One pruned QLinearConv (uint8 x, int8 per-channel weights with {@code density} of them nonzero, uniformly at
 * random, as magnitude pruning of random weights leaves them), batch 1, on {@code threads} threads: the dense int8
 * kernel against the sparse one, on cpu-native (C: the dense kernel is AMX or VNNI as the library picks, {@code convPath} forces one) and
 * cpu-simd (Java). Each candidate is forced through the tuner with fixed figures, so this measures the kernels, not
 * the choice. Microseconds per call.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--add-modules=jdk.incubator.vector"})
@State(Scope.Benchmark)
public class SparseInt8ConvBenchmark {
    /** "C,M,H,stride,k" (or CxMxHxSxK): ResNet-18's layers, pad k/2. */
    @Param({"3x64x224x2x7", "64x64x56x1x3", "64x128x56x2x3", "128x128x28x1x3", "256x256x14x1x3", "512x512x7x1x3"})
    String shape;

    @Param({"cpu-native", "cpu-simd"})
    String backend;

    @Param({"dense-int8", "sparse-int8"})
    String kernelName;

    @Param({"0.1"})
    double density;

    @Param({"auto"})
    String convPath;

    /** Intra-op threads (a {@link WorkerPool} of that many, the calling thread included). */
    @Param({"1"})
    int threads;

    private WorkerPool pool;

    private Tensor[] inputs;
    private Kernel kernel;
    private final Arena buffers = Arena.ofShared();
    private final MemorySegment slab = buffers.allocate(64L << 20, 64);
    private long used;
    private final ExecutionContext ctx = new ExecutionContext() {
        @Override
        public Tensor allocate(DType dtype, long... dims) {
            long bytes = dtype.byteSize();
            for (long d : dims) {
                bytes *= d;
            }
            Tensor t = Tensor.wrap(dtype, dims, slab.asSlice(used, bytes));
            used += (bytes + 63) & ~63L;
            return t;
        }

        @Override
        public int threads() {
            return threads;
        }

        @Override
        public void parallelFor(int tasks, java.util.function.IntConsumer body) {
            pool.parallelFor(tasks, body);
        }
    };

    @Setup(Level.Trial)
    public void setUp() {
        pool = new WorkerPool(threads);
        String[] p = shape.split("[,x]");
        int c = Integer.parseInt(p[0]);
        int m = Integer.parseInt(p[1]);
        int hw = Integer.parseInt(p[2]);
        int stride = Integer.parseInt(p[3]);
        int k = Integer.parseInt(p[4]);
        Random r = new Random(7);
        byte[] x = new byte[c * hw * hw];
        byte[] w = new byte[m * c * k * k];
        r.nextBytes(x);
        for (int i = 0; i < w.length; i++) {
            w[i] = r.nextDouble() < density ? (byte) (r.nextInt(255) - 127 | 1) : 0;
        }
        float[] wScale = new float[m];
        int[] bias = new int[m];
        for (int i = 0; i < m; i++) {
            wScale[i] = 0.002f + r.nextFloat() * 0.01f;
            bias[i] = r.nextInt(2001) - 1000;
        }
        inputs = new Tensor[] {Tensor.fromBytes(DType.U8, x, 1, c, hw, hw), Tensor.fromFloats(new float[] {0.02f}),
            Tensor.fromBytes(DType.U8, new byte[] {(byte) 128}), Tensor.fromBytes(DType.I8, w, m, c, k, k),
            Tensor.fromFloats(wScale, m), Tensor.fromBytes(DType.I8, new byte[m], m),
            Tensor.fromFloats(new float[] {0.05f}), Tensor.fromBytes(DType.U8, new byte[] {(byte) 120}),
            Tensor.fromInts(bias, m)};
        if (!convPath.equals("auto") && !dev.sparq.nativecpu.CpuKernels.get().forceConvPath(convPath)) {
            throw new IllegalStateException("convolution path " + convPath + " is not available here");
        }
        Backend b = backend.equals("cpu-native") ? new CpuNativeBackend() : new SimdBackend();
        List<String> names = new ArrayList<>();
        Map<String, Tensor> constants = new LinkedHashMap<>();
        Map<String, ValueType> types = new LinkedHashMap<>();
        for (int i = 0; i < inputs.length; i++) {
            names.add("x" + i);
            types.put("x" + i, ValueType.tensor(inputs[i].dtype(), inputs[i].shape()));
            if (i > 0) {
                constants.put("x" + i, inputs[i]);
            }
        }
        long pad = k / 2;
        Map<String, Attribute> attrs = Map.of(
            "pads", new Attribute("pads", Attribute.Type.INTS, List.of(pad, pad, pad, pad)),
            "strides", new Attribute("strides", Attribute.Type.INTS, List.of((long) stride, (long) stride)));
        Node node = new Node("conv", "QLinearConv", "", names, List.of("y"), attrs);
        KernelTuner forced = KernelTuner.timing(TimingCache.inMemory(),
            (cands, runs, budget) -> cands.stream().mapToDouble(n -> n.equals(kernelName) ? 1 : 1000).toArray(), 0);
        try (KernelTuner.Scope ignored = KernelTuner.use(forced)) {
            kernel = b.kernelFor(new KernelRequest(node, 13, constants, types, Arena.global()))
                .orElseThrow(() -> new IllegalStateException(backend + " has no kernel for " + shape));
        }
        if (!kernel.describe().startsWith(kernelName + ":")) {
            throw new IllegalStateException("asked for " + kernelName + ", got " + kernel.describe());
        }
        System.out.println("# " + kernel.describe() + ", packed weights " + kernel.packedWeightBytes() + " bytes");
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.close();
        for (Tensor t : inputs) {
            t.close();
        }
    }

    @Benchmark
    public void conv() {
        used = 0;
        kernel.run(inputs, ctx);
    }
}
