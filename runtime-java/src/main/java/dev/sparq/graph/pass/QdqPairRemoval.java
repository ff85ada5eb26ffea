package dev.sparq.graph.pass;

import dev.sparq.graph.Graph;
import dev.sparq.graph.Model;
import dev.sparq.graph.Node;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;

/**
 * Removes {@code QuantizeLinear(DequantizeLinear(x))} when both use the same per-tensor scale and zero point: the
 * round trip gives x back exactly (x − zp is an integer below 2^8 in magnitude, so (k·s)/s rounds back to k for any
 * normal scale s), and readers of the QuantizeLinear read x instead. Such pairs are what PyTorch's export puts around
 * MaxPool and Flatten, and what {@link QuantizeHoisting} leaves after moving a QuantizeLinear up; removing them keeps
 * the 8-bit values flowing from one integer op to the next with no float pass in between.
 */
public final class QdqPairRemoval implements GraphPass {
    @Override
    public String name() {
        return "qdq-pair-removal";
    }

    @Override
    public int apply(Model model) {
        Graph g = model.graph();
        return GraphEdits.bypassAll(g, q -> {
            Node dq = q.opType().equals("QuantizeLinear") && q.domain().isEmpty() && q.hasInput(0)
                ? GraphEdits.producer(g, q.input(0)) : null;
            boolean roundTrip = dq != null && dq.opType().equals("DequantizeLinear") && dq.domain().isEmpty()
                && sameParameters(g, dq, q) && !GraphEdits.isGraphOutput(g, q.outputs().get(0));
            return roundTrip ? dq.input(0) : null;
        });
    }

    /** Same constant per-tensor scale (normal, finite) and zero point of the same 8-bit type on both sides. */
    private static boolean sameParameters(Graph g, Node dq, Node q) {
        if (dq.has("block_size") || q.has("block_size") || q.has("output_dtype") || dq.inputs().size() < 2
            || q.inputs().size() < 2) {
            return false;
        }
        Tensor ds = g.initializers().get(dq.input(1));
        Tensor qs = g.initializers().get(q.input(1));
        if (ds == null || qs == null || ds.size() != 1 || qs.size() != 1 || ds.dtype() != DType.F32
            || qs.dtype() != DType.F32) {
            return false;
        }
        float s = ds.getFloat(0);
        if (Float.floatToIntBits(s) != Float.floatToIntBits(qs.getFloat(0)) || !Float.isFinite(s)
            || Math.abs(s) < Float.MIN_NORMAL) {
            return false;
        }
        DType x = g.type(dq.input(0)).dtype();
        if (x != DType.U8 && x != DType.I8) {
            return false;
        }
        Tensor dz = dq.hasInput(2) ? g.initializers().get(dq.input(2)) : null;
        Tensor qz = q.hasInput(2) ? g.initializers().get(q.input(2)) : null;
        if ((dq.hasInput(2) && dz == null) || (q.hasInput(2) && qz == null)) {
            return false;
        }
        DType qType = qz == null ? DType.U8 : qz.dtype(); // QuantizeLinear without zero point gives uint8
        long dzv = dz == null ? 0 : dz.getLong(0);
        long qzv = qz == null ? 0 : qz.getLong(0);
        return qType == x && (dz == null || dz.size() == 1) && (qz == null || qz.size() == 1) && dzv == qzv;
    }
}
