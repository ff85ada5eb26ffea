package dev.sparq.backend.cpu.simd;

import dev.sparq.backend.tuning.KernelTuner;
import dev.sparq.backend.tuning.TimingCache;
import java.util.List;

/** Fake-timed tuners for kernel tests: the choice is whatever the test says, the machine has no say. */
final class Tuners {
    private Tuners() {
    }

    /** A tuner whose timer makes {@code name} the fastest; the node must offer it. */
    static KernelTuner forcing(String name) {
        return KernelTuner.timing(TimingCache.inMemory(), (names, runs, budget) -> {
            if (!names.contains(name)) {
                throw new AssertionError(name + " is not among the candidates " + names);
            }
            return names.stream().mapToDouble(n -> n.equals(name) ? 1 : 1000).toArray();
        }, 0);
    }

    /** A tuner that notes the candidates it was offered (that ran without failing) and picks the first. */
    static KernelTuner recording(List<String> offered) {
        return KernelTuner.timing(TimingCache.inMemory(), (names, runs, budget) -> {
            offered.clear();
            offered.addAll(names);
            return names.stream().mapToDouble(n -> n.equals(names.get(0)) ? 1 : 1000).toArray();
        }, 0);
    }
}
