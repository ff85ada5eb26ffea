package dev.sparq.backend.cpu.simd;

import dev.sparq.backend.WeightPrefetch;
import java.lang.foreign.MemorySegment;
import java.util.Locale;

/**
 * Which {@link WeightPrefetch} the kernels use to ask for their next weights while they compute: the one on the class
 * path (cpu-native's library), unless {@code -Dsparq.prefetch=off}. Null where there is none: the kernels then read
 * each weight panel into the caches before using it ({@link CacheWarmer}), which costs its whole fetch from memory.
 */
final class WeightReadAhead {
    static final WeightPrefetch PROVIDER = decide(System.getProperty("sparq.prefetch", "auto"));

    private WeightReadAhead() {
    }

    static WeightPrefetch decide(String setting) {
        return switch (setting.trim().toLowerCase(Locale.ROOT)) {
            case "off", "false" -> null;
            case "auto", "on", "true" -> WeightPrefetch.find();
            default -> {
                System.getLogger("dev.sparq.simd").log(System.Logger.Level.WARNING,
                    "-Dsparq.prefetch=" + setting + " is not auto or off; taking auto");
                yield WeightPrefetch.find();
            }
        };
    }

    /**
     * Packed weights as the segment {@link WeightPrefetch} takes: a heap segment, which only the native prefetch's
     * downcall ever sees, never a vector access ({@code NoHeapSegmentsTest}).
     */
    static MemorySegment segment(float[] packed) {
        return MemorySegment.ofArray(packed);
    }

    /** Asks for floats [from, to) of the packed weights seen as {@code segment}: one piece of a panel read ahead. */
    static void floats(WeightPrefetch prefetch, MemorySegment segment, int from, int to) {
        prefetch.prefetch(segment, (long) from * Float.BYTES, (long) (to - from) * Float.BYTES);
    }
}
