package dev.sparq.graph;

import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import java.util.Arrays;

/**
 * A 2-D convolution on channels-last (NHWC) images: op {@value #OP} in domain {@value #DOMAIN}, with the inputs and
 * attributes of the Conv or com.microsoft FusedConv it replaces (weights stay [Cout, Cin/group, kh, kw]), reading
 * X as [N, H, W, Cin] and writing Y as [N, OH, OW, Cout]. Only the kinds where channels-last saves work are made:
 * pointwise (1×1, stride 1, no padding: a GEMM with pixels as rows), depthwise (one filter per channel: channels in
 * the vector lanes), and a network's first layer ({@link Kind#FIRST_LAYER}: at most {@value #FIRST_LAYER_CHANNELS}
 * input channels, which it reads NCHW as imported: its product is pixel-major already, and the image needs no
 * transpose). No other runtime knows the op; the layout pass makes it only for a backend that registers it.
 */
public final class ChannelsLastConv {
    public static final String DOMAIN = ClampedQuantizedOp.DOMAIN;
    public static final String OP = "NhwcConv";
    /**
     * A pointwise layer and the 3×3 depthwise layer that alone reads it, as one node (inputs X, W1, B1, W2, B2, the
     * depthwise layer's attributes, the pointwise activation as {@value #POINTWISE_ACTIVATION} and
     * {@value #POINTWISE_ACTIVATION_PARAMS}): the kernel keeps the expanded image to a few rows in cache.
     */
    public static final String FUSED_OP = "NhwcPointwiseDepthwise";
    /**
     * GlobalAveragePool of an NHWC image, written as the NCHW [N, C, 1, 1] the graph expects (the same bytes as
     * [N, 1, 1, C]): where a channels-last block ends in the pool, no Transpose is needed.
     */
    public static final String GLOBAL_AVERAGE_POOL = "NhwcGlobalAveragePool";
    public static final String POINTWISE_ACTIVATION = "pointwise_activation";
    public static final String POINTWISE_ACTIVATION_PARAMS = "pointwise_activation_params";

    /** What a convertible convolution is. */
    public enum Kind { POINTWISE, DEPTHWISE, FIRST_LAYER }

    /** Input channels up to which a dense layer is a first layer (RGB and the like). */
    public static final int FIRST_LAYER_CHANNELS = 4;
    /** A first layer's reduction (Cin · kh · kw) at most: what its kernel computes in one pass. */
    public static final int FIRST_LAYER_DEPTH = 256;

    private ChannelsLastConv() {
    }

    public static boolean is(Node n) {
        return n.domain().equals(DOMAIN) && n.opType().equals(OP);
    }

    /**
     * The kind of channels-last convolution {@code n} can become, or null: a float Conv or FusedConv (clamp
     * activation) with constant weights and bias, explicit padding and an input of known rank 4 and channels.
     */
    public static Kind kind(Node n, Graph g) {
        boolean fused = n.opType().equals("FusedConv") && n.domain().equals("com.microsoft");
        if (!(fused || (n.opType().equals("Conv") && n.domain().isEmpty())) || n.inputs().size() < 2
            || n.outputs().size() != 1) {
            return null;
        }
        if (fused && !clampActivation(n)) {
            return null;
        }
        Tensor w = g.initializers().get(n.input(1));
        ValueType x = g.type(n.input(0));
        if (w == null || w.dtype() != DType.F32 || w.rank() != 4 || x.dtype() != DType.F32 || x.rank() != 4
            || !x.dims().get(1).isKnown() || !n.stringAttr("auto_pad", "NOTSET").equals("NOTSET")) {
            return null;
        }
        long cout = w.dim(0);
        if (n.hasInput(2)) {
            Tensor b = g.initializers().get(n.input(2));
            if (b == null || b.dtype() != DType.F32 || b.rank() != 1 || b.dim(0) != cout) {
                return null;
            }
        }
        long[] ks = n.intsAttr("kernel_shape", null);
        long[] s = n.intsAttr("strides", new long[] {1, 1});
        long[] d = n.intsAttr("dilations", new long[] {1, 1});
        long[] p = n.intsAttr("pads", new long[] {0, 0, 0, 0});
        if ((ks != null && (ks.length != 2 || ks[0] != w.dim(2) || ks[1] != w.dim(3))) || s.length != 2
            || d.length != 2 || p.length != 4 || Arrays.stream(s).anyMatch(v -> v < 1)
            || Arrays.stream(d).anyMatch(v -> v < 1) || Arrays.stream(p).anyMatch(v -> v < 0)) {
            return null;
        }
        long cin = x.dims().get(1).value();
        long group = n.intAttr("group", 1);
        if (group == 1 && w.dim(1) == cin && w.dim(2) == 1 && w.dim(3) == 1 && s[0] == 1 && s[1] == 1
            && Arrays.stream(p).allMatch(v -> v == 0)) {
            return Kind.POINTWISE;
        }
        if (group == cin && cin > 1 && cout == cin && w.dim(1) == 1) {
            return Kind.DEPTHWISE;
        }
        if (group == 1 && cin <= FIRST_LAYER_CHANNELS && w.dim(1) == cin && cin * w.dim(2) * w.dim(3) <= FIRST_LAYER_DEPTH
            && s[0] == s[1] && s[0] <= 2) {
            return Kind.FIRST_LAYER;
        }
        return null;
    }

    /**
     * The kind of a node of this op, from its weights and attributes: what {@link #kind} found when it made the node
     * (for the kernels and the passes after it, which see the image already NHWC).
     */
    public static Kind kindOf(Node n, Tensor w) {
        long group = n.intAttr("group", 1);
        if (group == 1 && w.dim(2) == 1 && w.dim(3) == 1
            && Arrays.equals(n.intsAttr("strides", new long[] {1, 1}), new long[] {1, 1})
            && Arrays.stream(n.intsAttr("pads", new long[4])).allMatch(v -> v == 0)) {
            return Kind.POINTWISE;
        }
        if (group > 1 && group == w.dim(0) && w.dim(1) == 1) {
            return Kind.DEPTHWISE;
        }
        return group == 1 ? Kind.FIRST_LAYER : null;
    }

    private static boolean clampActivation(Node n) {
        String act = n.stringAttr("activation", "");
        return act.isEmpty() || act.equals("Relu")
            || (act.equals("Clip") && n.has("activation_params") && n.attr("activation_params").asFloats().length == 2);
    }

    /** [N, H, W, C] dims of an [N, C, H, W] type (null if its rank is not 4). */
    public static java.util.List<Dim> toChannelsLast(ValueType t) {
        if (t.rank() != 4) {
            return null;
        }
        java.util.List<Dim> d = t.dims();
        return java.util.List.of(d.get(0), d.get(2), d.get(3), d.get(1));
    }
}
