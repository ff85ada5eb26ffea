package dev.sparq.cli;

import dev.sparq.Sparq;
import dev.sparq.graph.Graph;
import dev.sparq.graph.Model;
import dev.sparq.graph.Node;
import dev.sparq.graph.pass.GraphOptimizer;
import dev.sparq.graph.ShapeInference;
import dev.sparq.graph.ValueInfo;
import dev.sparq.quant.QuantizationSummary;
import java.util.List;
import dev.sparq.plan.BackendSelector;
import dev.sparq.plan.ExecutionPlan;
import dev.sparq.sparse.WeightSparsity;
import dev.sparq.plan.MemoryEstimate;
import dev.sparq.plan.Planner;
import dev.sparq.tensor.Tensor;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code sparq inspect MODEL}: what is in a model and where each node would run. */
@Command(name = "inspect", description = "Show a model's inputs, outputs, operators, parameters and sparsity.")
final class InspectCommand implements Callable<Integer> {
    @Parameters(paramLabel = "MODEL", description = "ONNX model file")
    Path modelPath;

    @Mixin
    BackendOptions backendOptions;

    @picocli.CommandLine.Option(names = "--plan", description = "Also list every planned node: op, backend, output type, and the kernel chosen for it and why.")
    boolean listPlan;

    @Override
    public Integer call() {
        try (Model model = Sparq.loadModel(modelPath)) {
            Graph g = model.graph();
            Map<String, Integer> ops = new TreeMap<>();
            for (Node n : g.nodes()) {
                ops.merge(n.domain().isEmpty() ? n.opType() : n.domain() + ":" + n.opType(), 1, Integer::sum);
            }
            int imported = g.nodes().size();
            // Quantized tensors are named as in the file: read them before the passes fuse Q/DQ chains away (but
            // after folding Constant nodes, where PyTorch's export keeps scales and zero points).
            ShapeInference.run(model);
            new dev.sparq.graph.pass.ConstantFolding().apply(model);
            List<QuantizationSummary.QuantizedTensor> quantized = QuantizationSummary.tensors(g);
            Map<String, Integer> passes = new java.util.LinkedHashMap<>(
                GraphOptimizer.optimize(model, GraphOptimizer.Level.ALL));
            List<dev.sparq.backend.Backend> backends = BackendSelector.select(backendOptions.toSessionOptions());
            passes.putAll(dev.sparq.plan.LayoutPasses.apply(model, backends, java.util.Set.of()));
            System.out.println("model:     " + modelPath);
            System.out.println("producer:  " + (model.producer().isBlank() ? "(unknown)" : model.producer())
                + ", IR version " + model.irVersion() + ", opsets " + opsets(model));
            for (ValueInfo in : g.inputs()) {
                System.out.println("input:     " + in.name() + " " + in.type());
            }
            for (ValueInfo out : g.outputs()) {
                System.out.println("output:    " + out.name() + " " + g.type(out.name()));
            }
            System.out.println("nodes:     " + imported + " " + ops);
            // the changes each pass made, by the names SessionOptions.disablePass takes
            Map<String, Integer> changed = new java.util.LinkedHashMap<>(passes);
            changed.values().removeIf(c -> c == 0);
            System.out.println("passes:    " + changed + " (of " + passes.keySet() + ")");
            long params = 0;
            long bytes = 0;
            long zeros = 0;
            for (Tensor t : g.initializers().values()) {
                params += t.size();
                bytes += t.byteSize();
                for (long i = 0; i < t.size(); i++) {
                    if (t.getDouble(i) == 0) {
                        zeros++;
                    }
                }
            }
            System.out.printf("weights:   %d tensors, %,d parameters, %,d bytes, %.1f%% zeros%n",
                g.initializers().size(), params, bytes, params == 0 ? 0.0 : 100.0 * zeros / params);
            for (Node n : g.nodes()) {
                Tensor w = n.inputs().size() > 1 ? g.initializers().get(n.input(1)) : null;
                boolean weighted = n.opType().endsWith("Conv") || n.opType().endsWith("Gemm") || n.opType().equals("MatMul");
                if (weighted && w != null && w.rank() >= 2 && w.size() >= 64) {
                    WeightSparsity sp = n.opType().equals("MatMul") ? null : WeightSparsity.rowMajor(w);
                    if (sp != null && (sp.density() < 0.95 || sp.twoOfFour() || sp.zeroRows() > 0)) {
                        System.out.println("sparsity:  " + n.label() + " " + java.util.Arrays.toString(w.shape()) + ": " + sp);
                    }
                }
            }
            ExecutionPlan plan = Planner.plan(model, backends);
            printQuantization(quantized, QuantizationSummary.execution(plan));
            System.out.println("plan:      " + g.nodes().size() + " nodes after graph passes, per backend "
                + plan.nodesPerBackend());
            PackedWeightReport.print(g, plan, System.out);
            if (listPlan) {
                int i = 0;
                for (dev.sparq.plan.Step st : plan.steps()) {
                    String out = st.node().outputs().isEmpty() ? "" : st.node().outputs().get(0);
                    String why = st.kernel().describe();
                    System.out.printf("  %3d  %-10s %-28s %s -> %s%s%n", i++, st.backendId(),
                        (st.node().domain().isEmpty() ? "" : st.node().domain() + ":") + st.node().opType(),
                        st.node().name().isEmpty() ? "(unnamed)" : st.node().name(), g.type(out),
                        why.isEmpty() ? "" : "\n         " + why);
                }
                System.out.println("kernels:   " + dev.sparq.backend.tuning.KernelTuner.current().summary());
            }
            MemoryEstimate mem = MemoryEstimate.of(plan, 1);
            System.out.printf("memory:    weights %,d bytes; activations at batch 1: %,d bytes planned by liveness "
                    + "(lower bound %,d, %.2fx)%s%n", bytes, mem.slabBytes(), mem.lowerBound(),
                mem.lowerBound() == 0 ? 1.0 : (double) mem.slabBytes() / mem.lowerBound(),
                mem.unknownValues() == 0 ? "" : "; " + mem.unknownValues() + " values of unknown size not counted");
        }
        return ExitCodes.OK;
    }

    private static void printQuantization(List<QuantizationSummary.QuantizedTensor> tensors,
                                          QuantizationSummary.Execution run) {
        if (tensors.isEmpty() && run.integerNodes() == 0) {
            System.out.println("quantized: no");
            return;
        }
        long weights = tensors.stream().filter(QuantizationSummary.QuantizedTensor::weight).count();
        System.out.printf("quantized: %d tensors (%d weights, %d activations)%n", tensors.size(), weights,
            tensors.size() - weights);
        for (QuantizationSummary.QuantizedTensor t : tensors) {
            System.out.println("  " + t.describe());
        }
        System.out.println("integer:   " + run.integerNodes() + " of " + run.steps() + " nodes compute on integers "
            + run.integer());
        System.out.println("float:     " + run.floating() + "; conversions per run: " + run.quantizeSteps()
            + " QuantizeLinear, " + run.dequantizeSteps() + " DequantizeLinear");
    }

    private static String opsets(Model model) {
        Map<String, Long> named = new TreeMap<>();
        model.opsets().forEach((domain, v) -> named.put(domain.isEmpty() ? "ai.onnx" : domain, v));
        return named.toString();
    }
}
