package dev.sparq.bench;

import dev.sparq.backend.ExecutionContext;
import dev.sparq.backend.cpu.simd.Sgemm;
import dev.sparq.nativecpu.NativeSgemm;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import java.util.concurrent.TimeUnit;
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
 * Single-threaded SGEMM, square sizes, in one run: sparq's Vector API GEMM (weights pre-packed, as in inference,
 * and packing both operands, as a BLAS does) against sparq's C kernel (cpu-native's comparison SGEMM, weights
 * pre-packed, one call per product) and Debian's OpenBLAS. The {@code flop} counter is the figure to
 * read: FLOP/s (×1e-9 = GFLOP/s).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
@State(Scope.Benchmark)
public class SgemmBenchmark {
    @Param({"128", "256", "512", "1024"})
    int size;

    private Arena arena;
    private MemorySegment a;
    private MemorySegment b;
    private MemorySegment c;
    private Sgemm.PackedB packed;
    private OpenBlas blas;
    private NativeSgemm.PackedB nativePacked;
    private final ExecutionContext ctx = ExecutionContext.standalone();

    /** Floating-point operations done, reported by JMH as a rate. */
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Flops {
        public long flop;
    }

    @Setup(Level.Trial)
    public void setUp() {
        arena = Arena.ofShared();
        long n = (long) size * size;
        a = arena.allocate(n * 4, 64);
        b = arena.allocate(n * 4, 64);
        c = arena.allocate(n * 4, 64);
        Random r = new Random(1);
        for (long i = 0; i < n; i++) {
            a.setAtIndex(ValueLayout.JAVA_FLOAT, i, r.nextFloat() - 0.5f);
            b.setAtIndex(ValueLayout.JAVA_FLOAT, i, r.nextFloat() - 0.5f);
        }
        packed = Sgemm.packB(b, size, size);
        blas = OpenBlas.load();
        blas.threads(1);
        System.out.println("# sparq GEMM: " + Sgemm.describe());
        nativePacked = NativeSgemm.get().pack(b, size, size, size);
        System.out.println("# native C SGEMM path: " + NativeSgemm.get().path());
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        nativePacked.close();
        arena.close();
    }

    @Benchmark
    public void sparqPackedWeights(Flops f) {
        Sgemm.multiply(a, size, size, packed, c, ctx);
        f.flop += 2L * size * size * size;
    }

    /** The same kernel forced to 256-bit vectors: is 512 worth it on this CPU? */
    @Benchmark
    @Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
        "-Dsparq.simd=256"})
    public void sparqPackedWeights256(Flops f) {
        Sgemm.multiply(a, size, size, packed, c, ctx);
        f.flop += 2L * size * size * size;
    }

    @Benchmark
    public void sparqPackBoth(Flops f) {
        Sgemm.multiply(a, b, c, size, size, size, ctx);
        f.flop += 2L * size * size * size;
    }

    @Benchmark
    public void nativeC(Flops f) {
        NativeSgemm.get().multiply(size, a, size, nativePacked, c, size);
        f.flop += 2L * size * size * size;
    }

    @Benchmark
    public void openblas(Flops f) {
        blas.sgemm(size, size, size, a, b, c);
        f.flop += 2L * size * size * size;
    }
}
