package dev.sparq.plan;

import dev.sparq.graph.Dim;
import dev.sparq.graph.ValueType;
import dev.sparq.tensor.Shapes;
import java.util.ArrayList;
import java.util.List;

/**
 * Activation memory of a plan worked out before running, from the shapes inferred at load with every symbolic
 * dimension set to one value (the batch): the slab the liveness planner would lay out, the lower bound, and how
 * many values had shapes too dynamic to count.
 */
public record MemoryEstimate(long slabBytes, long lowerBound, int unknownValues) {
    public static MemoryEstimate of(ExecutionPlan plan, long symbolValue) {
        List<IntervalPacker.Buffer> buffers = new ArrayList<>();
        int unknown = 0;
        boolean[] isOutput = new boolean[plan.slotCount()];
        plan.outputSlots().values().forEach(s -> isOutput[s] = true);
        for (int s = 0; s < plan.steps().size(); s++) {
            Step step = plan.steps().get(s);
            for (int o = 0; o < step.outputs().length; o++) {
                int slot = step.outputs()[o];
                if (slot < 0) {
                    continue;
                }
                long bytes = bytes(plan.graph().type(step.node().outputs().get(o)), symbolValue);
                if (bytes < 0) {
                    unknown++;
                    continue;
                }
                int last = isOutput[slot] ? plan.steps().size() : Math.max(s, plan.lastUse()[slot]);
                buffers.add(new IntervalPacker.Buffer(bytes, s, last));
            }
        }
        IntervalPacker.Layout layout = IntervalPacker.pack(buffers);
        return new MemoryEstimate(layout.slabBytes(), layout.lowerBound(), unknown);
    }

    private static long bytes(ValueType t, long symbolValue) {
        if (t.kind() != ValueType.Kind.TENSOR || t.dtype() == null || !t.hasRank()) {
            return -1;
        }
        long[] shape = new long[t.rank()];
        for (int i = 0; i < shape.length; i++) {
            Dim d = t.dims().get(i);
            if (d.isKnown()) {
                shape[i] = d.value();
            } else if (d.symbol() != null) {
                shape[i] = symbolValue;
            } else {
                return -1;
            }
        }
        return Shapes.size(shape) * t.dtype().byteSize();
    }
}
