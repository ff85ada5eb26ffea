package dev.sparq.graph.pass;

import dev.sparq.graph.Graph;
import dev.sparq.graph.Node;
import dev.sparq.graph.ValueInfo;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Use counts and rewiring helpers shared by the passes and other graph rewrites (quantization). */
public final class GraphEdits {
    private GraphEdits() {
    }

    /** How many node inputs read each value, plus one per graph output it feeds. */
    public static Map<String, Integer> useCounts(Graph g) {
        Map<String, Integer> uses = new HashMap<>();
        for (Node n : g.nodes()) {
            for (String in : n.inputs()) {
                if (!in.isEmpty()) {
                    uses.merge(in, 1, Integer::sum);
                }
            }
        }
        for (ValueInfo out : g.outputs()) {
            uses.merge(out.name(), 1, Integer::sum);
        }
        return uses;
    }

    static boolean isGraphOutput(Graph g, String value) {
        return g.outputs().stream().anyMatch(o -> o.name().equals(value));
    }

    /** Replaces every read of {@code from} by {@code to} in the nodes. */
    static void replaceUses(Graph g, String from, String to) {
        List<Node> nodes = g.nodes();
        for (int i = 0; i < nodes.size(); i++) {
            Node n = nodes.get(i);
            if (n.inputs().contains(from)) {
                List<String> in = new ArrayList<>(n.inputs());
                in.replaceAll(v -> v.equals(from) ? to : v);
                nodes.set(i, withInputs(n, in));
            }
        }
    }

    static Node withInputs(Node n, List<String> inputs) {
        return new Node(n.name(), n.opType(), n.domain(), inputs, n.outputs(), n.attributes());
    }

    /** The node producing {@code value}, or null. */
    static Node producer(Graph g, String value) {
        for (Node n : g.nodes()) {
            if (n.outputs().contains(value)) {
                return n;
            }
        }
        return null;
    }

    /** The only node reading {@code value}, or null if it has several readers or feeds a graph output. */
    static Node soleConsumer(Graph g, String value) {
        Node found = null;
        for (Node n : g.nodes()) {
            if (n.inputs().contains(value)) {
                if (found != null || n.inputs().indexOf(value) != n.inputs().lastIndexOf(value)) {
                    return null;
                }
                found = n;
            }
        }
        return isGraphOutput(g, value) ? null : found;
    }

    public static boolean hasSubgraphs(Graph g) {
        return g.nodes().stream().anyMatch(n -> n.attributes().values().stream()
            .anyMatch(a -> a.type() == dev.sparq.graph.Attribute.Type.GRAPH || a.type() == dev.sparq.graph.Attribute.Type.GRAPHS));
    }

    /** A value name not yet used in the graph, derived from {@code base}. */
    public static String freshName(Graph g, String base) {
        java.util.Set<String> used = new java.util.HashSet<>(g.initializers().keySet());
        g.types().keySet().forEach(used::add);
        g.nodes().forEach(n -> used.addAll(n.outputs()));
        String name = base;
        for (int i = 1; used.contains(name); i++) {
            name = base + "_" + i;
        }
        return name;
    }

    /**
     * Removes every node for which {@code bypass} names a value, in graph order, rewiring the readers of the node's
     * first output to that value; returns how many were removed. {@code bypass} sees the graph as edited so far.
     */
    static int bypassAll(Graph g, java.util.function.Function<Node, String> bypass) {
        int removed = 0;
        // By index over the live list: rewiring replaces the readers' node objects as we go.
        int i = 0;
        while (i < g.nodes().size()) {
            Node n = g.nodes().get(i);
            String replacement = bypass.apply(n);
            if (replacement != null) {
                g.nodes().remove(i);
                replaceUses(g, n.outputs().get(0), replacement);
                removed++;
            } else {
                i++;
            }
        }
        return removed;
    }
}
