package dev.sparq.quant;

import dev.sparq.graph.Graph;
import dev.sparq.graph.Node;
import dev.sparq.graph.ValueType;
import dev.sparq.plan.ExecutionPlan;
import dev.sparq.plan.Step;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What {@code sparq inspect} says about quantization: the quantized tensors of the imported graph with their scales
 * and zero points (activations through QuantizeLinear, weights stored as 8-bit initializers read through
 * DequantizeLinear or a QOperator op), and, for the planned graph, which nodes compute on integers and which still
 * compute in float.
 */
public final class QuantizationSummary {
    /** Ops whose inputs are quantized and whose arithmetic is integer. */
    private static final Set<String> INTEGER_OPS = Set.of("QLinearConv", "QLinearMatMul", "QGemm", "MatMulInteger",
        "ConvInteger", "QLinearAdd", "QLinearMul", "QLinearGlobalAveragePool");

    /** One quantized tensor: activation or weight, its 8-bit type, shape (weights) and scale range. */
    public record QuantizedTensor(String name, boolean weight, DType type, long[] shape, int scales, float minScale,
                                  float maxScale, long zeroPoint) {
        /** One line, e.g. "weight conv1.weight int8 [64, 3, 7, 7], 64 scales 1.2e-04..3.4e-03, zero point 0". */
        public String describe() {
            String scale = scales == 1 ? String.format(java.util.Locale.ROOT, "scale %.4g", minScale)
                : String.format(java.util.Locale.ROOT, "%d scales %.3g..%.3g", scales, minScale, maxScale);
            String what = weight ? "weight     " : "activation ";
            return what + name + " " + type.name().toLowerCase(java.util.Locale.ROOT)
                + (weight ? " " + java.util.Arrays.toString(shape) : "") + ", " + scale
                + (scales == 1 || zeroPoint != 0 ? ", zero point " + zeroPoint : "");
        }
    }

    private QuantizationSummary() {
    }

    /** The quantized tensors of {@code g} (run before graph passes, so names are the file's), in graph order. */
    public static List<QuantizedTensor> tensors(Graph g) {
        Map<String, QuantizedTensor> found = new LinkedHashMap<>();
        for (Node n : g.nodes()) {
            if (!n.domain().isEmpty() && !n.domain().equals("com.microsoft")) {
                continue;
            }
            switch (n.opType()) {
                case "QuantizeLinear" -> add(found, g, n.input(0), false, n.input(1), n.hasInput(2) ? n.input(2) : null,
                    n.outputs().get(0));
                case "DequantizeLinear" -> {
                    if (g.initializers().containsKey(n.input(0))) {
                        add(found, g, n.input(0), true, n.input(1), n.hasInput(2) ? n.input(2) : null, n.input(0));
                    }
                }
                case "QLinearConv", "QLinearMatMul", "QGemm" -> {
                    add(found, g, n.input(0), false, n.input(1), n.input(2), n.input(0));
                    add(found, g, n.input(3), true, n.input(4), n.input(5), n.input(3));
                }
                default -> { }
            }
        }
        return new ArrayList<>(found.values());
    }

    /** Records {@code name} if its scale is a constant; {@code quantized} names the 8-bit value (type source). */
    private static void add(Map<String, QuantizedTensor> found, Graph g, String name, boolean weight, String scaleName,
                            String zeroName, String quantized) {
        Tensor scale = g.initializers().get(scaleName);
        if (found.containsKey(name) || scale == null || scale.dtype() != DType.F32 || scale.size() == 0
            || (weight && !g.initializers().containsKey(name))) {
            return;
        }
        Tensor zero = zeroName == null || zeroName.isEmpty() ? null : g.initializers().get(zeroName);
        ValueType qt = g.type(quantized);
        DType type = zero != null ? zero.dtype() : qt != null && qt.dtype() != null && qt.dtype() != DType.F32
            ? qt.dtype() : DType.U8;
        float min = Float.POSITIVE_INFINITY;
        float max = 0;
        for (long i = 0; i < scale.size(); i++) {
            min = Math.min(min, scale.getFloat(i));
            max = Math.max(max, scale.getFloat(i));
        }
        long[] shape = weight ? g.initializers().get(name).shape() : new long[0];
        found.put(name, new QuantizedTensor(name, weight, type, shape, (int) scale.size(), min, max,
            zero == null || zero.size() == 0 ? 0 : zero.getLong(0)));
    }

    /** How the planned graph computes: integer node count by op type and backend, float nodes, Q/DQ conversions. */
    public record Execution(Map<String, Integer> integer, Map<String, Integer> floating, int quantizeSteps,
                            int dequantizeSteps, int steps) {
        public int integerNodes() {
            return integer.values().stream().mapToInt(Integer::intValue).sum();
        }
    }

    /**
     * Classifies every step of {@code plan}: integer (a QOperator op, or an op on 8-bit/int32 tensors such as a
     * MaxPool or Clip of quantized values), float (anything computing on f32 other than QuantizeLinear and
     * DequantizeLinear), and the conversions between the two.
     */
    public static Execution execution(ExecutionPlan plan) {
        Graph g = plan.graph();
        Map<String, Integer> integer = new TreeMap<>();
        Map<String, Integer> floating = new TreeMap<>();
        int q = 0;
        int dq = 0;
        for (Step s : plan.steps()) {
            Node n = s.node();
            String label = n.opType() + " @" + s.backendId();
            if (n.opType().equals("QuantizeLinear")) {
                q++;
            } else if (n.opType().equals("DequantizeLinear")) {
                dq++;
            } else if (INTEGER_OPS.contains(n.opType()) || isInteger(g, n)) {
                integer.merge(label, 1, Integer::sum);
            } else {
                floating.merge(label, 1, Integer::sum);
            }
        }
        return new Execution(integer, floating, q, dq, plan.steps().size());
    }

    private static boolean isInteger(Graph g, Node n) {
        if (n.inputs().isEmpty() || n.input(0).isEmpty()) {
            return false;
        }
        ValueType t = g.type(n.input(0));
        return t != null && (t.dtype() == DType.U8 || t.dtype() == DType.I8 || t.dtype() == DType.I32);
    }
}
