package dev.sparq.quant;

import dev.sparq.graph.Graph;
import dev.sparq.graph.Node;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Symmetric int8 per-output-channel scales of the weights, straight from the initializers: max |w| / 127 per
 * channel. The output axis is 0 for Conv weights [M, C/g, kH, kW], 0 for Gemm's B with transB=1 ([N, K]) and 1
 * without ([K, N]), and the last axis for MatMul's B. Weights given by Constant nodes are not covered.
 */
final class WeightScales {
    private WeightScales() {
    }

    static Map<String, WeightQuant> of(Graph graph) {
        Map<String, WeightQuant> out = new LinkedHashMap<>();
        for (Node node : graph.nodes()) {
            Tensor w = graph.initializers().get(node.input(1));
            int axis = outputAxis(node, w);
            if (axis >= 0) {
                out.put(node.input(1), new WeightQuant(node.input(1), axis, perChannel(w, axis)));
            }
        }
        return out;
    }

    /**
     * The output-channel axis of {@code w}, the float weight (input 1) of a Conv, Gemm or MatMul node; -1 if the
     * node has no such weight to quantize per channel.
     */
    static int outputAxis(Node node, Tensor w) {
        if (w == null || w.dtype() != DType.F32 || w.rank() < 2 || !node.domain().isEmpty()) {
            return -1;
        }
        return switch (node.opType()) {
            case "Conv" -> 0;
            case "Gemm" -> node.intAttr("transB", 0) != 0 ? 0 : 1;
            case "MatMul" -> w.rank() - 1;
            default -> -1;
        };
    }

    /** max |w| / 127 over every slice of {@code axis}; an all-zero channel gets {@link QuantParams#EMPTY_RANGE_SCALE}. */
    static float[] perChannel(Tensor w, int axis) {
        long[] shape = w.shape();
        int channels = (int) shape[axis];
        long inner = 1;
        for (int d = axis + 1; d < shape.length; d++) {
            inner *= shape[d];
        }
        double[] absMax = new double[channels];
        for (long i = 0; i < w.size(); i++) {
            int c = (int) (i / inner % channels);
            absMax[c] = Math.max(absMax[c], Math.abs(w.getFloat(i)));
        }
        float[] scales = new float[channels];
        for (int c = 0; c < channels; c++) {
            scales[c] = QuantParams.symmetric("", absMax[c]).scale();
        }
        return scales;
    }
}
