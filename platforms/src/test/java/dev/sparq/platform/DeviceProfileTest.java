package dev.sparq.platform;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import org.junit.jupiter.api.Test;

class DeviceProfileTest {
    private static HostInfo host(String arch, Set<String> features, String model) {
        return new HostInfo(arch, features, 4, "unknown", model);
    }

    @Test
    void eachBoardGetsItsProfile() {
        assertEquals("x86-avx512-vnni", DeviceProfile.forHost(host("amd64",
            Set.of("avx2", "avx512f", "avx512bw", "avx512vnni"), "Intel Xeon")).name());
        assertEquals("x86-avx2", DeviceProfile.forHost(host("amd64", Set.of("avx2"), "AMD Ryzen 5 3600")).name());
        assertEquals("jetson-orin-cpu", DeviceProfile.forHost(host("aarch64", Set.of("neon", "dotprod"),
            "CPU part : 0xd42\nNVIDIA Jetson AGX Orin Developer Kit")).name());
        assertEquals("raspberry-pi-5", DeviceProfile.forHost(host("aarch64", Set.of("neon", "dotprod"),
            "CPU part : 0xd0b\nRaspberry Pi 5 Model B Rev 1.0")).name());
        assertEquals("generic", DeviceProfile.forHost(host("aarch64", Set.of("neon"), "Raspberry Pi 3")).name());
    }

    @Test
    void everyProfileEndsWithTheReferenceBackend() {
        for (DeviceProfile p : DeviceProfile.bundled()) {
            assertEquals("cpu-ref", p.backends().get(p.backends().size() - 1), p.name());
            assertTrue(p.backends().contains("cpu-simd"), p.name());
        }
    }

    @Test
    void thisMachineMatchesSomeProfile() {
        HostInfo here = HostInfo.detect();
        assertTrue(DeviceProfile.forHost(here).matches(here));
    }
}
