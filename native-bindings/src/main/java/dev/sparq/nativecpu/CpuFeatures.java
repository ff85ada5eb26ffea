package dev.sparq.nativecpu;

import java.util.ArrayList;
import java.util.List;

/** Names of the feature bits sparq_cpu_features() reports (see kernels/cpu/include/sparq_kernels.h). */
public final class CpuFeatures {
    private static final String[] NAMES = {"avx2", "avx512f", "avx512bw", "avx512vnni", "avx-vnni", "amx-int8", "fma",
        "avx512vbmi", "neon", "dotprod"};

    private CpuFeatures() {
    }

    public static String describe(int bits) {
        List<String> on = new ArrayList<>();
        for (int i = 0; i < NAMES.length; i++) {
            if ((bits & (1 << i)) != 0 && !NAMES[i].isEmpty()) {
                on.add(NAMES[i]);
            }
        }
        return on.isEmpty() ? "none" : String.join(" ", on);
    }
}
