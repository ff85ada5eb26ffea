package dev.sparq.plan;

import dev.sparq.UnsupportedOperatorException;
import dev.sparq.backend.Backend;
import dev.sparq.backend.Kernel;
import dev.sparq.backend.KernelRequest;
import dev.sparq.backend.cpu.ref.CpuRefBackend;
import dev.sparq.graph.Graph;
import dev.sparq.graph.Model;
import dev.sparq.graph.Node;
import dev.sparq.graph.ValueInfo;
import dev.sparq.tensor.Tensor;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Gives each node to the first backend, in preference order, that has a kernel for it, and lays out value slots.
 */
public final class Planner {
    private Planner() {
    }

    public static ExecutionPlan plan(Model model, List<Backend> preference) {
        Graph g = model.graph();
        Map<String, Integer> slots = new LinkedHashMap<>();
        Map<Integer, Tensor> constants = new HashMap<>();
        Map<String, Integer> inputSlots = new LinkedHashMap<>();
        for (ValueInfo in : g.inputs()) {
            inputSlots.put(in.name(), slot(slots, in.name()));
        }
        for (Map.Entry<String, Tensor> e : g.initializers().entrySet()) {
            constants.put(slot(slots, e.getKey()), e.getValue());
        }
        List<Step> steps = new java.util.ArrayList<>();
        for (Node node : g.nodes()) {
            KernelRequest req = new KernelRequest(node, model.opsetFor(node), g.initializers(), g.types(),
                model.arena());
            steps.add(bind(node, req, preference, slots));
        }
        Map<String, Integer> outputSlots = new LinkedHashMap<>();
        for (ValueInfo out : g.outputs()) {
            outputSlots.put(out.name(), slot(slots, out.name()));
        }
        int[] lastUse = new int[slots.size()];
        Arrays.fill(lastUse, -1);
        for (int s = 0; s < steps.size(); s++) {
            for (int in : steps.get(s).inputs()) {
                if (in >= 0) {
                    lastUse[in] = s;
                }
            }
        }
        return new ExecutionPlan(g, List.copyOf(steps), Map.copyOf(slots), Map.copyOf(constants),
            inputSlots, outputSlots, lastUse);
    }

    private static Step bind(Node node, KernelRequest req, List<Backend> preference, Map<String, Integer> slots) {
        for (Backend b : preference) {
            Optional<Kernel> k;
            try {
                k = b.kernelFor(req);
            } catch (IllegalArgumentException | IndexOutOfBoundsException | ClassCastException e) {
                // e.g. an attribute of the wrong type: the model's fault, reported with the node's name
                throw new dev.sparq.InvalidInputException(node.label() + ": " + e.getMessage(), e);
            }
            if (k.isPresent()) {
                int[] in = node.inputs().stream().mapToInt(n -> n.isEmpty() ? -1 : slot(slots, n)).toArray();
                int[] out = node.outputs().stream().mapToInt(n -> n.isEmpty() ? -1 : slot(slots, n)).toArray();
                return new Step(node, b.id(), k.get(), in, out);
            }
        }
        String why = CpuRefBackend.whyUnsupported(req);
        throw new UnsupportedOperatorException(node.opType(), node.label() + ": "
            + (why != null ? why : "no selected backend implements it")
            + (node.domain().isEmpty() ? "" : " (domain " + node.domain() + ")"));
    }

    private static int slot(Map<String, Integer> slots, String name) {
        return slots.computeIfAbsent(name, k -> slots.size());
    }
}
