package dev.sparq.backend.cpu.simd;

import dev.sparq.backend.tuning.DeviceKey;
import java.util.Locale;

/**
 * Whether {@link WinogradConv} reads each point's transformed weights U[p] into the caches ({@link CacheWarmer})
 * before that point's GEMM. Inside ResNet-18 U comes from memory (layer3-4: 9.4-16.8 MB a layer), and whether one
 * sequential pass of reads beats the GEMM tile's own reads depends on the machine: on an Intel Xeon (2 MiB L2, one
 * core streaming 13-17 GB/s from memory) it took 250-380 µs off each of layer3-4's six Winograd layers (a run
 * 0.945-0.964× at 1 thread, 0.916× at 2); on an AMD Zen 5 (1 MiB L2, 44-53 GB/s) it added 38-90 µs to each
 * (benchmarks/RESULTS.md, stops 30-31). Two machines measured, so the CPU vendor decides by default:
 * {@code -Dsparq.winogradWarm=auto|true|false}.
 */
final class WinogradWeightWarming {
    static final boolean ON = decide(System.getProperty("sparq.winogradWarm", "auto"), DeviceKey.cpuVendor());

    private WinogradWeightWarming() {
    }

    /** true or false as set; anything else (auto, or a value not understood, which is logged) by the vendor. */
    static boolean decide(String setting, String vendor) {
        boolean auto = vendor.equals("GenuineIntel");
        return switch (setting.trim().toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            case "auto" -> auto;
            default -> {
                System.getLogger("dev.sparq.simd").log(System.Logger.Level.WARNING,
                    "-Dsparq.winogradWarm=" + setting + " is not auto, true or false; taking auto");
                yield auto;
            }
        };
    }
}
