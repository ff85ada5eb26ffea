package dev.sparq.quant;

import dev.sparq.graph.Attribute;
import dev.sparq.graph.Graph;
import dev.sparq.graph.Model;
import dev.sparq.graph.Node;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Decides whether a model's default-domain opset can be raised without rewriting any node: true when no op it uses
 * changed its inputs, attributes or meaning between the model's opset and the target. Per-channel
 * QuantizeLinear/DequantizeLinear (the {@code axis} attribute) need opset 13, so QDQ writing raises older models.
 */
public final class OpsetUpgrade {
    /** Below this the operator set is too old and too different to reason about op by op. */
    static final long OLDEST_UPGRADABLE = 7;

    /**
     * Default-domain ops and the opsets (from 8 to 13) at which a file written for an earlier opset would be read
     * differently: attributes that became inputs (Squeeze, Split, Clip, Pad, Slice, ...), changed defaults
     * (Softmax's axis handling), changed input positions (Resize).
     */
    private static final Map<String, long[]> BREAKING = Map.ofEntries(
        Map.entry("Softmax", new long[] {13}), Map.entry("LogSoftmax", new long[] {13}),
        Map.entry("Hardmax", new long[] {13}), Map.entry("Squeeze", new long[] {13}),
        Map.entry("Unsqueeze", new long[] {13}), Map.entry("ReduceSum", new long[] {13}),
        Map.entry("Split", new long[] {13}), Map.entry("Clip", new long[] {11}), Map.entry("Pad", new long[] {11}),
        Map.entry("Slice", new long[] {10}), Map.entry("TopK", new long[] {10}), Map.entry("Resize", new long[] {11}),
        Map.entry("Upsample", new long[] {10}), Map.entry("Scatter", new long[] {11}),
        Map.entry("Dropout", new long[] {12}), Map.entry("BatchNormalization", new long[] {9}),
        Map.entry("Scan", new long[] {9}), Map.entry("Cast", new long[] {9}));

    private OpsetUpgrade() {
    }

    /**
     * The model's opsets with the default domain raised to at least {@code target}.
     *
     * @throws IllegalArgumentException naming the ops that prevent it
     */
    public static Map<String, Long> raiseTo(Model model, long target) {
        long current = model.opset("");
        Map<String, Long> opsets = new java.util.LinkedHashMap<>(model.opsets());
        if (current >= target) {
            return opsets;
        }
        if (current < OLDEST_UPGRADABLE) {
            throw new IllegalArgumentException("the model uses ONNX opset " + current + "; raising it to " + target
                + " (needed for per-channel quantization) is supported from opset " + OLDEST_UPGRADABLE);
        }
        Set<String> blocking = new TreeSet<>();
        collectBlocking(model.graph(), current, target, blocking);
        if (!blocking.isEmpty()) {
            throw new IllegalArgumentException("the model uses ONNX opset " + current + " and per-channel quantization"
                + " needs " + target + ", but these ops changed meaning in between: " + blocking
                + "; re-export the model at opset " + target);
        }
        opsets.put("", target);
        return opsets;
    }

    private static void collectBlocking(Graph g, long from, long to, Set<String> out) {
        for (Node n : g.nodes()) {
            long[] versions = n.domain().isEmpty() ? BREAKING.get(n.opType()) : null;
            if (versions != null) {
                for (long v : versions) {
                    if (v > from && v <= to) {
                        out.add(n.opType());
                    }
                }
            }
            for (Attribute a : n.attributes().values()) {
                if (a.type() == Attribute.Type.GRAPH) {
                    collectBlocking(a.asGraph(), from, to, out);
                }
            }
        }
    }
}
