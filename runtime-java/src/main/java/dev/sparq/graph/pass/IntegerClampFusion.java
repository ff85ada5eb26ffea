package dev.sparq.graph.pass;

import dev.sparq.graph.ClampedQuantizedOp;
import dev.sparq.graph.Graph;
import dev.sparq.graph.Model;
import dev.sparq.graph.Node;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import java.util.ArrayList;

/**
 * Fuses an 8-bit Clip into the integer op before it (QLinearConv, QLinearMatMul, QGemm, QLinearAdd), as
 * {@link ClampedQuantizedOp}: the kernels then clamp while they requantize, and the Clip never makes a pass of its
 * own (nor, at 2 threads, reads on one core what the other wrote). {@link QdqFusion} leaves such a Clip wherever a Relu precedes an int8 output (a clamp at the zero
 * point, which saturation does not do), i.e. after most convolutions of a sparq-calibrated model. Only a Clip with
 * constant scalar bounds of the op's output type, min ≤ max, and the sole reader of the op's output.
 */
public final class IntegerClampFusion implements GraphPass {
    @Override
    public String name() {
        return "integer-clamp-fusion";
    }

    @Override
    public int apply(Model model) {
        Graph g = model.graph();
        if (model.opset("") < 12) {
            return 0; // Clip has no integer form, nor bounds as inputs, before opset 12
        }
        int fused = 0;
        for (Node clip : new ArrayList<>(g.nodes())) {
            if (!clip.domain().isEmpty() || !clip.opType().equals("Clip") || clip.inputs().isEmpty()
                || clip.outputs().isEmpty()) {
                continue;
            }
            Node op = GraphEdits.producer(g, clip.input(0));
            if (op == null || !ClampedQuantizedOp.takesClamp(op) || GraphEdits.soleConsumer(g, clip.input(0)) != clip) {
                continue;
            }
            DType type = outputType(g, op);
            if (type != DType.U8 && type != DType.I8) {
                continue;
            }
            int[] range = ClampedQuantizedOp.bounds(op, type); // op is plain: its type's range
            long[] bounds = {range[0], range[1]};
            boolean constant = true;
            for (int i = 1; i <= 2 && constant; i++) {
                if (clip.hasInput(i)) {
                    Tensor t = g.initializers().get(clip.input(i));
                    constant = t != null && t.dtype() == type && t.size() == 1;
                    if (constant) {
                        bounds[i - 1] = t.getLong(0);
                    }
                }
            }
            if (!constant || bounds[0] > bounds[1]) {
                continue; // min > max makes every value max: rare, left to the Clip kernel
            }
            g.nodes().set(g.nodes().indexOf(op), ClampedQuantizedOp.clamped(op, bounds[0], bounds[1],
                clip.outputs().get(0)));
            g.nodes().remove(clip);
            fused++;
        }
        return fused;
    }

    /** The type of the op's output: its output zero point's, uint8 without one; QDQ fusion's values are untyped. */
    private static DType outputType(Graph g, Node op) {
        int at = ClampedQuantizedOp.outputZeroPointInput(op);
        if (!op.hasInput(at)) {
            return DType.U8;
        }
        Tensor zero = g.initializers().get(op.input(at));
        return zero != null ? zero.dtype() : g.type(op.input(at)).dtype();
    }
}
