package dev.sparq.bench;

import dev.sparq.nativecpu.CpuKernels;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
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
 * QLinearMatMul / QGemm as cpu-native runs them, one thread, µs per product: "unfused" is the int32 GEMM into a
 * [m, n] buffer then sparq_requantize_s32 (the route before the fused epilogue), "fused" is sparq_gemm_u8s8_requant
 * (each tile requantized while in cache), "int32-only" the GEMM without any requantization (what the epilogue costs,
 * by difference). Shapes m x k x n: ResNet-18's fc (1x512x1000) and a 14x14 feature map
 * through a 256 -> 256 layer (196x256x256).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--add-modules=jdk.incubator.vector"})
@State(Scope.Benchmark)
public class QLinearGemmBenchmark {
    @Param({"1x512x1000", "196x256x256"})
    String shape;

    @Param({"unfused", "fused", "int32-only"})
    String impl;

    @Param({"avx512-vnni"})
    String path;

    private int m;
    private int k;
    private int n;
    private Arena arena;
    private MemorySegment a;
    private MemorySegment packed;
    private MemorySegment sums;
    private MemorySegment bias;
    private MemorySegment mult;
    private MemorySegment acc;
    private MemorySegment y;
    private CpuKernels kernels;

    @Setup(Level.Trial)
    public void setUp() {
        String[] d = shape.split("x");
        m = Integer.parseInt(d[0]);
        k = Integer.parseInt(d[1]);
        n = Integer.parseInt(d[2]);
        kernels = CpuKernels.get();
        if (!kernels.forceGemmPath(path)) {
            throw new IllegalStateException(path + " is not supported on this CPU");
        }
        arena = Arena.ofShared();
        Random r = new Random(9);
        a = arena.allocate((long) m * k, 64);
        MemorySegment b = arena.allocate((long) k * n, 64);
        for (long i = 0; i < a.byteSize(); i++) {
            a.set(ValueLayout.JAVA_BYTE, i, (byte) r.nextInt());
        }
        for (long i = 0; i < b.byteSize(); i++) {
            b.set(ValueLayout.JAVA_BYTE, i, (byte) r.nextInt());
        }
        bias = arena.allocate(4L * n, 64);
        mult = arena.allocate(4L * n, 64);
        for (int i = 0; i < n; i++) {
            bias.setAtIndex(ValueLayout.JAVA_INT, i, r.nextInt(20001) - 10000);
            mult.setAtIndex(ValueLayout.JAVA_FLOAT, i, 0.0001f + 0.0005f * r.nextFloat());
        }
        packed = arena.allocate(kernels.packedSize(k, n), 64);
        sums = arena.allocate(4L * n, 64);
        kernels.packB(b, k, n, n, packed, sums);
        acc = arena.allocate(4L * m * n, 64);
        y = arena.allocate((long) m * n, 64);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public MemorySegment product() {
        if (impl.equals("fused")) {
            kernels.gemmU8S8Requant(m, n, k, a, k, 0, packed, sums, bias, mult, 3, false, false, y, n);
        } else if (impl.equals("int32-only")) {
            kernels.gemmU8S8S32(m, n, k, a, k, 0, packed, sums, acc, n);
        } else {
            kernels.gemmU8S8S32(m, n, k, a, k, 0, packed, sums, acc, n);
            kernels.requantize(acc, m, n, n, bias, mult, 3, false, 0, 255, y, n, 1);
        }
        return y;
    }
}
