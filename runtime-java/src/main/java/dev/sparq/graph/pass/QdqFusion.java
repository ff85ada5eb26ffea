package dev.sparq.graph.pass;

import dev.sparq.graph.Attribute;
import dev.sparq.graph.Graph;
import dev.sparq.graph.Model;
import dev.sparq.graph.Node;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns QDQ convolutions and matrix products into QOperator ops so the integer kernels run:
 * {@code DequantizeLinear(x_q) → Conv(·, DequantizeLinear(w_q), DequantizeLinear(b_q)) [→ Relu | Clip] →
 * QuantizeLinear(y)} becomes {@code QLinearConv(x_q, …, w_q, …, y_scale, y_zp, b_q) → y}; the same around a MatMul,
 * or a Gemm without C (alpha 1, transA 0; a transB weight is stored transposed), becomes QLinearMatMul; a Gemm with
 * a bias C (beta 1) becomes {@code com.microsoft} QGemm, ONNX Runtime's contrib op with an int32 C (and a Gemm whose
 * output is not quantized again becomes QGemm with a float output); and an Add of
 * two dequantized per-tensor values (a residual connection) becomes {@code com.microsoft} QLinearAdd, which is
 * defined as exactly that float sum requantized.
 * <p>
 * Only where the two compute the same thing: per-tensor activation scales, weights quantized per tensor or per
 * output channel (axis 0 of a Conv weight, the N axis of a MatMul/Gemm weight; no blocked scales), an int32 bias
 * whose scale is input scale × weight scale (zero point 0). A Relu/Clip between the op and its QuantizeLinear is
 * dropped when QuantizeLinear's saturation already does its clamp (e.g. Relu before a uint8 output with zero point
 * 0) and otherwise becomes a Clip on the quantized output with the quantized bounds: quantization is monotone, so
 * {@code Q(clip(x, a, b)) = clip(Q(x), Q(a), Q(b))} exactly (e.g. Relu before an int8 symmetric output: a clamp at
 * the zero point). The DequantizeLinear nodes left without readers are removed by {@link DeadNodeRemoval}. Weights
 * and scales must be initializers: run {@link ConstantFolding} first (PyTorch keeps them in Constant nodes). Must
 * run before {@link ActivationFusion}, which would hide the Relu inside a FusedConv.
 */
public final class QdqFusion implements GraphPass {
    /** Relative difference allowed between a bias scale and input scale × weight scale (float vs double rounding). */
    static final float BIAS_SCALE_TOLERANCE = 1e-6f;

    @Override
    public String name() {
        return "qdq-fusion";
    }

    @Override
    public int apply(Model model) {
        Graph g = model.graph();
        int fused = 0;
        for (Node n : new ArrayList<>(g.nodes())) {
            if (fuse(model, n) != null || fuseAdd(model, n) != null) {
                fused++;
            }
        }
        return fused;
    }

    /** The dequantized operand {@code value}: its DequantizeLinear node, or null. */
    private record Dequantized(Node node, Tensor scale, Tensor zeroPoint) {
        static Dequantized of(Graph g, String value) {
            Node dq = GraphEdits.producer(g, value);
            if (dq == null || !dq.domain().isEmpty() || !dq.opType().equals("DequantizeLinear")
                || dq.intAttr("block_size", 0) != 0 || dq.has("output_dtype")) {
                return null;
            }
            Tensor scale = g.initializers().get(dq.input(1));
            Tensor zp = dq.hasInput(2) ? g.initializers().get(dq.input(2)) : null;
            if (scale == null || scale.dtype() != DType.F32 || (dq.hasInput(2) && zp == null)) {
                return null;
            }
            return new Dequantized(dq, scale, zp);
        }

        String quantized() {
            return node.input(0);
        }

        boolean perTensor() {
            return scale.size() == 1;
        }

        /** Per tensor, or per channel along {@code axis} (the output channels of a weight). */
        boolean perTensorOrAxis(int axis, long rank) {
            return perTensor() || (scale.rank() == 1 && Math.floorMod(node.intAttr("axis", 1), rank) == axis);
        }
    }

