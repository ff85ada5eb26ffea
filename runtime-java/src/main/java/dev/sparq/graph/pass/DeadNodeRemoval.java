package dev.sparq.graph.pass;

import dev.sparq.graph.Graph;
import dev.sparq.graph.Model;
import dev.sparq.graph.Node;
import dev.sparq.graph.ValueInfo;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Removes nodes none of whose outputs reach a graph output, and initializers nothing reads. */
public final class DeadNodeRemoval implements GraphPass {
    @Override
    public String name() {
        return "dead-node-removal";
    }

    @Override
    public int apply(Model model) {
        Graph g = model.graph();
        if (GraphEdits.hasSubgraphs(g)) {
            return 0; // subgraphs read outer values implicitly; without tracking those, removing anything is unsafe
        }
        Set<String> live = new HashSet<>();
        for (ValueInfo out : g.outputs()) {
            live.add(out.name());
        }
        int removed = 0;
        List<Node> nodes = g.nodes();
        for (int i = nodes.size() - 1; i >= 0; i--) {
            Node n = nodes.get(i);
            if (n.outputs().stream().anyMatch(live::contains)) {
                n.inputs().stream().filter(s -> !s.isEmpty()).forEach(live::add);
            } else {
                nodes.remove(i);
                removed++;
            }
        }
        removed += (int) g.initializers().keySet().stream().filter(k -> !live.contains(k)).count();
        g.initializers().keySet().removeIf(k -> !live.contains(k));
        return removed;
    }
}
