package dev.sparq.graph.pass;

import dev.sparq.graph.Graph;
import dev.sparq.graph.Model;
import dev.sparq.graph.Node;
import dev.sparq.tensor.Tensor;
import java.util.List;
import java.util.Set;

/**
 * Moves a per-tensor QuantizeLinear up through the ops it commutes with exactly — MaxPool (quantization is monotonic,
 * so max and quantize can be swapped), Flatten, Reshape, Transpose, Squeeze, Unsqueeze (they only move values) — so
 * the op runs on 8-bit values and the QuantizeLinear lands right after the convolution that produced them, where
 * {@link QdqFusion} can turn the convolution into a QLinearConv. Runs repeatedly until nothing moves.
 */
public final class QuantizeHoisting implements GraphPass {
    private static final Set<String> COMMUTING = Set.of("MaxPool", "Flatten", "Reshape", "Transpose", "Squeeze",
        "Unsqueeze");

    @Override
    public String name() {
        return "quantize-hoisting";
    }

    @Override
    public int apply(Model model) {
        Graph g = model.graph();
        int moved = 0;
        boolean changed = true;
        while (changed) {
            changed = false;
            for (int i = 0; i < g.nodes().size(); i++) {
                Node q = g.nodes().get(i);
                if (!q.opType().equals("QuantizeLinear") || !q.domain().isEmpty() || !perTensor(g, q)) {
                    continue;
                }
                Node op = GraphEdits.producer(g, q.input(0));
                if (op == null || !op.domain().isEmpty() || !COMMUTING.contains(op.opType())
                    || GraphEdits.soleConsumer(g, q.input(0)) != q
                    || (op.opType().equals("MaxPool") && op.outputs().size() > 1 && !op.outputs().get(1).isEmpty())
                    || GraphEdits.isGraphOutput(g, op.input(0))) {
                    continue;
                }
                // X -> op -> T -> Q -> Tq   becomes   X -> Q' -> Xq -> op' -> Tq
                String xq = GraphEdits.freshName(g, op.input(0) + "_quantized");
                List<String> qInputs = new java.util.ArrayList<>(q.inputs());
                qInputs.set(0, op.input(0));
                Node hoistedQ = new Node(q.name(), q.opType(), q.domain(), qInputs, List.of(xq), q.attributes());
                List<String> opInputs = new java.util.ArrayList<>(op.inputs());
                opInputs.set(0, xq);
                Node movedOp = new Node(op.name(), op.opType(), op.domain(), opInputs, q.outputs(), op.attributes());
                int at = g.nodes().indexOf(op);
                g.nodes().set(at, hoistedQ);
                g.nodes().set(g.nodes().indexOf(q), movedOp);
                g.nodes().remove(movedOp);
                g.nodes().add(at + 1, movedOp);
                moved++;
                changed = true;
            }
        }
        return moved;
    }

    /** A scalar scale (and zero point): per-axis quantization does not commute with moving values across axes. */
    private static boolean perTensor(Graph g, Node q) {
        Tensor scale = g.initializers().get(q.input(1));
        Tensor zero = q.hasInput(2) ? g.initializers().get(q.input(2)) : null;
        return scale != null && scale.size() == 1 && (!q.hasInput(2) || (zero != null && zero.size() == 1));
    }
}
