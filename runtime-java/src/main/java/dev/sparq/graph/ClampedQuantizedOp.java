package dev.sparq.graph;

import dev.sparq.tensor.DType;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A QLinearConv, QLinearMatMul, com.microsoft QGemm or QLinearAdd with the Clip on its quantized output fused in
 * (what QDQ fusion leaves of a Relu before an int8 output): the same op and inputs in domain {@value #DOMAIN}, whose
 * int attributes {@value #MIN} and {@value #MAX} bound the output within its type's range. No other runtime knows
 * the domain, and only backends that apply the bounds register its ops, so a backend can never drop the clamp by not
 * knowing it.
 */
public final class ClampedQuantizedOp {
    public static final String DOMAIN = "dev.sparq";
    public static final String MIN = "clip_min";
    public static final String MAX = "clip_max";
    /** The ops that take a clamp, by the domain they come from. */
    private static final Map<String, String> ORIGIN = Map.of("QLinearConv", "", "QLinearMatMul", "",
        "QGemm", "com.microsoft", "QLinearAdd", "com.microsoft");

    private ClampedQuantizedOp() {
    }

    /** Whether {@code n} is an op a clamp can be fused into (in its own domain; a QGemm only with an 8-bit output). */
    public static boolean takesClamp(Node n) {
        return n.domain().equals(ORIGIN.get(n.opType())) && (!n.opType().equals("QGemm") || n.hasInput(7));
    }

    /** The input holding the output zero point (its type is the output's): y_zero_point, or QGemm's after C. */
    public static int outputZeroPointInput(Node n) {
        return n.opType().equals("QGemm") ? 8 : 7;
    }

    /** {@code n} with the output bounds [min, max] (within its 8-bit type) and the Clip's output as its own. */
    public static Node clamped(Node n, long min, long max, String output) {
        Map<String, Attribute> attrs = new LinkedHashMap<>(n.attributes());
        attrs.put(MIN, new Attribute(MIN, Attribute.Type.INT, min));
        attrs.put(MAX, new Attribute(MAX, Attribute.Type.INT, max));
        return new Node(n.name(), n.opType(), DOMAIN, n.inputs(), List.of(output), attrs);
    }

    /** A clamped node as its plain op (origin domain, no bounds): for a backend that clamps after the plain kernel. */
    public static Node unclamped(Node n) {
        Map<String, Attribute> attrs = new LinkedHashMap<>(n.attributes());
        attrs.remove(MIN);
        attrs.remove(MAX);
        return new Node(n.name(), n.opType(), ORIGIN.getOrDefault(n.opType(), ""), n.inputs(), n.outputs(), attrs);
    }

    /**
     * The output bounds {min, max} of {@code n} with an output of {@code type} (U8 or I8): the type's range, narrowed
     * by the attributes of a node of this domain. Null when those are missing, outside the type or crossed (a
     * malformed model: the caller reports it).
     */
    public static int[] bounds(Node n, DType type) {
        int lowest = type == DType.U8 ? 0 : -128;
        int highest = type == DType.U8 ? 255 : 127;
        if (!n.domain().equals(DOMAIN)) {
            return new int[] {lowest, highest};
        }
        if (!n.has(MIN) || !n.has(MAX)) {
            return null;
        }
        long min = n.intAttr(MIN, lowest);
        long max = n.intAttr(MAX, highest);
        return min < lowest || max > highest || min > max ? null : new int[] {(int) min, (int) max};
    }

    /** What is wrong with a node whose {@link #bounds} are null. */
    public static String malformed(Node n, DType type) {
        return n.opType() + " of domain " + n.domain() + " needs int attributes " + MIN + " <= " + MAX + " within "
            + type;
    }
}
