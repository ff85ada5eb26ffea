package dev.sparq.plan;

import dev.sparq.SessionOptions;
import dev.sparq.backend.Backend;
import dev.sparq.backend.Backends;
import dev.sparq.backend.cpu.ref.CpuRefBackend;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Turns session options into the ordered list of backends the planner tries for each node. Without a choice from
 * the user, faster backends come first; cpu-ref is always last, so every supported node has a home.
 */
public final class BackendSelector {
    /** Default preference, fastest first; ids not present on this machine are skipped. */
    static final List<String> DEFAULT_ORDER = List.of("tensorrt", "cuda", "cpu-native", "cpu-simd", CpuRefBackend.ID);

    private BackendSelector() {
    }

    public static List<Backend> select(SessionOptions options) {
        List<Backend> all = Backends.all();
        List<Backend> chosen = new ArrayList<>();
        if (!options.backends().isEmpty()) {
            for (String id : options.backends()) {
                Backend b = all.stream().filter(x -> x.id().equals(id)).findFirst()
                    .orElseThrow(() -> new BackendUnavailableException("unknown backend '" + id + "'; known: "
                        + all.stream().map(Backend::id).toList()));
                if (!b.availability().available()) {
                    throw new BackendUnavailableException("backend '" + id + "' is not available here: "
                        + b.availability().detail());
                }
                chosen.add(b);
            }
        } else {
            List<String> order = options.preference().isEmpty() ? DEFAULT_ORDER : options.preference();
            all.stream().filter(b -> b.availability().available())
                .sorted(Comparator.comparingInt(b -> rank(order, b.id())))
                .forEach(chosen::add);
        }
        chosen.removeIf(b -> options.excludedBackends().contains(b.id()));
        if (chosen.stream().noneMatch(b -> b.id().equals(CpuRefBackend.ID))
            && !options.excludedBackends().contains(CpuRefBackend.ID)) {
            all.stream().filter(b -> b.id().equals(CpuRefBackend.ID)).findFirst().ifPresent(chosen::add);
        }
        if (chosen.isEmpty()) {
            throw new BackendUnavailableException("no backend left to run on (all excluded or unavailable)");
        }
        return chosen;
    }

    /** Position in the preference order; unlisted backends go after the listed ones, cpu-ref last of all. */
    private static int rank(List<String> order, String id) {
        if (id.equals(CpuRefBackend.ID)) {
            return Integer.MAX_VALUE;
        }
        int i = order.indexOf(id);
        return i < 0 ? order.size() : i;
    }
}
