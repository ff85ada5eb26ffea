package dev.sparq.graph.pass;

import dev.sparq.graph.Attribute;
import dev.sparq.graph.ChannelsLastConv;
import dev.sparq.graph.Graph;
import dev.sparq.graph.Model;
import dev.sparq.graph.Node;
import dev.sparq.graph.ValueType;
import dev.sparq.tensor.DType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Keeps MobileNet-style blocks channels-last (NHWC) from layer to layer, as ONNX Runtime's NCHWc transformer keeps
 * them channel-blocked: pointwise and depthwise convolutions become {@link ChannelsLastConv} nodes, and the Add,
 * Relu and Clip nodes between them run unchanged on the NHWC values (they are elementwise); a first layer (RGB in)
 * joins the block after it, reading its image as it is, and a GlobalAveragePool after it ends it without a transpose. A Transpose into NHWC
 * is added where a region reads an NCHW value, and one back where an NCHW reader or a graph output needs a value
 * the region computes. Only regions with a depthwise convolution are converted: there channels-last saves the
 * layout changes a per-plane depthwise kernel makes (or its long strided passes); a region of pointwise layers
 * alone would only pay for the transposes.
 *
 * <p>This pass belongs to a backend (cpu-simd registers the op); the plan runs it only for that backend, and
 * leaves alone the convolutions an earlier backend in the preference order takes ({@code claimed}).
 */
public final class ChannelsLastLayout implements GraphPass {
    public static final String NAME = "channels-last";
    private static final List<Long> TO_NHWC = List.of(0L, 2L, 3L, 1L);
    private static final List<Long> TO_NCHW = List.of(0L, 3L, 1L, 2L);

    private final Predicate<Node> claimed;

    public ChannelsLastLayout() {
        this(n -> false);
    }

