package dev.sparq.graph.pass;

import dev.sparq.graph.Graph;
import dev.sparq.graph.Model;
import dev.sparq.graph.Node;

/**
 * Removes Identity nodes, inference-time Dropout (whose mask output nobody reads) and Casts to the type their input
 * already has (PyTorch's QDQ export adds them around every QuantizeLinear): readers of the output read the input
 * instead. A node whose output is a graph output stays, so graph output names never change.
 */
public final class IdentityRemoval implements GraphPass {
    @Override
    public String name() {
        return "identity-removal";
    }

    @Override
    public int apply(Model model) {
        Graph g = model.graph();
        return GraphEdits.bypassAll(g, n ->
            isNoOp(g, n) && !GraphEdits.isGraphOutput(g, n.outputs().get(0)) ? n.input(0) : null);
    }

    private static boolean isNoOp(Graph g, Node n) {
        if (!n.domain().isEmpty() || n.inputs().isEmpty() || !n.hasInput(0)) {
            return false;
        }
        if (n.opType().equals("Identity")) {
            return true;
        }
        if (n.opType().equals("Cast")) {
            dev.sparq.tensor.DType in = g.type(n.input(0)).dtype();
            return in != null && n.has("to") && in == dev.sparq.tensor.DType.fromOnnx((int) n.intAttr("to", 0));
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
