package dev.sparq.plan;

import dev.sparq.graph.Graph;
import dev.sparq.tensor.Tensor;
import java.util.List;
import java.util.Map;

/**
 * A graph compiled for execution: steps in order, every value given a slot, constants placed, and for each slot
 * the step after which nothing reads it (so the executor frees activations as early as possible).
 *
 * @param slots      value name → slot
 * @param constants  slot → constant tensor (initializers; owned by the model)
 * @param inputSlots graph input name → slot, in graph order
 * @param outputSlots graph output name → slot, in graph order
 * @param lastUse    slot → index of the last step reading it (-1 if no step reads it)
 */
public record ExecutionPlan(Graph graph, List<Step> steps, Map<String, Integer> slots, Map<Integer, Tensor> constants,
                            Map<String, Integer> inputSlots, Map<String, Integer> outputSlots, int[] lastUse) {
    public int slotCount() {
        return lastUse.length;
    }

    /** How many nodes each backend runs, for reports. */
    public Map<String, Long> nodesPerBackend() {
        return steps.stream().collect(java.util.stream.Collectors.groupingBy(Step::backendId,
            java.util.TreeMap::new, java.util.stream.Collectors.counting()));
    }
}
