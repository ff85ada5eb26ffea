package dev.sparq.cli;

import dev.sparq.SessionOptions;
import dev.sparq.platform.DeviceProfile;
import dev.sparq.platform.HostInfo;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** The backend and thread options shared by commands that run models. */
final class BackendOptions {
    @Option(names = "--backend", paramLabel = "ID",
        description = "Run on this backend (nodes it cannot run fall back to cpu-ref). Default: every available backend, "
            + "in the order of this machine's device profile (see 'sparq devices').")
    String backend;

    @Option(names = "--exclude-backend", paramLabel = "ID", description = "Never use this backend (repeatable).")
    List<String> excluded = new ArrayList<>();

    @Option(names = "--threads", paramLabel = "N", description = "Intra-op threads. Default: all cores.")
    Integer threads;

    SessionOptions toSessionOptions() {
        SessionOptions.Builder b = SessionOptions.builder();
        if (backend != null) {
            b.backend(backend);
        } else {
            b.preference(DeviceProfile.forHost(HostInfo.detect()).backends());
        }
        excluded.forEach(b::excludeBackend);
        if (threads != null) {
            if (threads < 1) {
                throw new UsageException("--threads must be at least 1");
            }
            b.threads(threads);
        }
        return b.build();
    }
}
