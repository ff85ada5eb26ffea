package dev.sparq.nativecpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparq.backend.WeightPrefetch;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The native prefetch behind cpu-simd's weight read-ahead: found on the class path, range-checked, harmless. */
class NativeWeightPrefetchTest {
    @BeforeEach
    void requireCompiler() {
        org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.Files.exists(java.nio.file.Path.of("/usr/bin/gcc")),
            "no C compiler at build time: the native library was not built");
    }

    @Test
    void theKernelLibraryProvidesIt() {
        assertTrue(new NativeWeightPrefetch().available(), String.valueOf(CpuKernels.get().failure()));
        assertInstanceOf(NativeWeightPrefetch.class, WeightPrefetch.find());
    }

    @Test
    void heapArraysAndNativeMemoryAreAskedForAndLeftAsTheyWere() {
        WeightPrefetch p = new NativeWeightPrefetch();
        float[] weights = new float[10_001];
        for (int i = 0; i < weights.length; i++) {
            weights[i] = i * 0.5f;
        }
        float[] copy = weights.clone();
        MemorySegment heap = MemorySegment.ofArray(weights);
        p.prefetch(heap, 0, heap.byteSize());
        p.prefetch(heap, 4, 61); // inside a line, an odd length
        p.prefetch(heap, heap.byteSize(), 0);
        assertArrayEquals(copy, weights);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment off = arena.allocate(1 << 20, 64);
            p.prefetch(off, 0, off.byteSize());
            p.prefetch(off, (1 << 20) - 1, 1);
        }
    }

    @Test
    void rangesOutsideTheSegmentAreRefusedBeforeC() {
        WeightPrefetch p = new NativeWeightPrefetch();
        MemorySegment heap = MemorySegment.ofArray(new float[100]);
        assertThrows(IllegalArgumentException.class, () -> p.prefetch(heap, -4, 16));
        assertThrows(IllegalArgumentException.class, () -> p.prefetch(heap, 0, 401));
        assertThrows(IllegalArgumentException.class, () -> p.prefetch(heap, 396, 8));
        assertThrows(IllegalArgumentException.class, () -> p.prefetch(heap, 8, -1));
        assertThrows(IllegalArgumentException.class, () -> p.prefetch(heap, Long.MAX_VALUE, 1));
    }
}