    /**
     * Replaces the chain around {@code op} (Conv, MatMul, or Gemm without C) ending at its QuantizeLinear by a
     * QLinearConv or QLinearMatMul; returns it, or null where that would not compute the same.
     */
    private static Node fuse(Model model, Node op) {
        boolean conv = op.opType().equals("Conv");
        boolean gemm = op.opType().equals("Gemm");
        if (!op.domain().isEmpty() || !(conv || gemm || op.opType().equals("MatMul"))) {
            return null;
        }
        // The integer ops requantize right after the product (+ int32 bias): no place for alpha, beta or A^T.
        if (gemm && (op.intAttr("transA", 0) != 0 || op.floatAttr("alpha", 1f) != 1f
            || (op.hasInput(2) && op.floatAttr("beta", 1f) != 1f))) {
            return null;
        }
        Graph g = model.graph();
        Dequantized x = Dequantized.of(g, op.input(0));
        Dequantized w = Dequantized.of(g, op.input(1));
        if (x == null || w == null || !x.perTensor() || !g.initializers().containsKey(w.quantized())) {
            return null;
        }
        Tensor wq = g.initializers().get(w.quantized());
        boolean transposed = gemm && op.intAttr("transB", 0) != 0;
        int channelAxis = conv || transposed ? 0 : 1; // the output channels: Conv [Cout,...], B [K,N] or B^T [N,K]
        if (!isByte(wq.dtype()) || !isByte(g.type(x.quantized()).dtype()) || (!conv && wq.rank() != 2)
            || !w.perTensorOrAxis(channelAxis, wq.rank())) {
            return null;
        }
        boolean biased = (conv || gemm) && op.hasInput(2);
        String bias = biased ? exactBias(g, op.input(2), x.scale().getFloat(0), w.scale()) : "";
        if (bias == null) {
            return null;
        }
        OutputChain out = outputQuantize(g, op, model.opset(""));
        if (out == null) {
            return gemm ? floatQGemm(model, op, x, w, wq, bias) : null;
        }
        Node quantize = out.quantize();
        boolean qgemm = gemm && biased;
        String weight = transposed && !qgemm ? transposedWeight(model, w.quantized(), wq) : w.quantized();
        List<String> inputs = new ArrayList<>(List.of(x.quantized(), x.node().input(1),
            zeroPointOf(model, x, g.type(x.quantized()).dtype()), weight, w.node().input(1),
            zeroPointOf(model, w, wq.dtype())));
        List<String> yQuant = List.of(quantize.input(1), quantize.input(2));
        List<String> outputs = fusedOutputs(g, out);
        Node fused;
        if (conv) { // x, scale, zp, w, scale, zp, y scale, y zp [, bias]
            inputs.addAll(yQuant);
            if (!bias.isEmpty()) {
                inputs.add(bias);
            }
            fused = new Node(op.name(), "QLinearConv", "", inputs, outputs, new LinkedHashMap<>(op.attributes()));
        } else if (qgemm) { // a, scale, zp, b, scale, zp, C, y scale, y zp
            inputs.add(bias);
            inputs.addAll(yQuant);
            Map<String, Attribute> attrs = new LinkedHashMap<>();
            attrs.put("transB", new Attribute("transB", Attribute.Type.INT, op.intAttr("transB", 0)));
            fused = new Node(op.name(), "QGemm", ActivationFusion.DOMAIN, inputs, outputs, attrs);
        } else {
            inputs.addAll(yQuant);
            fused = new Node(op.name(), "QLinearMatMul", "", inputs, outputs, Map.of());
        }
        return replaceChain(model, op, out, fused);
    }

    /**
     * A Gemm of dequantized operands whose output stays float (a classifier feeding the graph output, or a consumer
     * other than one QuantizeLinear) becomes QGemm without y_scale: the int32 sum (+ int32 bias) times
     * a_scale·b_scale[n], as ONNX Runtime's QDQ Gemm fusion does. The weights stay 8-bit (a quarter of the bytes a
     * GEMV streams) and the sum is exact, where the float Gemm rounds at every step.
     */
    private static Node floatQGemm(Model model, Node op, Dequantized x, Dequantized w, Tensor wq, String bias) {
        Graph g = model.graph();
        List<String> inputs = List.of(x.quantized(), x.node().input(1), zeroPointOf(model, x, g.type(x.quantized())
            .dtype()), w.quantized(), w.node().input(1), zeroPointOf(model, w, wq.dtype()), bias);
        Map<String, Attribute> attrs = new LinkedHashMap<>();
        attrs.put("transB", new Attribute("transB", Attribute.Type.INT, op.intAttr("transB", 0)));
        Node fused = new Node(op.name(), "QGemm", ActivationFusion.DOMAIN, inputs, op.outputs(), attrs);
        g.nodes().set(g.nodes().indexOf(op), fused);
        return fused;
    }

