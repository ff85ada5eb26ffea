package dev.sparq.graph;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Checks that a node list forms a well-defined DAG and returns it in topological order. */
public final class GraphValidator {
    private GraphValidator() {
    }

    /**
     * Nodes ordered so each runs after the producers of its inputs (stable: an already sorted list is unchanged).
     *
     * @param available names defined before any node runs: graph inputs, initializers, outer-scope values
     * @throws ModelFormatException on a value defined twice, an input nobody defines, a cycle, or a graph output
     *                             nobody produces
     */
    public static List<Node> topologicalOrder(List<Node> nodes, List<String> available, List<ValueInfo> outputs) {
        Set<String> defined = new HashSet<>(available);
        Map<String, Integer> producer = new HashMap<>();
        for (int i = 0; i < nodes.size(); i++) {
            for (String out : nodes.get(i).outputs()) {
                if (out.isEmpty()) {
                    continue;
                }
                if (defined.contains(out) || producer.putIfAbsent(out, i) != null) {
                    throw new ModelFormatException("value '" + out + "' is defined more than once (again by "
                        + nodes.get(i).label() + ")");
                }
            }
        }
        int[] pending = new int[nodes.size()];
        Map<String, List<Integer>> consumers = new HashMap<>();
        for (int i = 0; i < nodes.size(); i++) {
            Set<String> seen = new HashSet<>();
            for (String in : nodes.get(i).inputs()) {
                if (in.isEmpty() || defined.contains(in) || !seen.add(in)) {
                    continue;
                }
                if (!producer.containsKey(in)) {
                    throw new ModelFormatException(nodes.get(i).label() + " uses value '" + in
                        + "', which no node, graph input or initializer defines");
                }
                pending[i]++;
                consumers.computeIfAbsent(in, k -> new ArrayList<>()).add(i);
            }
        }
        // Kahn's algorithm, always taking the lowest-numbered ready node to keep the file's order when valid.
        java.util.PriorityQueue<Integer> ready = new java.util.PriorityQueue<>();
        for (int i = 0; i < nodes.size(); i++) {
            if (pending[i] == 0) {
                ready.add(i);
            }
        }
        List<Node> order = new ArrayList<>(nodes.size());
        while (!ready.isEmpty()) {
            int i = ready.poll();
            order.add(nodes.get(i));
            for (String out : nodes.get(i).outputs()) {
                for (int c : consumers.getOrDefault(out, List.of())) {
                    if (--pending[c] == 0) {
                        ready.add(c);
                    }
                }
            }
        }
        if (order.size() != nodes.size()) {
            Deque<String> stuck = new ArrayDeque<>();
            for (int i = 0; i < nodes.size() && stuck.size() < 3; i++) {
                if (pending[i] > 0) {
                    stuck.add(nodes.get(i).label());
                }
            }
            throw new ModelFormatException("the graph has a cycle (involving " + String.join(", ", stuck) + ")");
        }
        for (ValueInfo out : outputs) {
            if (!defined.contains(out.name()) && !producer.containsKey(out.name())) {
                throw new ModelFormatException("graph output '" + out.name() + "' is produced by no node");
            }
        }
        return order;
    }
}
