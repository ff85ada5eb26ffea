package dev.sparq.plan;

import dev.sparq.backend.Backend;
import dev.sparq.backend.KernelRequest;
import dev.sparq.graph.Model;
import dev.sparq.graph.Node;
import dev.sparq.graph.pass.GraphPass;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Runs the layout passes of the first selected backend that has any ({@link Backend#layoutPasses}), after the graph
 * optimizer and before planning. A node an earlier backend in the preference order has a kernel for is not the
 * pass's to rewrite: the planner would give it to that backend.
 */
public final class LayoutPasses {
    private LayoutPasses() {
    }

    /** Applies them in place (except those named in {@code disabled}); returns the changes each made. */
    public static Map<String, Integer> apply(Model model, List<Backend> selected, Set<String> disabled) {
        Map<String, Integer> report = new LinkedHashMap<>();
        for (int i = 0; i < selected.size(); i++) {
            List<Backend> earlier = selected.subList(0, i);
            List<GraphPass> passes = selected.get(i).layoutPasses(n -> claimed(model, earlier, n));
            if (passes.isEmpty()) {
                continue;
            }
            for (GraphPass p : passes) {
                if (!disabled.contains(p.name())) {
                    report.merge(p.name(), p.apply(model), Integer::sum);
                }
            }
            break;
        }
        return report;
    }

    private static boolean claimed(Model model, List<Backend> backends, Node n) {
        KernelRequest req = new KernelRequest(n, model.opsetFor(n), model.graph().initializers(),
            model.graph().types(), model.arena());
        for (Backend b : backends) {
            try {
                if (b.kernelFor(req).isPresent()) {
                    return true;
                }
            } catch (RuntimeException e) {
                return true; // a node that backend finds malformed stays as it is, for the planner to report
            }
        }
        return false;
    }
}
