package dev.sparq.graph.pass;

import dev.sparq.backend.Backend;
import dev.sparq.backend.Backends;
import dev.sparq.graph.Model;
import dev.sparq.graph.ShapeInference;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** Runs the graph passes in their order, like ONNX Runtime's graph optimization levels. */
public final class GraphOptimizer {
    /**
     * NONE: the graph as imported. BASIC: meaning-preserving clean-ups. ALL: also fusions for the kernels (quantize
     * hoisted through pooling and reshapes, dequantize-quantize round trips removed, QDQ chains into integer ops,
     * BatchNorm into Conv, Relu/Clip into Conv/Gemm, integer Clip into the integer op before it).
     */
    public enum Level { NONE, BASIC, ALL }

    private GraphOptimizer() {
    }

    /** Optimizes in place and returns how many changes each pass made (for {@code sparq inspect}). */
    public static Map<String, Integer> optimize(Model model, Level level) {
        return optimize(model, level, Set.of());
    }

    /** As {@link #optimize(Model, Level)}, leaving out the passes named in {@code disabled}. */
    public static Map<String, Integer> optimize(Model model, Level level, Set<String> disabled) {
        List<GraphPass> basic = List.of(new IdentityRemoval(), new ShapeOpFolding(), new ConstantFolding(),
            new DeadNodeRemoval());
        // QDQ chains become integer ops before activation fusion could hide their Relu inside a FusedConv
        // what QdqFusion leaves as DQ(weights) -> float op gets constant float weights for the float kernels
        List<GraphPass> fusions = List.of(new QuantizeHoisting(), new QdqPairRemoval(), new QdqFusion(),
            new DeadNodeRemoval(), new ConstantFolding(true), new DeadNodeRemoval(), new BatchNormFolding(),
            new ActivationFusion(), new IntegerClampFusion(), new DeadNodeRemoval());
        if (!disabled.isEmpty()) {
            Set<String> known = new TreeSet<>();
            basic.forEach(p -> known.add(p.name()));
            fusions.forEach(p -> known.add(p.name()));
            // the backends' layout passes, run by the plan (LayoutPasses): asked of the backends rather than listed
            // here, so a backend's new pass can be disabled too (the calibrator turns two off)
            for (Backend b : Backends.all()) {
                b.layoutPasses(n -> false).forEach(p -> known.add(p.name()));
            }
            for (String name : disabled) {
                if (!known.contains(name)) {
                    throw new IllegalArgumentException("no graph pass named '" + name + "'; passes: " + known);
                }
            }
        }
        Map<String, Integer> report = new LinkedHashMap<>();
        ShapeInference.run(model);
        if (level == Level.NONE) {
            return report;
        }
        run(model, basic, disabled, report);
        ShapeInference.run(model);
        if (level == Level.ALL) {
            run(model, fusions, disabled, report);
            ShapeInference.run(model);
        }
        return report;
    }

    private static void run(Model model, List<GraphPass> passes, Set<String> disabled, Map<String, Integer> report) {
        for (GraphPass p : passes) {
            if (!disabled.contains(p.name())) {
                report.merge(p.name(), p.apply(model), Integer::sum);
            }
        }
    }
}
