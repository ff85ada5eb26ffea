package dev.sparq.backend.cpu.ref;

import dev.sparq.backend.Kernel;
import dev.sparq.backend.KernelRegistry;
import dev.sparq.backend.KernelRequest;
import dev.sparq.backend.UnsupportedKernelException;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;

/**
 * Broadcasting elementwise ops: arithmetic, Pow, Mod, variadic Min/Max/Sum/Mean, comparisons, logic, Not, Where,
 * BitShift. Floating inputs compute in double and round once to the output type; integer inputs compute in long
 * and wrap to the output width like NumPy; integer Div truncates toward zero like C.
 */
public final class ElementwiseOps {
    private ElementwiseOps() {
    }

    @FunctionalInterface
    interface DoubleOp {
        double apply(double a, double b);
    }

    @FunctionalInterface
    interface LongOp {
        long apply(long a, long b);
    }

    @FunctionalInterface
    interface DoubleTest {
        boolean test(double a, double b);
    }

    @FunctionalInterface
    interface LongTest {
        boolean test(long a, long b);
    }

    public static void register(KernelRegistry r) {
        r.register("Add", req -> binary(req, Double::sum, Long::sum));
        r.register("Sub", req -> binary(req, (a, b) -> a - b, (a, b) -> a - b));
        r.register("Mul", req -> binary(req, (a, b) -> a * b, (a, b) -> a * b));
        r.register("Div", req -> binary(req, (a, b) -> a / b, ElementwiseOps::truncatingDivide));
        r.register("Mod", req -> req.node().intAttr("fmod", 0) != 0
            ? binary(req, (a, b) -> a % b, ElementwiseOps::truncatingRemainder)
            : binary(req, ElementwiseOps::flooringRemainder, ElementwiseOps::flooringRemainder));
        r.register("Pow", ElementwiseOps::pow);
        r.register("Sum", req -> variadic(Double::sum, Long::sum, false));
        r.register("Mean", req -> variadic(Double::sum, Long::sum, true));
        // Math.max/min on doubles propagate NaN, as NumPy's maximum/minimum do.
        r.register("Max", req -> variadic(Math::max, Math::max, false));
        r.register("Min", req -> variadic(Math::min, Math::min, false));
        r.register("Equal", req -> comparison(req, (a, b) -> a == b, (a, b) -> a == b));
        r.register("Less", req -> comparison(req, (a, b) -> a < b, (a, b) -> a < b));
        r.register("Greater", req -> comparison(req, (a, b) -> a > b, (a, b) -> a > b));
        r.register("LessOrEqual", req -> comparison(req, (a, b) -> a <= b, (a, b) -> a <= b));
        r.register("GreaterOrEqual", req -> comparison(req, (a, b) -> a >= b, (a, b) -> a >= b));
        r.register("And", req -> logical(req, (a, b) -> a != 0 && b != 0));
        r.register("Or", req -> logical(req, (a, b) -> a != 0 || b != 0));
        r.register("Xor", req -> logical(req, (a, b) -> (a != 0) != (b != 0)));
        r.register("Not", req -> (in, ctx) -> {
            Tensor x = requireBool("Not", in[0]);
            Tensor y = ctx.allocate(DType.BOOL, x.shape());
            for (long i = 0; i < x.size(); i++) {
                y.setLong(i, x.getLong(i) == 0 ? 1 : 0);
            }
            return new Tensor[] {y};
        });
        r.register("Where", req -> ElementwiseOps::where);
        r.register("BitShift", ElementwiseOps::bitShift);
    }

    /** Shapes of A and B for a two-input op, B reshaped by the pre-opset-7 broadcast attributes. */
    private static long[][] shapes(KernelRequest req, Tensor a, Tensor b) {
        return new long[][] {a.shape(), Broadcasting.legacyShapeOfB(req.node(), req.opset(), a.shape(), b.shape())};
    }

