package dev.sparq.cli;

import dev.sparq.backend.Availability;
import dev.sparq.backend.Backend;
import dev.sparq.backend.Backends;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code sparq devices}: every backend, available or not, and why. */
@Command(name = "devices", description = "List backends and devices, and why any is absent.")
final class DevicesCommand implements Callable<Integer> {
    /** Backends of sparq's design; any not registered by this build is listed as absent. */
    private static final List<String> DESIGNED = List.of("cpu-ref", "cpu-simd", "cpu-native", "cuda", "tensorrt");

    @Override
    public Integer call() {
        Runtime rt = Runtime.getRuntime();
        System.out.printf("machine: %s %s, %d cores, JVM %s, max heap %d MiB%n", System.getProperty("os.name"),
            System.getProperty("os.arch"), rt.availableProcessors(), Runtime.version(), rt.maxMemory() >> 20);
        List<Backend> found = Backends.all();
        for (Backend b : found) {
            Availability a = b.availability();
            System.out.printf("%-11s %-9s %s — %s%n", b.id(), a.available() ? "available" : "absent", b.description(),
                a.detail());
        }
        for (String id : DESIGNED) {
            if (found.stream().noneMatch(b -> b.id().equals(id))) {
                System.out.printf("%-11s %-9s not part of this build yet%n", id, "absent");
            }
        }
        return ExitCodes.OK;
    }
}
