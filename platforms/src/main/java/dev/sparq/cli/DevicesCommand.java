package dev.sparq.cli;

import dev.sparq.backend.Availability;
import dev.sparq.backend.Backend;
import dev.sparq.backend.Backends;
import dev.sparq.platform.DeviceProfile;
import dev.sparq.platform.HostInfo;
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
        HostInfo host = HostInfo.detect();
        DeviceProfile profile = DeviceProfile.forHost(host);
        System.out.printf("machine: %s %s, %d cores, caches %s, JVM %s, max heap %d MiB%n", System.getProperty("os.name"),
            host.arch(), host.cores(), host.caches(), Runtime.version(), rt.maxMemory() >> 20);
        System.out.println("ISA:     " + (host.features().isEmpty() ? "(none detected)" : String.join(" ", host.features())));
        System.out.println("profile: " + profile.name() + " (" + profile.description() + "), backend order "
            + String.join(" > ", profile.backends()));
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
