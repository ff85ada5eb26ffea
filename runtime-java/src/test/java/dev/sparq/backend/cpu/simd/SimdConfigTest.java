package dev.sparq.backend.cpu.simd;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The width asked for with -Dsparq.simd is the width that runs (so each test pass covers what it claims). */
class SimdConfigTest {
    @Test
    void forcedWidthIsUsed() {
        String forced = System.getProperty("sparq.simd", "auto");
        MicroKernel mk = MicroKernel.get();
        switch (forced) {
            case "scalar" -> {
                assertEquals(0, SimdConfig.BITS);
                assertEquals(ScalarMicroKernel.class, mk.getClass());
                assertEquals(ScalarOps.class, SimdOps.get().getClass());
            }
            case "128", "256", "512" -> {
                int bits = Math.min(Integer.parseInt(forced), PanamaSpecies.preferredBits());
                assertEquals(bits, SimdConfig.BITS);
                assertEquals(PanamaMicroKernel.class, mk.getClass());
                assertEquals(2 * bits / 32, mk.nr());
            }
            default -> assertEquals(PanamaMicroKernel.class, mk.getClass());
        }
    }
}
