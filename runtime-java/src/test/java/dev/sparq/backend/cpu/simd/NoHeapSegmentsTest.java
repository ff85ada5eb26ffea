package dev.sparq.backend.cpu.simd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * No cpu-simd kernel hands the Vector API a float[] or int[] seen as a MemorySegment: one heap segment through
 * {@code FloatVector.fromMemorySegment} or {@code intoMemorySegment} anywhere in the process leaves their shared JDK
 * code bimorphic, and every vector access compiled after it slower (MobileNetV2 run after ResNet-18 in one JVM was
 * 1.2× slower, its depthwise layers 2×: benchmarks/RESULTS.md, stop 20). Kernels use NativeScratch instead. The
 * uses left are not vector accesses: one copies a byte[] into a tensor with {@code copyFrom}, the other hands packed
 * weights to the native prefetch's downcall ({@link WeightReadAhead#segment}).
 */
class NoHeapSegmentsTest {
    private static final List<String> ALLOWED = List.of("SparseIntChoice.java", "WeightReadAhead.java");

    @Test
    void noKernelWrapsAnArrayAsASegment() throws IOException {
        Path dir = Path.of("src/main/java/dev/sparq/backend/cpu/simd");
        assertTrue(Files.isDirectory(dir), "run from the runtime-java module: " + dir.toAbsolutePath());
        List<String> offenders;
        try (Stream<Path> files = Files.list(dir)) {
            offenders = files.filter(f -> f.toString().endsWith(".java"))
                .filter(f -> !ALLOWED.contains(f.getFileName().toString()))
                .filter(f -> read(f).contains("MemorySegment.ofArray("))
                .map(f -> f.getFileName().toString()).toList();
        }
        assertEquals(List.of(), offenders);
    }

    private static String read(Path f) {
        try {
            return Files.readString(f);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
