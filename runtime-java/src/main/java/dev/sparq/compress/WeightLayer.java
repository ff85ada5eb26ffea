package dev.sparq.compress;

import dev.sparq.graph.Graph;
import dev.sparq.graph.Node;
import dev.sparq.graph.pass.GraphEdits;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A Conv, Gemm or MatMul whose weight is a float32 initializer read by that node alone, seen as {@code rows} output
 * channels by a reduction of {@code depth} elements, wherever they lie in memory: element (r, k) is at
 * {@code r·rowStride + k·depthStride}.
 * <ul>
 *   <li>Conv W[Cout, Cin/group, kh, kw]: rows Cout, depth Cin/group·kh·kw, contiguous rows (output axis 0);</li>
 *   <li>Gemm transB=1 W[N, K]: rows N, depth K, contiguous rows (output axis 0);</li>
 *   <li>Gemm transB=0 and MatMul W[K, N]: rows N, depth K with stride N (output axis 1).</li>
 * </ul>
 *
 * @param node       the layer
 * @param weight     the weight initializer's name
 * @param bias       the bias initializer's name (Conv input 2, Gemm C), or null
 * @param outAxis    the weight axis of the output channels
 */
public record WeightLayer(Node node, String weight, String bias, long rows, long depth, long rowStride,
                          long depthStride, int outAxis) {
    /** Flat index of element (row r, reduction position k). */
    public long index(long r, long k) {
        return r * rowStride + k * depthStride;
    }

    /** A short name for reports: the node's name, else its op and first output. */
    public String label() {
        return node.name() != null && !node.name().isEmpty() ? node.name() : node.opType() + " -> " + node.outputs().get(0);
    }

    /** Every such layer of {@code g}, in graph order. */
    public static List<WeightLayer> find(Graph g) {
        Map<String, Integer> uses = GraphEdits.useCounts(g);
        List<WeightLayer> out = new ArrayList<>();
        for (Node n : g.nodes()) {
            WeightLayer l = of(n, g);
            if (l != null && uses.getOrDefault(l.weight(), 0) == 1) {
                out.add(l);
            }
        }
        return out;
    }

    /** The layer view of {@code n}, or null if it is not a Conv/Gemm/MatMul with a float32 initializer weight. */
    static WeightLayer of(Node n, Graph g) {
        if (!n.domain().isEmpty() || n.inputs().size() < 2) {
            return null;
        }
        Tensor w = g.initializers().get(n.input(1));
        if (w == null || w.dtype() != DType.F32 || w.size() == 0) {
            return null;
        }
        String bias = n.hasInput(2) && g.initializers().containsKey(n.input(2)) ? n.input(2) : null;
        return switch (n.opType()) {
            case "Conv" -> w.rank() < 3 ? null
                : new WeightLayer(n, n.input(1), bias, w.dim(0), w.size() / w.dim(0), w.size() / w.dim(0), 1, 0);
            case "Gemm" -> w.rank() != 2 ? null : n.intAttr("transB", 0) != 0
                ? new WeightLayer(n, n.input(1), bias, w.dim(0), w.dim(1), w.dim(1), 1, 0)
                : new WeightLayer(n, n.input(1), bias, w.dim(1), w.dim(0), 1, w.dim(1), 1);
            case "MatMul" -> w.rank() != 2 ? null
                : new WeightLayer(n, n.input(1), null, w.dim(1), w.dim(0), 1, w.dim(1), 1);
            default -> null;
        };
    }
}
