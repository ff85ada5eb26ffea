package dev.sparq.cli;

import dev.sparq.Sparq;
import dev.sparq.graph.Graph;
import dev.sparq.graph.Model;
import dev.sparq.graph.Node;
import dev.sparq.graph.ShapeInference;
import dev.sparq.graph.ValueInfo;
import dev.sparq.plan.BackendSelector;
import dev.sparq.plan.ExecutionPlan;
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

    @Override
    public Integer call() {
        try (Model model = Sparq.loadModel(modelPath)) {
            ShapeInference.run(model);
            Graph g = model.graph();
            System.out.println("model:     " + modelPath);
            System.out.println("producer:  " + (model.producer().isBlank() ? "(unknown)" : model.producer())
                + ", IR version " + model.irVersion() + ", opsets " + model.opsets());
            for (ValueInfo in : g.inputs()) {
                System.out.println("input:     " + in.name() + " " + in.type());
            }
            for (ValueInfo out : g.outputs()) {
                System.out.println("output:    " + out.name() + " " + g.type(out.name()));
            }
            Map<String, Integer> ops = new TreeMap<>();
            for (Node n : g.nodes()) {
                ops.merge(n.domain().isEmpty() ? n.opType() : n.domain() + ":" + n.opType(), 1, Integer::sum);
            }
            System.out.println("nodes:     " + g.nodes().size() + " " + ops);
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
            long quantOps = g.nodes().stream().filter(n -> n.opType().contains("Quantize")
                || n.opType().startsWith("QLinear") || n.opType().endsWith("Integer")).count();
            System.out.println("quantized: " + (quantOps == 0 ? "no" : quantOps + " quantization nodes"));
            ExecutionPlan plan = Planner.plan(model, BackendSelector.select(backendOptions.toSessionOptions()));
            System.out.println("plan:      nodes per backend " + plan.nodesPerBackend());
        }
        return ExitCodes.OK;
    }
}
