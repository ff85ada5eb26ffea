package dev.sparq.backend.tuning;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What a timing result is valid for: the CPU model, the backend with its instruction set, the core count, the sparq
 * version and the generation of the timing method. A different machine, vector width, release or timer times again.
 */
public final class DeviceKey {
    private static final String CPU = cpuModel();
    /**
     * Raised when the way candidates are timed changes. 2: timing waits for the JIT to settle; generation 1 timed
     * candidates still on their way to C2, 3-60× slow, so its choices are not kept. 3: a candidate that beats the
     * node's rule is timed against it a second time, longer (stop 18), and must beat it by the margin (stop 19); a
     * generation-2 cache on the stop-19 machine held ResNet-18's 56×56 layers on pixel-rows (1.08-1.18 ms in the
     * model) where Winograd, the rule, runs 0.90-0.97 ms. 4: until stop 20, a process that had run Winograd timed
     * every later candidate with the JIT's segment-access code slowed by a heap segment (benchmarks/RESULTS.md, stop
     * 20, item 6), so choices made then compared slowed code. 5: stop 21's Winograd output transform (no scatter
     * stores) made every Winograd layer of ResNet-18 40-75 µs faster, so choices against Winograd are timed again.
     * 6: stop 22's GEMM and depthwise stores (clamps by compare and blend, partial tiles without the per-row path)
     * made short-reduction tiles 10-25% faster, so choices among GEMM-based candidates are timed again. 7: stop
     * 23's 14-row panels took the tail off nhwc-rows at 14×14 and 7×7 (5-15% faster), so it is timed again. 8:
     * stop 24 made pixel-gemm the baseline of first layers (ResNet-18's stem had fallen back to the im2col GEMM,
     * 1.5 against 1.3 ms in the model) and stored its product transposed in one pass. 9: stop 26's nhwc-rows and
     * pixel-rows read their weights into the caches first (nhwc-rows over 512 KiB weight panel by weight panel), so
     * choices involving them are timed again. 10: stop 31's {@code WinogradConv} reads each point's weights into the
     * caches first on Intel CPUs ({@code WinogradWeightWarming}), so choices against Winograd are timed again. 11:
     * stop 32 makes pixel rows the rule at 7×7 where those weights are warmed, so F(2×2) must beat it by the margin.
     */
    static final int TIMER_GENERATION = 11;

    private DeviceKey() {
    }

    public static String of(String backend) {
        return CPU + " | " + backend + " | " + Runtime.getRuntime().availableProcessors() + " cores | sparq "
            + dev.sparq.Sparq.version() + " | timer " + TIMER_GENERATION;
    }

    /** The "model name" of /proc/cpuinfo where there is one, else the OS architecture. */
    static String cpuModel() {
        String model = cpuInfo("model name");
        return model != null ? model : System.getProperty("os.arch", "unknown");
    }

    /** The "vendor_id" of /proc/cpuinfo ("GenuineIntel", "AuthenticAMD"), or "" where there is none. */
    public static String cpuVendor() {
        String vendor = cpuInfo("vendor_id");
        return vendor != null ? vendor : "";
    }

    /** The value of the first /proc/cpuinfo line that starts with {@code key}, or null. */
    private static String cpuInfo(String key) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith(key) && line.indexOf(':') > 0) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or not readable: the architecture still separates the obvious cases
        }
        return null;
    }
}