    /** The outputs a fused op writes: the QuantizeLinear's, or a fresh value when an integer clamp follows. */
    private static List<String> fusedOutputs(Graph g, OutputChain out) {
        List<String> q = out.quantize().outputs();
        return out.clamp() == null ? q : List.of(GraphEdits.freshName(g, q.get(0) + "_unclamped"));
    }

    /**
     * Puts {@code fused} (and the integer clamp, if any) where the chain's QuantizeLinear was and drops the chain
     * from {@code head} to it: everything between has that one reader chain. Returns {@code fused}.
     */
    private static Node replaceChain(Model model, Node head, OutputChain out, Node fused) {
        Graph g = model.graph();
        Node quantize = out.quantize();
        int at = g.nodes().indexOf(quantize);
        g.nodes().set(at, fused);
        if (out.clamp() != null) {
            g.nodes().add(at + 1, out.clamp().node(model, fused.outputs().get(0), quantize.outputs().get(0),
                g.type(quantize.input(2)).dtype()));
        }
        for (Node n = GraphEdits.producer(g, quantize.input(0)); n != head; ) {
            Node next = GraphEdits.producer(g, n.input(0));
            g.nodes().remove(n);
            n = next;
        }
        g.nodes().remove(head);
        return fused;
    }

    /**
     * {@code DQ(a) + DQ(b) [→ Relu | Clip] → Q} with per-tensor parameters and one 8-bit type throughout becomes
     * QLinearAdd (and the integer clamp of the activation, if saturation does not do it); null if not that chain.
     */
    private static Node fuseAdd(Model model, Node add) {
        if (!add.domain().isEmpty() || !add.opType().equals("Add") || add.inputs().size() != 2) {
            return null;
        }
        Graph g = model.graph();
        Dequantized a = Dequantized.of(g, add.input(0));
        Dequantized b = Dequantized.of(g, add.input(1));
        if (a == null || b == null || !a.perTensor() || !b.perTensor()
            || (a.zeroPoint() != null && a.zeroPoint().size() != 1) || (b.zeroPoint() != null && b.zeroPoint().size() != 1)) {
            return null;
        }
        DType type = g.type(a.quantized()).dtype();
        if (!isByte(type) || type != g.type(b.quantized()).dtype()) {
            return null;
        }
        OutputChain out = outputQuantize(g, add, model.opset(""));
        if (out == null || g.initializers().get(out.quantize().input(2)).dtype() != type) {
            return null;
        }
        Node quantize = out.quantize();
        Node fused = new Node(add.name(), "QLinearAdd", ActivationFusion.DOMAIN, List.of(a.quantized(),
            a.node().input(1), zeroPointOf(model, a, type), b.quantized(), b.node().input(1), zeroPointOf(model, b, type),
            quantize.input(1), quantize.input(2)), fusedOutputs(g, out), Map.of());
        return replaceChain(model, add, out, fused);
    }

    /** A new initializer holding the [N, K] weight {@code w} as [K, N], the layout QLinearMatMul reads. */
    private static String transposedWeight(Model model, String name, Tensor w) {
        long n = w.dim(0);
        long k = w.dim(1);
        Tensor t = Tensor.allocate(w.dtype(), new long[] {k, n}, model.arena());
        for (long r = 0; r < n; r++) {
            for (long c = 0; c < k; c++) {
                t.setLong(c * n + r, w.getLong(r * k + c));
            }
        }
        String fresh = GraphEdits.freshName(model.graph(), name + "_transposed");
        model.graph().initializers().put(fresh, t);
        model.graph().setType(fresh, dev.sparq.graph.ValueType.tensor(t.dtype(), t.shape()));
        return fresh;
    }

    private static boolean isByte(DType t) {
        return t == DType.U8 || t == DType.I8;
    }

    /**
     * The zero point input of a DequantizeLinear, materialized if it was omitted: a 0 of the quantized input's type
     * (what DequantizeLinear implies), which QLinearConv needs spelled out.
     */
    private static String zeroPointOf(Model model, Dequantized d, DType quantizedType) {
        Graph g = model.graph();
        if (d.node().hasInput(2)) {
            return d.node().input(2);
        }
        String name = GraphEdits.freshName(g, d.quantized() + "_zero_point");
        g.initializers().put(name, Tensor.allocate(quantizedType, new long[0], model.arena()));
        g.setType(name, dev.sparq.graph.ValueType.tensor(quantizedType));
        return name;
    }

