package dev.sparq.bench;

import dev.sparq.backend.ExecutionContext;
import dev.sparq.backend.Kernel;
import dev.sparq.backend.KernelRequest;
import dev.sparq.backend.cpu.simd.SimdBackend;
import dev.sparq.graph.Attribute;
import dev.sparq.graph.Node;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import java.lang.foreign.Arena;
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
 * A pruned fully connected layer (Gemm, transB=1) on cpu-simd: the CSR kernel against the dense packed GEMM (forced
 * with -Dsparq.sparseDensity=0 in its own fork), same weights, one thread. Shapes: "M,N,K" — the digits MLP layers
 * (batch 1 and the 360-image test batch) and ResNet-18's FC.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@State(Scope.Benchmark)
public class SparseGemmBenchmark {
    @Param({"1,256,64", "360,256,64", "1,128,256", "360,128,256", "1,1000,512"})
    String shape;

    @Param({"0.9", "0.7", "0.5"})
    double sparsity;

    private Kernel kernel;
    private Tensor a;
    private Tensor b;
    private Tensor c;
    /** Outputs go to one preallocated buffer, as the executor's planned slab does: allocation is not measured. */
    private final Arena buffers = Arena.ofShared();
    private final java.lang.foreign.MemorySegment out = buffers.allocate(8 << 20, 64);
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
        String[] p = shape.split(",");
        int m = Integer.parseInt(p[0]);
        int n = Integer.parseInt(p[1]);
        int k = Integer.parseInt(p[2]);
        Random r = new Random(5);
        float[] w = new float[n * k];
        for (int i = 0; i < w.length; i++) {
            w[i] = r.nextDouble() < sparsity ? 0f : (float) r.nextGaussian();
        }
        float[] x = new float[m * k];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        a = Tensor.fromFloats(x, m, k);
        b = Tensor.fromFloats(w, n, k);
        c = Tensor.allocate(DType.F32, n);
        Node gemm = new Node("fc", "Gemm", "", List.of("a", "b", "c"), List.of("y"),
            Map.of("transB", new Attribute("transB", Attribute.Type.INT, 1L)));
        kernel = new SimdBackend().kernelFor(new KernelRequest(gemm, 13, Map.of("b", b, "c", c), Map.of(),
            Arena.global())).orElseThrow();
        System.out.println("# kernel: " + kernel.getClass().getSimpleName());
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        a.close();
        b.close();
        c.close();
    }

    @Benchmark
    @Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector"})
    public void sparse() {
        kernel.run(new Tensor[] {a, b, c}, ctx);
    }

    @Benchmark
    @Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-Dsparq.sparseDensity=0"})
    public void dense() {
        kernel.run(new Tensor[] {a, b, c}, ctx);
    }
}
