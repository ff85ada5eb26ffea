package dev.sparq.cli;

import dev.sparq.graph.ChannelsLastConv;
import dev.sparq.graph.Graph;
import dev.sparq.graph.Node;
import dev.sparq.graph.pass.ConvMaxPoolFusion;
import dev.sparq.plan.ExecutionPlan;
import dev.sparq.plan.Step;
import dev.sparq.tensor.Tensor;
import java.io.PrintStream;
import java.util.Map;

/**
 * What {@code sparq inspect} says about weight memory: per layer, the bytes its kernel holds in its packed form
 * (sparse or dense, int8 or float, with bias and per-channel factors) next to the bytes the same layer's weights and
 * bias take as FP32, and the totals.
 */
final class PackedWeightReport {
    /** Weight and bias input positions of the ops whose kernels pack weights. */
    private static final Map<String, int[]> WEIGHT_INPUTS = Map.ofEntries(Map.entry("Conv", new int[] {1, 2}),
        Map.entry("FusedConv", new int[] {1, 2}), Map.entry("Gemm", new int[] {1, 2}),
        Map.entry("FusedGemm", new int[] {1, 2}), Map.entry("MatMul", new int[] {1}),
        Map.entry("QLinearConv", new int[] {3, 8}), Map.entry("QLinearMatMul", new int[] {3}),
        Map.entry("QGemm", new int[] {3, 6}), Map.entry("ConvInteger", new int[] {1}),
        Map.entry("MatMulInteger", new int[] {1}), Map.entry(ChannelsLastConv.OP, new int[] {1, 2}),
        Map.entry(ChannelsLastConv.FUSED_OP, new int[] {1, 2, 3, 4}),
        Map.entry(ConvMaxPoolFusion.OP, new int[] {1, 2}));

    private PackedWeightReport() {
    }

    static void print(Graph g, ExecutionPlan plan, PrintStream out) {
        long packedTotal = 0;
        long fp32Total = 0;
        long fp32Known = 0; // of the layers whose kernels say
        int layers = 0;
        int unknown = 0;
        StringBuilder lines = new StringBuilder();
        for (Step st : plan.steps()) {
            Node n = st.node();
            int[] at = WEIGHT_INPUTS.get(n.opType());
            long fp32 = at == null ? 0 : 4 * elements(g, n, at);
            if (fp32 == 0) {
                continue;
            }
            long packed = st.kernel().packedWeightBytes();
            String kernel = st.kernel().describe();
            kernel = kernel.contains(":") ? kernel.substring(0, kernel.indexOf(':')) : st.backendId();
            layers++;
            fp32Total += fp32;
            if (packed < 0) {
                unknown++;
                lines.append(String.format("  %-44s %-12s %12s B   FP32 %,12d B%n", n.label(), kernel, "?", fp32));
                continue;
            }
            packedTotal += packed;
            fp32Known += fp32;
            lines.append(String.format("  %-44s %-12s %,12d B   FP32 %,12d B  (%.3fx)%n", n.label(), kernel, packed,
                fp32, (double) packed / fp32));
        }
        if (layers == 0) {
            return;
        }
        double ratio = (double) packedTotal / Math.max(1, fp32Known);
        out.printf("packed:    %,d bytes of packed weights in %d layers vs %,d bytes as FP32 (%.3fx%s)%s%n",
            packedTotal, layers - unknown, fp32Known, ratio, ratio < 1 ? String.format(", 1/%.1f", 1 / ratio) : "",
            unknown == 0 ? "" : "; " + unknown + " more layers' kernels do not say (" + String.format("%,d",
                fp32Total - fp32Known) + " bytes as FP32, not counted)");
        out.print(lines);
    }

    private static long elements(Graph g, Node n, int[] at) {
        long e = 0;
        for (int i : at) {
            if (n.hasInput(i)) {
                Tensor t = g.initializers().get(n.input(i));
                e += t == null ? 0 : t.size();
            }
        }
        return e;
    }
}