    /** A two-input kernel computing {@code f} on floating dtypes and {@code g} on integer (and bool) ones. */
    private static Kernel binary(KernelRequest req, DoubleOp f, LongOp g) {
        String op = req.node().opType();
        return (in, ctx) -> {
            Tensor a = in[0];
            Tensor b = in[1];
            requireSameType(op, a, b);
            Tensor out = a.dtype().isFloating()
                ? Broadcasting.run(in, shapes(req, a, b), a.dtype(), ctx,
                    (y, i, c) -> y.setDouble(i, f.apply(a.getDouble(c.offset(0)), b.getDouble(c.offset(1)))))
                : Broadcasting.run(in, shapes(req, a, b), a.dtype(), ctx,
                    (y, i, c) -> y.setLong(i, g.apply(a.getLong(c.offset(0)), b.getLong(c.offset(1)))));
            return new Tensor[] {out};
        };
    }

    /** Comparisons: bool output; integers compare exactly as longs, floats as doubles (NaN compares false). */
    private static Kernel comparison(KernelRequest req, DoubleTest f, LongTest g) {
        String op = req.node().opType();
        return (in, ctx) -> {
            Tensor a = in[0];
            Tensor b = in[1];
            requireSameType(op, a, b);
            Tensor out = a.dtype().isFloating()
                ? Broadcasting.run(in, shapes(req, a, b), DType.BOOL, ctx,
                    (y, i, c) -> y.setLong(i, f.test(a.getDouble(c.offset(0)), b.getDouble(c.offset(1))) ? 1 : 0))
                : Broadcasting.run(in, shapes(req, a, b), DType.BOOL, ctx,
                    (y, i, c) -> y.setLong(i, g.test(a.getLong(c.offset(0)), b.getLong(c.offset(1))) ? 1 : 0));
            return new Tensor[] {out};
        };
    }

    private static Kernel logical(KernelRequest req, LongTest g) {
        String op = req.node().opType();
        return (in, ctx) -> {
            Tensor a = requireBool(op, in[0]);
            Tensor b = requireBool(op, in[1]);
            return new Tensor[] {Broadcasting.run(in, shapes(req, a, b), DType.BOOL, ctx,
                (y, i, c) -> y.setLong(i, g.test(a.getLong(c.offset(0)), b.getLong(c.offset(1))) ? 1 : 0))};
        };
    }

    /** Sum, Mean, Min, Max over any number of broadcast inputs, folded left to right. */
    private static Kernel variadic(DoubleOp f, LongOp g, boolean mean) {
        return (in, ctx) -> {
            if (in.length == 0) {
                throw new IllegalArgumentException("needs at least one input");
            }
            for (Tensor t : in) {
                requireSameType("variadic op", in[0], t);
            }
            int n = in.length;
            Tensor out = in[0].dtype().isFloating()
                ? Broadcasting.run(in, in[0].dtype(), ctx, (y, i, c) -> {
                    double acc = in[0].getDouble(c.offset(0));
                    for (int k = 1; k < n; k++) {
                        acc = f.apply(acc, in[k].getDouble(c.offset(k)));
                    }
                    y.setDouble(i, mean ? acc / n : acc);
                })
                : Broadcasting.run(in, in[0].dtype(), ctx, (y, i, c) -> {
                    long acc = in[0].getLong(c.offset(0));
                    for (int k = 1; k < n; k++) {
                        acc = g.apply(acc, in[k].getLong(c.offset(k)));
                    }
                    y.setLong(i, mean ? acc / n : acc);
                });
            return new Tensor[] {out};
        };
    }

    /** Pow: the output has the base's type; since opset 12 the exponent may have another numeric type. */
    private static Kernel pow(KernelRequest req) {
        return (in, ctx) -> {
            Tensor a = in[0];
            Tensor b = in[1];
            long[][] shapes = shapes(req, a, b);
            Tensor out;
            if (a.dtype().isFloating() || b.dtype().isFloating()) {
                // An integer base with a float exponent: computed in double, then truncated (NumPy astype).
                out = Broadcasting.run(in, shapes, a.dtype(), ctx,
                    (y, i, c) -> y.setDouble(i, Math.pow(a.getDouble(c.offset(0)), b.getDouble(c.offset(1)))));
            } else {
                out = Broadcasting.run(in, shapes, a.dtype(), ctx,
                    (y, i, c) -> y.setLong(i, integerPow(a.getLong(c.offset(0)), b.getLong(c.offset(1)))));
            }
            return new Tensor[] {out};
        };
    }

