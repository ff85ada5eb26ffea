package dev.sparq.backend;

import java.lang.foreign.MemorySegment;
import java.util.ServiceLoader;

/**
 * Asks the caches for weights a kernel will read soon, and returns without waiting for them. Java has no prefetch
 * instruction: a kernel's own reads of weights that come from memory stall it, so the cpu-simd kernels read each
 * weight panel into the caches before computing with it, and the two follow each other where native runtimes overlap
 * them. A module with native code (cpu-native's kernel library) provides this through {@link ServiceLoader}; without
 * one, the kernels keep reading ahead themselves.
 */
public interface WeightPrefetch {
    /** Whether it can run here (its native library loaded). */
    boolean available();

    /**
     * Bytes [offset, offset + bytes) of {@code weights} (a heap array's segment or native memory) towards the core's
     * L2 cache; returns at once. Throws {@link IllegalArgumentException} for a range outside the segment.
     */
    void prefetch(MemorySegment weights, long offset, long bytes);

    /** The first available provider on the class path, or null. */
    static WeightPrefetch find() {
        for (WeightPrefetch p : ServiceLoader.load(WeightPrefetch.class)) {
            if (p.available()) {
                return p;
            }
        }
        return null;
    }
}
