package dev.sparq.bench;

import dev.sparq.nativecpu.FfmProbe;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The cost of one FFM downcall into libsparq_kernels by itself: a no-op with the fused convolution's signature
 * (seven pointers, two ints), linked normally and with {@code Linker.Option.critical(false)}. Compare with the
 * smallest MobileNetV2 layer (Int8Conv -p shape=960,960,7,960) for the per-kernel overhead.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED"})
@State(Scope.Benchmark)
public class FfmOverheadBenchmark {
    private final FfmProbe probe = new FfmProbe();
    private final MemorySegment segment = Arena.global().allocate(64);

    @Benchmark
    public void regular() {
        probe.regular(segment, 1, 2);
    }

    @Benchmark
    public void critical() {
        probe.critical(segment, 1, 2);
    }
}
