package dev.sparq.cli;

import dev.sparq.SessionOptions;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** The backend and thread options shared by commands that run models. */
final class BackendOptions {
    @Option(names = "--backend", paramLabel = "ID",
        description = "Run on this backend (nodes it cannot run fall back to cpu-ref). Default: best available.")
    String backend;

    @Option(names = "--exclude-backend", paramLabel = "ID", description = "Never use this backend (repeatable).")
    List<String> excluded = new ArrayList<>();

    @Option(names = "--threads", paramLabel = "N", description = "Intra-op threads. Default: all cores.")
    Integer threads;

    SessionOptions toSessionOptions() {
        SessionOptions.Builder b = SessionOptions.builder();
        if (backend != null) {
            b.backend(backend);
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
