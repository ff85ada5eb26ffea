package dev.sparq.platform;

import dev.sparq.nativecpu.CpuFeatures;
import dev.sparq.nativecpu.CpuKernels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.TreeMap;

/**
 * What this machine is: architecture, ISA extensions (cpuid through the native library, else /proc/cpuinfo flags),
 * cores, cache sizes (sysfs), and the text device profiles match models against (/proc/cpuinfo and the device-tree
 * model, e.g. "Raspberry Pi 5 Model B").
 */
public record HostInfo(String arch, Set<String> features, int cores, String caches, String modelText) {
    public static HostInfo detect() {
        String arch = System.getProperty("os.arch");
        String cpuinfo = read(Path.of("/proc/cpuinfo"));
        String model = cpuinfo + "\n" + read(Path.of("/proc/device-tree/model")).replace('\0', ' ');
        return new HostInfo(arch, features(cpuinfo), Runtime.getRuntime().availableProcessors(), cacheSizes(), model);
    }

    private static Set<String> features(String cpuinfo) {
        Set<String> f = new LinkedHashSet<>();
        CpuKernels k = CpuKernels.get();
        if (k.failure() == null) {
            f.addAll(Arrays.asList(CpuFeatures.describe(k.features()).split(" ")));
            f.remove("none");
            return f;
        }
        for (String line : cpuinfo.split("\n")) {
            if (line.startsWith("flags") || line.startsWith("Features")) {
                for (String flag : line.substring(line.indexOf(':') + 1).trim().split("\\s+")) {
                    switch (flag) {
                        case "avx2" -> f.add("avx2");
                        case "avx512f" -> f.add("avx512f");
                        case "avx512bw" -> f.add("avx512bw");
                        case "avx512_vnni" -> f.add("avx512vnni");
                        case "avx_vnni" -> f.add("avx-vnni");
                        case "asimd" -> f.add("neon");
                        case "asimddp" -> f.add("dotprod");
                        default -> { }
                    }
                }
                break;
            }
        }
        return f;
    }

    /** "L1d 48K, L2 2048K, L3 ..." of cpu0, or "unknown". */
    private static String cacheSizes() {
        Path dir = Path.of("/sys/devices/system/cpu/cpu0/cache");
        TreeMap<String, String> sizes = new TreeMap<>();
        for (int i = 0; i < 8; i++) {
            Path idx = dir.resolve("index" + i);
            String level = read(idx.resolve("level")).trim();
            String type = read(idx.resolve("type")).trim();
            String size = read(idx.resolve("size")).trim();
            if (!level.isEmpty() && !size.isEmpty() && !type.equals("Instruction")) {
                sizes.put("L" + level + (type.equals("Data") ? "d" : ""), size);
            }
        }
        return sizes.isEmpty() ? "unknown" : sizes.toString().replaceAll("[{}]", "").replace("=", " ");
    }

    private static String read(Path p) {
        try {
            return Files.isReadable(p) ? Files.readString(p) : "";
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }
}
