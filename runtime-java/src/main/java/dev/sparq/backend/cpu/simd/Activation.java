package dev.sparq.backend.cpu.simd;

import dev.sparq.backend.KernelRequest;
import dev.sparq.backend.UnsupportedKernelException;
import dev.sparq.graph.Node;
import dev.sparq.tensor.Tensor;

/** The clamp a fused activation turns into: Relu is [0, +inf), Clip/Relu6 is [min, max], none is everything. */
record Activation(float min, float max) {
    static final Activation NONE = new Activation(Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY);
    static final Activation RELU = new Activation(0f, Float.POSITIVE_INFINITY);

    /** The activation of a com.microsoft Fused* node ("activation" and "activation_params" attributes). */
    static Activation ofFused(Node node) {
        String act = node.stringAttr("activation", "");
        return switch (act) {
            case "" -> NONE;
            case "Relu" -> RELU;
            case "Clip" -> {
                float[] p = node.has("activation_params") ? node.attr("activation_params").asFloats() : new float[0];
                if (p.length != 2) {
                    throw new UnsupportedKernelException("Clip activation needs two activation_params");
                }
                yield new Activation(p[0], p[1]);
            }
            default -> throw new UnsupportedKernelException("fused activation " + act + " is not a clamp");
        };
    }

    /** A standalone Relu or Clip node as a clamp; Clip's bounds must be constants. */
    static Activation ofNode(KernelRequest r) {
        Node n = r.node();
        if (n.opType().equals("Relu")) {
            return RELU;
        }
        if (r.opset() < 11) {
            return new Activation(n.floatAttr("min", Float.NEGATIVE_INFINITY), n.floatAttr("max", Float.POSITIVE_INFINITY));
        }
        return new Activation(bound(r, 1, Float.NEGATIVE_INFINITY), bound(r, 2, Float.POSITIVE_INFINITY));
    }

    private static float bound(KernelRequest r, int input, float absent) {
        if (!r.node().hasInput(input)) {
            return absent;
        }
        Tensor t = r.constantInput(input);
        if (t == null || t.size() != 1) {
            throw new UnsupportedKernelException("Clip bound is not a constant scalar");
        }
        return t.getFloat(0);
    }

    Epilogue epilogue(float[] rowBias, float[] colBias) {
        return new Epilogue(rowBias, colBias, min, max);
    }
}