    /** A pass that leaves alone the convolutions {@code claimed} says another backend runs. */
    public ChannelsLastLayout(Predicate<Node> claimed) {
        this.claimed = claimed;
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int apply(Model model) {
        Graph g = model.graph();
        if (GraphEdits.hasSubgraphs(g)) {
            return 0;
        }
        List<Node> nodes = g.nodes();
        Map<Node, ChannelsLastConv.Kind> kinds = new HashMap<>();
        Map<String, Integer> producerIndex = new HashMap<>();
        int[] parent = new int[nodes.size()];
        boolean[] member = new boolean[nodes.size()];
        for (int i = 0; i < nodes.size(); i++) {
            Node n = nodes.get(i);
            parent[i] = i;
            ChannelsLastConv.Kind k = ChannelsLastConv.kind(n, g);
            if (k != null && !claimed.test(n)) {
                kinds.put(n, k);
                member[i] = true;
            } else {
                member[i] = elementwise(n, g);
            }
            for (String o : n.outputs()) {
                producerIndex.put(o, i);
            }
        }
        for (int i = 0; i < nodes.size(); i++) {
            for (String in : dataInputs(nodes.get(i), kinds)) {
                Integer p = producerIndex.get(in);
                if (member[i] && p != null && member[p]) {
                    parent[find(parent, p)] = find(parent, i);
                }
            }
        }
        Set<Integer> withDepthwise = new HashSet<>();
        for (int i = 0; i < nodes.size(); i++) {
            if (kinds.get(nodes.get(i)) == ChannelsLastConv.Kind.DEPTHWISE) {
                withDepthwise.add(find(parent, i));
            }
        }
        boolean[] convert = new boolean[nodes.size()];
        int converted = 0;
        for (int i = 0; i < nodes.size(); i++) {
            convert[i] = member[i] && withDepthwise.contains(find(parent, i));
            converted += convert[i] ? 1 : 0;
        }
        if (converted == 0) {
            return 0;
        }
        Set<String> readOutside = new HashSet<>(); // values someone reads NCHW: a node left as it is, a first layer
        for (int i = 0; i < nodes.size(); i++) {
            Node n = nodes.get(i);
            if (!convert[i]) {
                n.inputs().forEach(readOutside::add);
            } else if (kinds.get(n) == ChannelsLastConv.Kind.FIRST_LAYER) {
                readOutside.add(n.input(0));
            }
        }
        g.outputs().forEach(o -> readOutside.add(o.name()));

        Map<String, String> nhwc = new HashMap<>(); // NCHW value -> its NHWC twin
        List<Node> rewritten = new ArrayList<>();
        int added = 0;
        for (int i = 0; i < nodes.size(); i++) {
            Node n = nodes.get(i);
            if (!convert[i]) {
                rewritten.add(n);
                continue;
            }
            List<String> inputs = new ArrayList<>(n.inputs());
            for (String in : dataInputs(n, kinds)) {
                if (!nhwc.containsKey(in)) { // produced outside the region: transposed in once, where first read
                    String t = twin(g, in, nhwc);
                    rewritten.add(transpose(n.name() + "/to_nhwc", in, t, TO_NHWC));
                    added++;
                }
                inputs.replaceAll(v -> v.equals(in) ? nhwc.get(in) : v);
            }
            String out = n.outputs().get(0);
            if (n.opType().equals("GlobalAveragePool") && n.domain().isEmpty()) {
                // its [N, C, 1, 1] output is the same bytes either way: written as the graph expects it
                rewritten.add(new Node(n.name(), ChannelsLastConv.GLOBAL_AVERAGE_POOL, ChannelsLastConv.DOMAIN, inputs,
                    n.outputs(), n.attributes()));
                continue;
            }
            String outTwin = twin(g, out, nhwc);
            rewritten.add(kinds.containsKey(n) ? channelsLast(n, inputs, outTwin)
                : new Node(n.name(), n.opType(), n.domain(), inputs, List.of(outTwin), n.attributes()));
            if (readOutside.contains(out)) {
                rewritten.add(transpose(n.name() + "/to_nchw", outTwin, out, TO_NCHW));
                added++;
            }
        }
        nodes.clear();
        nodes.addAll(rewritten);
        return converted + added;
    }

    /** The values a member reads in its layout: a convolution's image, an elementwise node's operands. */
    private static List<String> dataInputs(Node n, Map<Node, ChannelsLastConv.Kind> kinds) {
        if (kinds.get(n) == ChannelsLastConv.Kind.FIRST_LAYER) {
            return List.of(); // reads its image NCHW, as imported
        }
        if (kinds.containsKey(n) || n.opType().equals("Relu") || n.opType().equals("Clip")) {
            return List.of(n.input(0));
        }
        return n.opType().equals("Add") ? n.inputs().stream().distinct().toList()
            : n.opType().equals("GlobalAveragePool") ? List.of(n.input(0)) : List.of();
    }

    /**
     * Relu, Clip with constant bounds, and Add of two same-shaped computed images: the same op on NHWC values gives
     * the NHWC of its result. Broadcasting Adds and constant operands are left out (they would need their own
     * transposes). GlobalAveragePool joins as a block's end: it reads NHWC and writes its usual output.
     */
    private static boolean elementwise(Node n, Graph g) {
        if (!n.domain().isEmpty() || n.outputs().size() != 1) {
            return false;
        }
        ValueType x = n.inputs().isEmpty() ? ValueType.UNKNOWN : g.type(n.input(0));
        if (x.dtype() != DType.F32 || x.rank() != 4 || g.initializers().containsKey(n.input(0))) {
            return false;
        }
        return switch (n.opType()) {
            case "Relu" -> true;
            case "Clip" -> n.inputs().stream().skip(1).allMatch(b -> b.isEmpty() || g.initializers().containsKey(b));
            case "GlobalAveragePool" -> true;
            case "Add" -> n.inputs().size() == 2 && !g.initializers().containsKey(n.input(1))
                && x.equals(g.type(n.input(1))) && x.dims().stream().allMatch(d -> d.isKnown() || d.symbol() != null);
            default -> false;
        };
    }

    private static String twin(Graph g, String value, Map<String, String> nhwc) {
        String t = GraphEdits.freshName(g, value + "_nhwc");
        ValueType type = g.type(value);
        g.setType(t, ValueType.tensor(type.dtype(), ChannelsLastConv.toChannelsLast(type)));
        nhwc.put(value, t);
        return t;
    }

    private static Node channelsLast(Node conv, List<String> inputs, String output) {
        return new Node(conv.name(), ChannelsLastConv.OP, ChannelsLastConv.DOMAIN, inputs, List.of(output),
            conv.attributes());
    }

    private static Node transpose(String name, String in, String out, List<Long> perm) {
        Map<String, Attribute> attrs = new LinkedHashMap<>();
        attrs.put("perm", new Attribute("perm", Attribute.Type.INTS, perm));
        return new Node(name, "Transpose", "", List.of(in), List.of(out), attrs);
    }

    private static int find(int[] parent, int i) {
        while (parent[i] != i) {
            parent[i] = parent[parent[i]];
            i = parent[i];
        }
        return i;
    }
}
