package dev.sparq.graph.pass;

import dev.sparq.graph.Attribute;
import dev.sparq.graph.ChannelsLastConv;
import dev.sparq.graph.Dim;
import dev.sparq.graph.Graph;
import dev.sparq.graph.Model;
import dev.sparq.graph.Node;
import dev.sparq.graph.ValueType;
import dev.sparq.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Fuses a channels-last pointwise layer into the 3×3 depthwise layer that alone reads it
 * ({@link ChannelsLastConv#FUSED_OP}), where the image between them is large (from {@link #MIN_BYTES}): the
 * expansion of MobileNetV2's inverted residual blocks, 96-144 channels at 56×56-112×112, 1.8-4.8 MB that the
 * pointwise layer wrote to memory and the depthwise layer read back. Runs after {@link ChannelsLastLayout}.
 */
public final class PointwiseDepthwiseFusion implements GraphPass {
    public static final String NAME = "pointwise-depthwise-fusion";
    /** Bytes of the image between the layers (per batch item) from which they are fused. */
    public static final long MIN_BYTES = 1 << 20;

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int apply(Model model) {
        Graph g = model.graph();
        Map<String, Integer> uses = GraphEdits.useCounts(g);
        int fused = 0;
        for (Node d : new ArrayList<>(g.nodes())) {
            if (!ChannelsLastConv.is(d) || !depthwise3x3(d, g) || uses.getOrDefault(d.input(0), 0) != 1) {
                continue;
            }
            Node p = GraphEdits.producer(g, d.input(0));
            if (p == null || !ChannelsLastConv.is(p) || !pointwise(p, g) || bytes(g.type(d.input(0))) < MIN_BYTES) {
                continue;
            }
            Map<String, Attribute> attrs = new LinkedHashMap<>(d.attributes());
            if (p.has("activation")) {
                attrs.put(ChannelsLastConv.POINTWISE_ACTIVATION, new Attribute(ChannelsLastConv.POINTWISE_ACTIVATION,
                    Attribute.Type.STRING, p.stringAttr("activation", "")));
            }
            if (p.has("activation_params")) {
                attrs.put(ChannelsLastConv.POINTWISE_ACTIVATION_PARAMS, new Attribute(
                    ChannelsLastConv.POINTWISE_ACTIVATION_PARAMS, Attribute.Type.FLOATS, p.attr("activation_params").value()));
            }
            List<String> inputs = List.of(p.input(0), p.input(1), p.hasInput(2) ? p.input(2) : "", d.input(1),
                d.hasInput(2) ? d.input(2) : "");
            Node f = new Node(d.name(), ChannelsLastConv.FUSED_OP, ChannelsLastConv.DOMAIN, inputs, d.outputs(), attrs);
            g.nodes().set(g.nodes().indexOf(d), f);
            g.nodes().remove(p);
            fused++;
        }
        return fused;
    }

    /** A 3×3 one-filter-per-channel layer with dilation 1 (the fused kernel's ring holds 3 rows a window). */
    private static boolean depthwise3x3(Node d, Graph g) {
        Tensor w = weights(d, g);
        return w != null && ChannelsLastConv.kindOf(d, w) == ChannelsLastConv.Kind.DEPTHWISE && w.dim(2) == 3
            && w.dim(3) == 3 && Arrays.equals(d.intsAttr("dilations", new long[] {1, 1}), new long[] {1, 1});
    }

    private static boolean pointwise(Node p, Graph g) {
        Tensor w = weights(p, g);
        return w != null && ChannelsLastConv.kindOf(p, w) == ChannelsLastConv.Kind.POINTWISE;
    }

    private static Tensor weights(Node n, Graph g) {
        Tensor w = n.inputs().size() > 1 ? g.initializers().get(n.input(1)) : null;
        return w != null && w.rank() == 4 ? w : null;
    }

    /** Bytes of one batch item of an f32 [N, ...] type; 0 if a dim is unknown. */
    private static long bytes(ValueType t) {
        if (t.rank() != 4) {
            return 0;
        }
        long b = Float.BYTES;
        for (Dim d : t.dims().subList(1, 4)) {
            if (!d.isKnown()) {
                return 0;
            }
            b *= d.value();
        }
        return b;
    }
}
