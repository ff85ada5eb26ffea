package dev.sparq.backend.cpu.ref;

import dev.sparq.backend.Kernel;
import dev.sparq.backend.KernelRegistry;
import dev.sparq.backend.KernelRequest;
import dev.sparq.backend.UnsupportedKernelException;
import dev.sparq.graph.Attribute;
import dev.sparq.graph.Node;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import java.util.function.DoublePredicate;
import java.util.function.DoubleUnaryOperator;
import java.util.function.LongUnaryOperator;

/**
 * One-input elementwise ops (activations, math functions, IsNaN/IsInf), plus PRelu, Clip, Cast, Identity and
 * Dropout. Floating types compute in double and round once to the tensor's type.
 */
public final class UnaryOps {
    private static final double SELU_ALPHA = 1.67326319217681884765625;
    private static final double SELU_GAMMA = 1.05070102214813232421875;
    private static final double SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

    private UnaryOps() {
    }

    public static void register(KernelRegistry r) {
        // Ops that also take integers (Relu since opset 14, Abs, Neg, Sign) give a long version.
        r.register("Relu", req -> unary(req, x -> x > 0 ? x : (x == x ? 0 : x), x -> Math.max(x, 0)));
        r.register("Abs", req -> unary(req, Math::abs, Math::abs));
        r.register("Neg", req -> unary(req, x -> -x, x -> -x));
        r.register("Sign", req -> unary(req, MathFunctions::sign, Long::signum));
        r.register("Sigmoid", req -> floatUnary(req, MathFunctions::sigmoid));
        r.register("Tanh", req -> floatUnary(req, Math::tanh));
        r.register("Exp", req -> floatUnary(req, Math::exp));
        r.register("Log", req -> floatUnary(req, Math::log));
        r.register("Sqrt", req -> floatUnary(req, Math::sqrt));
        r.register("Erf", req -> floatUnary(req, MathFunctions::erf));
        r.register("Reciprocal", req -> floatUnary(req, x -> 1 / x));
        r.register("Floor", req -> floatUnary(req, Math::floor));
        r.register("Ceil", req -> floatUnary(req, Math::ceil));
        r.register("Round", req -> floatUnary(req, Math::rint)); // rint rounds half to even
        r.register("Sin", req -> floatUnary(req, Math::sin));
        r.register("Cos", req -> floatUnary(req, Math::cos));
        r.register("Tan", req -> floatUnary(req, Math::tan));
        r.register("Asin", req -> floatUnary(req, Math::asin));
        r.register("Acos", req -> floatUnary(req, Math::acos));
        r.register("Atan", req -> floatUnary(req, Math::atan));
        r.register("Sinh", req -> floatUnary(req, Math::sinh));
        r.register("Cosh", req -> floatUnary(req, Math::cosh));
        r.register("Asinh", req -> floatUnary(req, x -> Math.log(x + Math.sqrt(x * x + 1))));
        r.register("Acosh", req -> floatUnary(req, x -> Math.log(x + Math.sqrt(x * x - 1))));
        r.register("Atanh", req -> floatUnary(req, x -> 0.5 * Math.log((1 + x) / (1 - x))));
        r.register("Mish", req -> floatUnary(req, x -> x * Math.tanh(MathFunctions.softplus(x))));
        r.register("ThresholdedRelu", req -> {
            double alpha = req.node().floatAttr("alpha", 1f);
            return floatUnary(req, x -> x > alpha ? x : 0);
        });
        r.register("Celu", req -> {
            double alpha = req.node().floatAttr("alpha", 1f);
            return floatUnary(req, x -> Math.max(0, x) + Math.min(0, alpha * Math.expm1(x / alpha)));
        });
        r.register("Shrink", req -> {
            double lambda = req.node().floatAttr("lambd", 0.5f);
            double bias = req.node().floatAttr("bias", 0f);
            // Integer inputs compute in double too: the store truncates like the reference's astype.
            return unary(req, x -> x < -lambda ? x + bias : x > lambda ? x - bias : 0,
                x -> (long) (x < -lambda ? x + bias : x > lambda ? x - bias : 0));
        });
        r.register("Softsign", req -> floatUnary(req, x -> x / (1 + Math.abs(x))));
        r.register("Softplus", req -> floatUnary(req, MathFunctions::softplus));
        r.register("LeakyRelu", req -> {
            double alpha = req.node().floatAttr("alpha", 0.01f);
            return floatUnary(req, x -> x < 0 ? alpha * x : x);
        });
        r.register("Elu", req -> {
            double alpha = req.node().floatAttr("alpha", 1f);
            return floatUnary(req, x -> x < 0 ? alpha * Math.expm1(x) : x);
        });
        r.register("Selu", req -> {
            double alpha = req.node().floatAttr("alpha", (float) SELU_ALPHA);
            double gamma = req.node().floatAttr("gamma", (float) SELU_GAMMA);
            return floatUnary(req, x -> x <= 0 ? gamma * alpha * Math.expm1(x) : gamma * x);
        });
        r.register("HardSigmoid", req -> {
            double alpha = req.node().floatAttr("alpha", 0.2f);
            double beta = req.node().floatAttr("beta", 0.5f);
            return floatUnary(req, x -> Math.max(0, Math.min(1, alpha * x + beta)));
        });
        r.register("HardSwish", req -> floatUnary(req, x -> x * Math.max(0, Math.min(1, x / 6 + 0.5))));
        r.register("Gelu", UnaryOps::gelu);
        r.register("IsNaN", req -> predicate(x -> Double.isNaN(x)));
        r.register("IsInf", req -> {
            boolean negative = req.node().intAttr("detect_negative", 1) != 0;
            boolean positive = req.node().intAttr("detect_positive", 1) != 0;
            return predicate(x -> (positive && x == Double.POSITIVE_INFINITY)
                || (negative && x == Double.NEGATIVE_INFINITY));
        });
        r.register("PRelu", req -> (in, ctx) -> {
            Tensor x = in[0];
            Tensor slope = in[1];
            ElementwiseOps.requireSameType("PRelu", x, slope);
            // The slope broadcasts to X (unidirectionally: the output always has X's shape).
            Tensor y = x.dtype().isFloating()
                ? Broadcasting.run(in, x.dtype(), ctx, (o, i, c) -> {
                    double v = x.getDouble(c.offset(0));
                    o.setDouble(i, v < 0 ? v * slope.getDouble(c.offset(1)) : v);
                })
                : Broadcasting.run(in, x.dtype(), ctx, (o, i, c) -> {
                    long v = x.getLong(c.offset(0));
                    o.setLong(i, v < 0 ? v * slope.getLong(c.offset(1)) : v);
                });
            return new Tensor[] {y};
        });
        r.register("Clip", UnaryOps::clip);
        r.register("Cast", UnaryOps::cast);
        r.register("CastLike", req -> (in, ctx) -> new Tensor[] {cast(in[0], in[1].dtype(), ctx)});
        r.register("Identity", req -> (in, ctx) -> new Tensor[] {Elements.copyOf(in[0], ctx)});
        r.register("Dropout", UnaryOps::dropout);
    }

