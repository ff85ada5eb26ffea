package dev.sparq.backend.cpu.simd;

import java.util.Locale;

/**
 * Which vector width cpu-simd uses, decided once at startup. {@code -Dsparq.simd=auto|512|256|128|scalar} forces one;
 * {@code auto} takes the JVM's preferred species, except that it never picks the Vector API when the
 * {@code jdk.incubator.vector} module is not in the boot layer (then the scalar fallback runs).
 */
public final class SimdConfig {
    /** Bits per vector, or 0 for the scalar fallback. */
    public static final int BITS = decideBits();

    private SimdConfig() {
    }

    public static boolean vectorApiPresent() {
        return ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    }

    private static int decideBits() {
        String forced = System.getProperty("sparq.simd", "auto").toLowerCase(Locale.ROOT);
        if (forced.equals("scalar") || !vectorApiPresent()) {
            return 0;
        }
        int preferred = PanamaSpecies.preferredBits();
        return switch (forced) {
            case "512" -> Math.min(512, preferred);
            case "256" -> Math.min(256, preferred);
            case "128" -> 128;
            default -> preferred >= 512 ? 512 : preferred;
        };
    }

    public static String describe() {
        return BITS == 0 ? (vectorApiPresent() ? "scalar fallback (forced)" : "scalar fallback (no jdk.incubator.vector)")
            : BITS + "-bit Vector API";
    }
}
