package dev.sparq.graph.pass;

import dev.sparq.graph.Graph;
import dev.sparq.graph.Model;
import dev.sparq.graph.Node;
import java.util.Iterator;
import java.util.List;

/**
 * Removes Identity nodes and inference-time Dropout (whose mask output nobody reads): readers of the output read
 * the input instead. A node whose output is a graph output stays, so graph output names never change.
 */
public final class IdentityRemoval implements GraphPass {
    @Override
    public String name() {
        return "identity-removal";
    }

    @Override
    public int apply(Model model) {
        Graph g = model.graph();
        int removed = 0;
        for (Iterator<Node> it = List.copyOf(g.nodes()).iterator(); it.hasNext(); ) {
            Node n = it.next();
            if (!isNoOp(g, n)) {
                continue;
            }
            String out = n.outputs().get(0);
            if (GraphEdits.isGraphOutput(g, out)) {
                continue;
            }
            g.nodes().remove(n);
            GraphEdits.replaceUses(g, out, n.input(0));
            removed++;
        }
        return removed;
    }

    private static boolean isNoOp(Graph g, Node n) {
        if (!n.domain().isEmpty() || n.inputs().isEmpty() || !n.hasInput(0)) {
            return false;
        }
        if (n.opType().equals("Identity")) {
            return true;
        }
        if (n.opType().equals("Dropout")) {
            // With training_mode absent or a constant false, Dropout is the identity; its mask must be unused.
            boolean maskUsed = n.outputs().size() > 1 && !n.outputs().get(1).isEmpty()
                && GraphEdits.useCounts(g).containsKey(n.outputs().get(1));
            boolean training = n.hasInput(2) && (g.initializers().get(n.input(2)) == null
                || g.initializers().get(n.input(2)).getLong(0) != 0);
            return !maskUsed && !training;
        }
        return false;
    }
}