    /** A one-input kernel: {@code f} on floating types, {@code g} on integer ones (null: floats only). */
    private static Kernel unary(KernelRequest req, DoubleUnaryOperator f, LongUnaryOperator g) {
        String op = req.node().opType();
        DType known = req.inputType(0).dtype();
        if (known != null && !known.isFloating() && g == null) {
            throw new UnsupportedKernelException(op + " on " + known);
        }
        return (in, ctx) -> {
            Tensor x = in[0];
            Tensor y = ctx.allocate(x.dtype(), x.shape());
            long n = x.size();
            if (x.dtype() == DType.F32) {
                for (long i = 0; i < n; i++) {
                    y.setFloat(i, (float) f.applyAsDouble(x.getFloat(i)));
                }
            } else if (x.dtype().isFloating()) {
                for (long i = 0; i < n; i++) {
                    y.setDouble(i, f.applyAsDouble(x.getDouble(i)));
                }
            } else if (g != null) {
                for (long i = 0; i < n; i++) {
                    y.setLong(i, g.applyAsLong(x.getLong(i)));
                }
            } else {
                throw new IllegalArgumentException(op + " takes floating-point tensors, not " + x.dtype());
            }
            return new Tensor[] {y};
        };
    }

    private static Kernel floatUnary(KernelRequest req, DoubleUnaryOperator f) {
        return unary(req, f, null);
    }

    private static Kernel predicate(DoublePredicate p) {
        return (in, ctx) -> {
            Tensor x = in[0];
            Tensor y = ctx.allocate(DType.BOOL, x.shape());
            for (long i = 0; i < x.size(); i++) {
                y.setLong(i, x.dtype().isFloating() && p.test(x.getDouble(i)) ? 1 : 0);
            }
            return new Tensor[] {y};
        };
    }

