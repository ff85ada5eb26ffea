package dev.sparq.graph.pass;

import dev.sparq.graph.Attribute;
import dev.sparq.graph.ChannelsLastConv;
import dev.sparq.graph.ClampedQuantizedOp;
import dev.sparq.graph.Dim;
import dev.sparq.graph.Graph;
import dev.sparq.graph.Model;
import dev.sparq.graph.Node;
import dev.sparq.graph.ValueType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Fuses a network's first layer into the 3×3 stride-2 MaxPool that alone reads it ({@value #OP}, ResNet's stem):
 * the convolution's 112×112×64 image (3.2 MB) was written to memory and read back by the pool, and transposed to
 * NCHW whole; fused, each pooled row is made from three convolution rows still in cache, and only the pooled image
 * (a quarter) is stored. The node keeps the convolution's inputs (X, W, B) and attributes, its clamp activation
 * included, and adds the pool's window as {@value #POOL_KERNEL_SHAPE}, {@value #POOL_STRIDES} and
 * {@value #POOL_PADS}. Taken only where the kernel can run it: a float Conv or FusedConv without a residual input,
 * of at most {@value ChannelsLastConv#FIRST_LAYER_CHANNELS} input channels and a reduction of at most
 * {@value ChannelsLastConv#FIRST_LAYER_DEPTH}, stride 1 or 2, on a known image size; the pool 3×3, stride 2, one
 * row and column of padding before, each window's centre inside the image, no Indices output. Runs after
 * {@link ChannelsLastLayout} (a first layer it made channels-last is not a Conv any more). Convolutions and pools
 * another backend claims are left alone.
 */
public final class ConvMaxPoolFusion implements GraphPass {
    public static final String NAME = "conv-maxpool-fusion";
    public static final String DOMAIN = ClampedQuantizedOp.DOMAIN;
    public static final String OP = "ConvMaxPool";
    public static final String POOL_KERNEL_SHAPE = "pool_kernel_shape";
    public static final String POOL_STRIDES = "pool_strides";
    public static final String POOL_PADS = "pool_pads";
    private final Predicate<Node> claimed;

    public ConvMaxPoolFusion() {
        this(n -> false);
    }

    /** A pass that leaves alone the nodes {@code claimed} says another backend runs. */
    public ConvMaxPoolFusion(Predicate<Node> claimed) {
        this.claimed = claimed;
    }

    public static boolean is(Node n) {
        return n.domain().equals(DOMAIN) && n.opType().equals(OP);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int apply(Model model) {
        Graph g = model.graph();
        int fused = 0;
        for (Node pool : new ArrayList<>(g.nodes())) {
            if (!pool.domain().isEmpty() || !pool.opType().equals("MaxPool") || !plainPool(pool)
                || claimed.test(pool)) {
                continue;
            }
            Node conv = GraphEdits.producer(g, pool.input(0));
            if (conv == null || GraphEdits.soleConsumer(g, pool.input(0)) != pool || claimed.test(conv)
                || !firstLayer(conv, g) || !windowsCentred(pool, g.type(pool.input(0)))) {
                continue;
            }
            Map<String, Attribute> attrs = new LinkedHashMap<>(conv.attributes());
            attrs.put(POOL_KERNEL_SHAPE, ints(POOL_KERNEL_SHAPE, 3, 3));
            attrs.put(POOL_STRIDES, ints(POOL_STRIDES, 2, 2));
            attrs.put(POOL_PADS, ints(POOL_PADS, pool.intsAttr("pads", new long[4])));
            Node f = new Node(conv.name(), OP, DOMAIN, conv.inputs(), List.of(pool.outputs().get(0)), attrs);
            g.nodes().set(g.nodes().indexOf(pool), f);
            g.nodes().remove(conv);
            fused++;
        }
        return fused;
    }

    /** 3×3, stride 2, one row and column of padding before and at most one after; no Indices output. */
    private static boolean plainPool(Node p) {
        long[] pads = p.intsAttr("pads", new long[] {0, 0, 0, 0});
        return p.inputs().size() == 1 && (p.outputs().size() == 1 || p.outputs().get(1).isEmpty())
            && Arrays.equals(p.intsAttr("kernel_shape", null), new long[] {3, 3})
            && Arrays.equals(p.intsAttr("strides", new long[] {1, 1}), new long[] {2, 2})
            && Arrays.equals(p.intsAttr("dilations", new long[] {1, 1}), new long[] {1, 1})
            && p.intAttr("ceil_mode", 0) == 0 && p.stringAttr("auto_pad", "NOTSET").equals("NOTSET")
            && pads.length == 4 && pads[0] == 1 && pads[1] == 1 && pads[2] >= 0 && pads[2] <= 1 && pads[3] >= 0
            && pads[3] <= 1;
    }

    /** A float first layer (RGB and the like) of stride 1 or 2 with no residual input, its image size known. */
    private static boolean firstLayer(Node conv, Graph g) {
        boolean fusedConv = conv.opType().equals("FusedConv") && conv.domain().equals(ActivationFusion.DOMAIN);
        if (fusedConv && conv.inputs().size() > 3 && conv.hasInput(3)) {
            return false;
        }
        ValueType x = g.type(conv.input(0));
        return ChannelsLastConv.kind(conv, g) == ChannelsLastConv.Kind.FIRST_LAYER && x.rank() == 4
            && x.dims().get(2).isKnown() && x.dims().get(3).isKnown();
    }

    /** Whether every pooled window's centre is inside the convolution's image (what the kernel assumes). */
    private static boolean windowsCentred(Node pool, ValueType y) {
        if (y.rank() != 4) {
            return false;
        }
        long[] pads = pool.intsAttr("pads", new long[4]);
        for (int axis = 0; axis < 2; axis++) {
            Dim d = y.dims().get(2 + axis);
            if (!d.isKnown()) {
                return false;
            }
            long size = d.value();
            long pooled = (size + pads[axis] + pads[axis + 2] - 3) / 2 + 1;
            if (pooled < 1 || 2 * (pooled - 1) >= size) {
                return false;
            }
        }
        return true;
    }

    private static Attribute ints(String name, long... v) {
        return new Attribute(name, Attribute.Type.INTS, Arrays.stream(v).boxed().toList());
    }
}
