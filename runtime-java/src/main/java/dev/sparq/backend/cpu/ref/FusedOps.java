package dev.sparq.backend.cpu.ref;

import dev.sparq.backend.Kernel;
import dev.sparq.backend.KernelFactory;
import dev.sparq.backend.KernelRegistry;
import dev.sparq.backend.KernelRequest;
import dev.sparq.backend.UnsupportedKernelException;
import dev.sparq.graph.Attribute;
import dev.sparq.graph.ClampedQuantizedOp;
import dev.sparq.graph.Node;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.DoubleUnaryOperator;

/**
 * com.microsoft FusedConv and FusedGemm, as ONNX Runtime defines them and as sparq's activation fusion writes them:
 * the plain Conv / Gemm, then an {@code activation} (Relu, Clip, LeakyRelu, Sigmoid, Tanh, HardSigmoid with
 * {@code activation_params}) on every output element; and sparq's {@link ClampedQuantizedOp}s, the plain integer
 * op, then its bounds.
 */
final class FusedOps {
    static final String MS = "com.microsoft";

    private FusedOps() {
    }

    static void register(KernelRegistry r) {
        r.register(MS, "FusedConv", req -> fused(r, req, "Conv", 3));
        r.register(MS, "FusedGemm", req -> fused(r, req, "Gemm", 3));
        for (String op : List.of("QLinearConv", "QLinearMatMul", "QGemm", "QLinearAdd")) {
            r.register(ClampedQuantizedOp.DOMAIN, op, req -> clamped(r, req));
        }
    }

    /** A {@link ClampedQuantizedOp}: the plain op, then its bounds on every output byte. */
    private static Kernel clamped(KernelRegistry r, KernelRequest req) {
        Node n = req.node();
        Tensor yZero = req.constantInput(ClampedQuantizedOp.outputZeroPointInput(n));
        DType type = yZero == null ? DType.U8 : yZero.dtype();
        if (type != DType.U8 && type != DType.I8) {
            throw new UnsupportedKernelException(ClampedQuantizedOp.malformed(n, type));
        }
        int[] bounds = req.outputBounds(type);
        Node base = ClampedQuantizedOp.unclamped(n);
        Kernel inner = r.find(base.domain(), base.opType()).create(new KernelRequest(base, req.opset(),
            req.constants(), req.types(), req.weightArena()));
        return (inputs, ctx) -> {
            Tensor[] out = inner.run(inputs, ctx);
            Tensor y = out[0];
            for (long i = 0; i < y.size(); i++) {
                y.setLong(i, Math.min(Math.max(y.getLong(i), bounds[0]), bounds[1]));
            }
            return out;
        };
    }

    private static Kernel fused(KernelRegistry r, KernelRequest req, String baseOp, int maxInputs) {
        Node n = req.node();
        // FusedConv's Z: Y = activation(Conv(X, W, B) + Z), Z of Y's shape (sparq's residual-add fusion writes it)
        boolean sum = baseOp.equals("Conv") && n.inputs().size() > maxInputs && n.hasInput(maxInputs);
        if (!sum && n.inputs().size() > maxInputs && n.hasInput(maxInputs)) {
            throw new UnsupportedKernelException(n.opType() + " with a Z (sum) input is not implemented");
        }
        DoubleUnaryOperator act = activation(n);
        Map<String, Attribute> attrs = new LinkedHashMap<>(n.attributes());
        attrs.keySet().removeIf(k -> k.startsWith("activation"));
        Node base = new Node(n.name(), baseOp, "", n.inputs().subList(0, Math.min(maxInputs, n.inputs().size())),
            n.outputs(), attrs);
        KernelFactory f = r.find("", baseOp);
        Kernel inner = f.create(new KernelRequest(base, req.opset(), req.constants(), req.types(),
            req.weightArena()));
        return (inputs, ctx) -> {
            Tensor[] out = inner.run(java.util.Arrays.copyOf(inputs, Math.min(maxInputs, inputs.length)), ctx);
            Tensor y = out[0];
            Tensor z = sum ? inputs[maxInputs] : null;
            if (z != null && !java.util.Arrays.equals(z.shape(), y.shape())) {
                throw new IllegalArgumentException(n.opType() + " " + n.name() + ": Z has shape "
                    + java.util.Arrays.toString(z.shape()) + ", the convolution's output "
                    + java.util.Arrays.toString(y.shape()));
            }
            for (long i = 0; i < y.size(); i++) {
                float v = z == null ? y.getFloat(i) : y.getFloat(i) + z.getFloat(i);
                y.setFloat(i, (float) act.applyAsDouble(v));
            }
            return out;
        };
    }

    private static DoubleUnaryOperator activation(Node n) {
        String name = n.stringAttr("activation", "");
        float[] p = n.has("activation_params") ? n.attr("activation_params").asFloats() : new float[0];
        return switch (name) {
            case "" -> x -> x;
            case "Relu" -> x -> Math.max(x, 0f);
            case "Clip" -> {
                float lo = p.length > 0 ? p[0] : Float.NEGATIVE_INFINITY;
                float hi = p.length > 1 ? p[1] : Float.POSITIVE_INFINITY;
                yield x -> Math.min(Math.max(x, lo), hi);
            }
            case "LeakyRelu" -> {
                float alpha = p.length > 0 ? p[0] : 0.01f;
                yield x -> x >= 0 ? x : (float) (alpha * x);
            }
            case "Sigmoid" -> x -> (float) (1 / (1 + Math.exp(-x)));
            case "Tanh" -> x -> (float) Math.tanh(x);
            case "HardSigmoid" -> {
                float alpha = p.length > 0 ? p[0] : 0.2f;
                float beta = p.length > 1 ? p[1] : 0.5f;
                yield x -> Math.max(0, Math.min(1, alpha * x + beta));
            }
            default -> throw new UnsupportedKernelException("fused activation " + name + " is not implemented");
        };
    }
}
