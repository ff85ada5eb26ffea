package dev.sparq.bench;

import dev.sparq.backend.cpu.simd.IntGemm;
import dev.sparq.nativecpu.CpuKernels;
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
 * u8 × s8 → s32 GEMM, single thread, square sizes: cpu-native on each path the CPU has, and cpu-simd's pure Java
 * path ("java-vector"); weights pre-packed, as in inference. The {@code op} counter is integer operations per
 * second (2 per multiply-add).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--add-modules=jdk.incubator.vector"})
@State(Scope.Benchmark)
public class Int8GemmBenchmark {
    @Param({"256", "512", "1024"})
    int size;

    @Param({"avx512-vnni", "avx-vnni", "avx2", "scalar", "java-vector"})
    String path;

    /** "8": full int8 weights; "7": reduce_range weights in [-64, 64] (AVX2 then runs vpmaddubsw, see gemm_s8.c). */
    @Param({"8"})
    int weightBits;

    private IntGemm.Packed javaB;
    private int[] row;

    private Arena arena;
    private MemorySegment a;
    private MemorySegment packed;
    private MemorySegment sums;
    private MemorySegment c;
    private CpuKernels kernels;

    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Ops {
        public long op;
    }

    @Setup(Level.Trial)
    public void setUp() {
        kernels = CpuKernels.get();
        if (!path.equals("java-vector") && !kernels.forceGemmPath(path)) {
            throw new IllegalStateException(path + " is not supported on this CPU");
        }
        arena = Arena.ofShared();
        long n = (long) size * size;
        a = arena.allocate(n, 64);
        MemorySegment b = arena.allocate(n, 64);
        Random r = new Random(3);
        for (long i = 0; i < n; i++) {
            a.set(ValueLayout.JAVA_BYTE, i, (byte) r.nextInt());
            b.set(ValueLayout.JAVA_BYTE, i, weightBits == 7 ? (byte) (r.nextInt(129) - 64) : (byte) r.nextInt());
        }
        packed = arena.allocate(kernels.packedSize(size, size), 64);
        sums = arena.allocate(4L * size, 64);
        c = arena.allocate(4 * n, 64);
        kernels.packB(b, size, size, size, packed, sums);
        javaB = IntGemm.pack(size, size, (k, j) -> b.get(ValueLayout.JAVA_BYTE, (long) k * size + j));
        row = new int[size];
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    @Benchmark
    public void gemm(Ops o) {
        if (javaB != null && path.equals("java-vector")) {
            // cpu-simd's pure Java int8 path (32-bit lanes: the Vector API has no 8-bit dot product)
            for (int i = 0; i < size; i++) {
                for (int k = 0; k < size; k++) {
                    row[k] = (a.get(ValueLayout.JAVA_BYTE, (long) i * size + k) & 0xFF) - 128;
                }
                IntGemm.row(row, javaB, c, (long) i * size);
            }
        } else {
            kernels.gemmU8S8S32(size, size, size, a, size, 128, packed, sums, c, size);
        }
        o.op += 2L * size * size * size;
    }
}