    /**
     * The int32 bias QLinearConv can add as it is: a DequantizeLinear of an int32 initializer with zero point 0 and
     * scale x_scale × w_scale[c]. "" never; null when the bias does not map exactly.
     */
    private static String exactBias(Graph g, String value, float xScale, Tensor wScale) {
        Dequantized b = Dequantized.of(g, value);
        if (b == null) {
            return null;
        }
        Tensor bq = g.initializers().get(b.quantized());
        if (bq == null || bq.dtype() != DType.I32 || bq.rank() != 1) {
            return null;
        }
        if (b.zeroPoint() != null && java.util.Arrays.stream(b.zeroPoint().toLongArray()).anyMatch(z -> z != 0)) {
            return null;
        }
        long channels = bq.size();
        if (!(b.scale().size() == 1 || b.scale().size() == channels) || !(wScale.size() == 1 || wScale.size() == channels)) {
            return null;
        }
        for (int c = 0; c < channels; c++) {
            float expected = xScale * wScale.getFloat(wScale.size() == 1 ? 0 : c);
            float actual = b.scale().getFloat(b.scale().size() == 1 ? 0 : c);
            if (Math.abs(actual - expected) > BIAS_SCALE_TOLERANCE * Math.abs(expected)) {
                return null;
            }
        }
        return b.quantized();
    }

    /** The QuantizeLinear ending a chain, and the integer clamp left of its Relu/Clip (null: none needed). */
    private record OutputChain(Node quantize, IntegerClamp clamp) {
    }

    /** Quantized bounds of a Relu/Clip, applied to the quantized output as an ONNX Clip on 8-bit values. */
    private record IntegerClamp(long low, long high) {
        Node node(Model model, String input, String output, DType type) {
            Graph g = model.graph();
            String lo = GraphEdits.freshName(g, output + "_clip_min");
            String hi = GraphEdits.freshName(g, output + "_clip_max");
            for (String name : List.of(lo, hi)) {
                Tensor t = Tensor.allocate(type, new long[0], model.arena());
                t.setLong(0, name.equals(lo) ? low : high);
                g.initializers().put(name, t);
                g.setType(name, dev.sparq.graph.ValueType.tensor(type));
            }
            return new Node(output + "_clip", "Clip", "", List.of(input, lo, hi), List.of(output), Map.of());
        }
    }

    /**
     * The per-tensor QuantizeLinear reading {@code conv}'s output, through at most one Relu/Clip with constant
     * bounds; null if the chain is anything else.
     */
    private static OutputChain outputQuantize(Graph g, Node conv, long opset) {
        Node next = GraphEdits.soleConsumer(g, conv.outputs().get(0));
        Node activation = null;
        if (next != null && next.domain().isEmpty() && (next.opType().equals("Relu") || next.opType().equals("Clip"))) {
            activation = next;
            next = GraphEdits.soleConsumer(g, activation.outputs().get(0));
        }
        if (next == null || !next.domain().isEmpty() || !next.opType().equals("QuantizeLinear")
            || !next.hasInput(2) || next.has("output_dtype")) {
            return null;
        }
        Tensor scale = g.initializers().get(next.input(1));
        Tensor zp = g.initializers().get(next.input(2));
        if (scale == null || zp == null || scale.size() != 1 || zp.size() != 1 || !isByte(zp.dtype())) {
            return null;
        }
        if (activation == null) {
            return new OutputChain(next, null);
        }
        float[] bounds = activation.opType().equals("Relu") ? new float[] {0f, Float.POSITIVE_INFINITY}
            : ActivationFusion.clipBounds(g, activation, opset);
        if (bounds == null) {
            return null;
        }
        long lowest = zp.dtype() == DType.U8 ? 0 : -128;
        long highest = zp.dtype() == DType.U8 ? 255 : 127;
        long z = zp.getLong(0);
        long low = (long) Math.max(lowest, Math.min(highest, quantize(bounds[0], scale.getFloat(0), z)));
        long high = (long) Math.max(lowest, Math.min(highest, quantize(bounds[1], scale.getFloat(0), z)));
        if (low == lowest && high == highest) {
            return new OutputChain(next, null); // saturation already clamps
        }
        // Clip on 8-bit integers exists from opset 12; the graph's own Clip must also not be older than that.
        return opset >= 12 ? new OutputChain(next, new IntegerClamp(low, high)) : null;
    }

    /** ONNX QuantizeLinear before saturation: round_half_even(x / scale) + zero point (infinite bounds stay so). */
    private static double quantize(float x, float scale, long zeroPoint) {
        return Math.rint(x / scale) + zeroPoint;
    }
}
