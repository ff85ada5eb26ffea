package dev.sparq.cli;

import dev.sparq.graph.Graph;
import dev.sparq.graph.Node;
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
    private static final Map<String, int[]> WEIGHT_INPUTS = Map.of("Conv", new int[] {1, 2}, "FusedConv",
        new int[] {1, 2}, "Gemm", new int[] {1, 2}, "FusedGemm", new int[] {1, 2}, "MatMul", new int[] {1},
        "QLinearConv", new int[] {3, 8}, "QLinearMatMul", new int[] {3}, "QGemm", new int[] {3, 6},
        "ConvInteger", new int[] {1}, "MatMulInteger", new int[] {1});

    private PackedWeightReport() {
    }

    static void print(Graph g, ExecutionPlan plan, PrintStream out) {
        long packedTotal = 0;
        long fp32Total = 0;
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
            lines.append(String.format("  %-44s %-12s %,12d B   FP32 %,12d B  (%.3fx)%n", n.label(), kernel, packed,
                fp32, (double) packed / fp32));
        }
        if (layers == 0) {
            return;
        }
        out.printf("packed:    %,d bytes of packed weights in %d layers vs %,d bytes as FP32 (%.3fx, 1/%.1f)%s%n",
            packedTotal, layers, fp32Total, (double) packedTotal / fp32Total, (double) fp32Total / Math.max(1, packedTotal),
            unknown == 0 ? "" : "; " + unknown + " layers' kernels do not say (not counted)");
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
