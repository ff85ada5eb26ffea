package dev.sparq.graph.pass;

import dev.sparq.graph.Graph;
import dev.sparq.graph.Model;
import dev.sparq.graph.Node;
import dev.sparq.graph.ValueType;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import java.util.ArrayList;

/**
 * Replaces Shape and Size of values whose shape is fully known at load (from shape inference) by constants, so the
 * arithmetic exporters build on them (Gather, Concat, Reshape targets) folds away too. Shapes with a symbolic
 * batch stay at run time.
 */
public final class ShapeOpFolding implements GraphPass {
    @Override
    public String name() {
        return "shape-op-folding";
    }

    @Override
    public int apply(Model model) {
        Graph g = model.graph();
        int folded = 0;
        for (Node n : new ArrayList<>(g.nodes())) {
            if (!n.domain().isEmpty() || !(n.opType().equals("Shape") || n.opType().equals("Size")) || !n.hasInput(0)
                || GraphEdits.isGraphOutput(g, n.outputs().get(0))) {
                continue;
            }
            ValueType t = g.type(n.input(0));
            long[] shape = t.kind() == ValueType.Kind.TENSOR ? t.concreteShape() : null;
            if (shape == null) {
                continue;
            }
            Tensor value;
            if (n.opType().equals("Size")) {
                value = Tensor.allocate(DType.I64, new long[0], model.arena());
                value.setLong(0, dev.sparq.tensor.Shapes.size(shape));
            } else {
                int rank = shape.length;
                int start = clampAxis(n.intAttr("start", 0), rank);
                int end = clampAxis(n.intAttr("end", rank), rank);
                int len = Math.max(0, end - start);
                value = Tensor.allocate(DType.I64, new long[] {len}, model.arena());
                for (int i = 0; i < len; i++) {
                    value.setLong(i, shape[start + i]);
                }
            }
            g.initializers().put(n.outputs().get(0), value);
            g.setType(n.outputs().get(0), ValueType.tensor(DType.I64, value.shape()));
            g.nodes().remove(n);
            folded++;
        }
        return folded;
    }

    private static int clampAxis(long axis, int rank) {
        long a = axis < 0 ? axis + rank : axis;
        return (int) Math.max(0, Math.min(rank, a));
    }
}