    private static Kernel gelu(KernelRequest req) {
        String approximate = req.node().stringAttr("approximate", "none");
        return switch (approximate) {
            case "none" -> floatUnary(req, x -> 0.5 * x * (1 + MathFunctions.erf(x / Math.sqrt(2))));
            case "tanh" -> floatUnary(req,
                x -> 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x))));
            default -> throw new UnsupportedKernelException("Gelu approximate='" + approximate + "'");
        };
    }

    /**
     * Clip: before opset 11 the bounds are the min/max attributes; from 11 they are optional scalar inputs 1 and 2.
     * min(max(x, lo), hi), so lo > hi gives hi everywhere (NumPy clip) and NaN stays NaN.
     */
    private static Kernel clip(KernelRequest req) {
        Node node = req.node();
        boolean fromAttributes = req.opset() < 11;
        double attrMin = node.floatAttr("min", -Float.MAX_VALUE);
        double attrMax = node.floatAttr("max", Float.MAX_VALUE);
        return (in, ctx) -> {
            Tensor x = in[0];
            Tensor lo = fromAttributes ? null : scalarOrNull(in, 1);
            Tensor hi = fromAttributes ? null : scalarOrNull(in, 2);
            Tensor y = ctx.allocate(x.dtype(), x.shape());
            if (x.dtype().isFloating()) {
                double min = fromAttributes ? attrMin : lo == null ? Double.NEGATIVE_INFINITY : lo.getDouble(0);
                double max = fromAttributes ? attrMax : hi == null ? Double.POSITIVE_INFINITY : hi.getDouble(0);
                for (long i = 0; i < x.size(); i++) {
                    y.setDouble(i, Math.min(max, Math.max(x.getDouble(i), min)));
                }
            } else {
                long min = lo == null ? Long.MIN_VALUE : lo.getLong(0);
                long max = hi == null ? Long.MAX_VALUE : hi.getLong(0);
                for (long i = 0; i < x.size(); i++) {
                    y.setLong(i, Math.min(max, Math.max(x.getLong(i), min)));
                }
            }
            return new Tensor[] {y};
        };
    }

    private static Tensor scalarOrNull(Tensor[] in, int i) {
        if (i >= in.length || in[i] == null) {
            return null;
        }
        if (in[i].size() != 1) {
            throw new IllegalArgumentException("input " + i + " must be a scalar, has shape "
                + java.util.Arrays.toString(in[i].shape()));
        }
        return in[i];
    }

    private static Kernel cast(KernelRequest req) {
        Node node = req.node();
        if (!node.has("to")) {
            throw new IllegalArgumentException("Cast needs the 'to' attribute");
        }
        // Cast-1 named the type as a string ("FLOAT"); later opsets use the TensorProto code.
        int code = node.attr("to").type() == Attribute.Type.STRING
            ? onnxCodeOf(node.stringAttr("to", "")) : (int) node.intAttr("to", 0);
        DType to = DType.fromOnnx(code);
        if (to == null) {
            throw new UnsupportedKernelException("Cast to " + DType.onnxName(code));
        }
        return (in, ctx) -> new Tensor[] {cast(in[0], to, ctx)};
    }

    private static int onnxCodeOf(String typeName) {
        for (int code = 0; code < 64; code++) {
            if (DType.onnxName(code).equals(typeName)) {
                return code;
            }
        }
        throw new UnsupportedKernelException("Cast to unknown type '" + typeName + "'");
    }

    private static Tensor cast(Tensor x, DType to, dev.sparq.backend.ExecutionContext ctx) {
        Tensor y = ctx.allocate(to, x.shape());
        for (long i = 0; i < x.size(); i++) {
            Elements.convert(x, i, y, i);
        }
        return y;
    }

    /**
     * Dropout at inference is the identity. Before opset 12 training was an attribute (is_test before 7); from 12
     * it is input 2. A training_mode input that is not a constant false cannot be honoured (dropping is random),
     * so such a node has no kernel. The optional mask is all-keep: bool from opset 10, the input's type before.
     */
    private static Kernel dropout(KernelRequest req) {
        if (req.opset() >= 12 && req.node().hasInput(2)) {
            Tensor training = req.constantInput(2);
            if (training == null || training.getLong(0) != 0) {
                throw new UnsupportedKernelException("Dropout in training mode (training_mode not a constant false)");
            }
        }
        boolean boolMask = req.opset() >= 10;
        boolean wantsMask = req.node().outputs().size() > 1 && !req.node().outputs().get(1).isEmpty();
        return (in, ctx) -> {
            Tensor x = in[0];
            if (!wantsMask) {
                return new Tensor[] {Elements.copyOf(x, ctx)};
            }
            Tensor mask = ctx.allocate(boolMask ? DType.BOOL : x.dtype(), x.shape());
            for (long i = 0; i < mask.size(); i++) {
                mask.setLong(i, 1);
            }
            return new Tensor[] {Elements.copyOf(x, ctx), mask};
        };
    }
}
