package dev.sparq.graph.pass;

import dev.sparq.graph.Attribute;
import dev.sparq.graph.Dim;
import dev.sparq.graph.Graph;
import dev.sparq.graph.Model;
import dev.sparq.graph.Node;
import dev.sparq.graph.ValueType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Fuses a residual connection into the convolution before it, as ONNX Runtime does: Conv → Add(·, Z) → Relu
 * becomes {@code com.microsoft} FusedConv(X, W, B, Z) with {@code activation} Relu, Y = Relu(Conv(X) + Z), so a
 * backend can make the sum and the clamp in one pass (cpu-simd: one pass over Y after the convolution, where the
 * Add and the Relu took two; ResNet's blocks). The Relu is optional; Z must have the convolution's shape exactly
 * (no broadcasting), as the graph's inferred shapes say. The fused node takes the Add's place in the order, after
 * Z's producer. Convolutions another backend claims are left alone.
 */
public final class ResidualAddFusion implements GraphPass {
    public static final String NAME = "residual-add-fusion";
    private final Predicate<Node> claimed;

    public ResidualAddFusion() {
        this(n -> false);
    }

    /** A pass that leaves alone the convolutions {@code claimed} says another backend runs. */
    public ResidualAddFusion(Predicate<Node> claimed) {
        this.claimed = claimed;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int apply(Model model) {
        Graph g = model.graph();
        int fused = 0;
        for (Node add : new ArrayList<>(g.nodes())) {
            if (!add.domain().isEmpty() || !add.opType().equals("Add") || add.inputs().size() != 2) {
                continue;
            }
            for (int side = 0; side < 2; side++) {
                String y = add.input(side);
                String z = add.input(1 - side);
                Node conv = GraphEdits.producer(g, y);
                if (conv == null || !conv.domain().isEmpty() || !conv.opType().equals("Conv") || claimed.test(conv)
                    || GraphEdits.soleConsumer(g, y) != add || y.equals(z) || !sameKnownShape(g.type(y), g.type(z))) {
                    continue;
                }
                Node relu = GraphEdits.soleConsumer(g, add.outputs().get(0));
                boolean withRelu = relu != null && relu.domain().isEmpty() && relu.opType().equals("Relu");
                Map<String, Attribute> attrs = new LinkedHashMap<>(conv.attributes());
                if (withRelu) {
                    attrs.put("activation", new Attribute("activation", Attribute.Type.STRING, "Relu"));
                }
                List<String> inputs = new ArrayList<>(conv.inputs());
                while (inputs.size() < 3) {
                    inputs.add(""); // no bias: the optional input left empty, Z is the fourth
                }
                inputs.add(z);
                Node f = new Node(conv.name(), "FusedConv", ActivationFusion.DOMAIN, inputs,
                    List.of(withRelu ? relu.outputs().get(0) : add.outputs().get(0)), attrs);
                g.nodes().set(g.nodes().indexOf(add), f);
                g.nodes().remove(conv);
                if (withRelu) {
                    g.nodes().remove(relu);
                }
                fused++;
                break;
            }
        }
        return fused;
    }

    /** Whether both are tensors of one shape, every dimension a number or a named symbol. */
    private static boolean sameKnownShape(ValueType a, ValueType b) {
        if (a.kind() != ValueType.Kind.TENSOR || !a.hasRank() || !a.equals(b)) {
            return false;
        }
        for (Dim d : a.dims()) {
            if (!d.isKnown() && d.symbol() == null) {
                return false;
            }
        }
        return true;
    }
}