    private static Tensor[] where(Tensor[] in, dev.sparq.backend.ExecutionContext ctx) {
        Tensor cond = requireBool("Where", in[0]);
        Tensor x = in[1];
        Tensor y = in[2];
        requireSameType("Where", x, y);
        Tensor out = Broadcasting.run(in, x.dtype(), ctx, (o, i, c) -> {
            boolean pick = cond.getLong(c.offset(0)) != 0;
            Elements.convert(pick ? x : y, c.offset(pick ? 1 : 2), o, i);
        });
        return new Tensor[] {out};
    }

    private static Kernel bitShift(KernelRequest req) {
        String direction = req.node().stringAttr("direction", "");
        boolean left = switch (direction) {
            case "LEFT" -> true;
            case "RIGHT" -> false;
            default -> throw new UnsupportedKernelException("BitShift direction '" + direction + "'");
        };
        return (in, ctx) -> {
            Tensor a = in[0];
            Tensor b = in[1];
            requireSameType("BitShift", a, b);
            if (a.dtype() != DType.U8 && a.dtype() != DType.U16 && a.dtype() != DType.U32) {
                throw new IllegalArgumentException("BitShift takes unsigned integers, not " + a.dtype());
            }
            // Unsigned values read as non-negative longs, so >>> is a logical shift; the store wraps left shifts.
            return new Tensor[] {Broadcasting.run(in, a.dtype(), ctx, (y, i, c) -> {
                long v = a.getLong(c.offset(0));
                long s = b.getLong(c.offset(1));
                y.setLong(i, s >= 64 ? 0 : left ? v << s : v >>> s);
            })};
        };
    }

    static long truncatingDivide(long a, long b) {
        if (b == 0) {
            throw new IllegalArgumentException("integer division by zero");
        }
        return a / b;
    }

    static long truncatingRemainder(long a, long b) {
        if (b == 0) {
            throw new IllegalArgumentException("integer modulo by zero");
        }
        return a % b;
    }

    /** Mod with fmod=0: the result takes the divisor's sign, like Python and NumPy's mod. */
    static long flooringRemainder(long a, long b) {
        long r = truncatingRemainder(a, b);
        return r != 0 && (r < 0) != (b < 0) ? r + b : r;
    }

    static double flooringRemainder(double a, double b) {
        double r = a % b;
        return r != 0 && (r < 0) != (b < 0) ? r + b : r;
    }

    /** Integer power by squaring, wrapping like fixed-width integers; negative exponents truncate 1/a^n. */
    static long integerPow(long base, long exp) {
        if (exp < 0) {
            if (base == 1) {
                return 1;
            }
            if (base == -1) {
                return (exp & 1) == 0 ? 1 : -1;
            }
            if (base == 0) {
                throw new IllegalArgumentException("zero to a negative integer power");
            }
            return 0;
        }
        long result = 1;
        long b = base;
        for (long e = exp; e > 0; e >>= 1) {
            if ((e & 1) != 0) {
                result *= b;
            }
            b *= b;
        }
        return result;
    }

    static void requireSameType(String op, Tensor a, Tensor b) {
        if (a.dtype() != b.dtype()) {
            throw new IllegalArgumentException(op + " inputs have different types " + a.dtype() + " and "
                + b.dtype());
        }
    }

    static Tensor requireBool(String op, Tensor t) {
        if (t.dtype() != DType.BOOL) {
            throw new IllegalArgumentException(op + " takes bool tensors, not " + t.dtype());
        }
        return t;
    }
}
