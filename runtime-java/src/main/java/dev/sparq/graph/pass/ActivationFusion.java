package dev.sparq.graph.pass;

import dev.sparq.graph.Attribute;
import dev.sparq.graph.Graph;
import dev.sparq.graph.Model;
import dev.sparq.graph.Node;
import dev.sparq.tensor.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Fuses Relu and Clip (with constant bounds) into the Conv or Gemm before them, as ONNX Runtime does:
 * {@code com.microsoft} FusedConv / FusedGemm with an {@code activation} and {@code activation_params}, so the
 * kernels apply the clamp as they store and the activation never makes a pass over memory of its own.
 */
public final class ActivationFusion implements GraphPass {
    public static final String DOMAIN = "com.microsoft";

    @Override
    public String name() {
        return "activation-fusion";
    }

    @Override
    public int apply(Model model) {
        Graph g = model.graph();
        int fused = 0;
        for (Node act : new ArrayList<>(g.nodes())) {
            if (!act.domain().isEmpty() || !(act.opType().equals("Relu") || act.opType().equals("Clip"))) {
                continue;
            }
            Node producer = GraphEdits.producer(g, act.input(0));
            if (producer == null || !producer.domain().isEmpty()
                || !(producer.opType().equals("Conv") || producer.opType().equals("Gemm"))
                || GraphEdits.soleConsumer(g, act.input(0)) != act) {
                continue;
            }
            float[] params = clipBounds(g, act, model.opset(""));
            if (act.opType().equals("Clip") && params == null) {
                continue;
            }
            Map<String, Attribute> attrs = new LinkedHashMap<>(producer.attributes());
            attrs.put("activation", new Attribute("activation", Attribute.Type.STRING, act.opType()));
            if (params != null) {
                attrs.put("activation_params", new Attribute("activation_params", Attribute.Type.FLOATS,
                    List.of(params[0], params[1])));
            }
            Node f = new Node(producer.name(), "Fused" + producer.opType(), DOMAIN, producer.inputs(),
                List.of(act.outputs().get(0)), attrs);
            g.nodes().set(g.nodes().indexOf(producer), f);
            g.nodes().remove(act);
            fused++;
        }
        return fused;
    }

    /** [min, max] of a Clip whose bounds are constants (or attributes before opset 11); null otherwise. */
    static float[] clipBounds(Graph g, Node clip, long opset) {
        if (!clip.opType().equals("Clip")) {
            return null;
        }
        if (opset < 11) {
            return new float[] {clip.floatAttr("min", -Float.MAX_VALUE), clip.floatAttr("max", Float.MAX_VALUE)};
        }
        float[] b = {Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY};
        for (int i = 1; i <= 2; i++) {
            if (clip.hasInput(i)) {
                Tensor t = g.initializers().get(clip.input(i));
                if (t == null || t.size() != 1) {
                    return null;
                }
                b[i - 1] = t.getFloat(0);
            }
        }
        return b;
    }
}
