package dev.sparq.backend.cpu.simd;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class WinogradWeightWarmingTest {
    @Test
    void autoWarmsOnIntelOnlyAndASettingOverridesTheVendor() {
        assertTrue(WinogradWeightWarming.decide("auto", "GenuineIntel"));
        assertFalse(WinogradWeightWarming.decide("auto", "AuthenticAMD"));
        assertFalse(WinogradWeightWarming.decide("auto", ""));
        assertTrue(WinogradWeightWarming.decide("TRUE", "AuthenticAMD"));
        assertFalse(WinogradWeightWarming.decide(" false", "GenuineIntel"));
        assertTrue(WinogradWeightWarming.decide("yes", "GenuineIntel"), "not understood: auto");
        assertFalse(WinogradWeightWarming.decide("yes", "AuthenticAMD"), "not understood: auto");
    }
}
