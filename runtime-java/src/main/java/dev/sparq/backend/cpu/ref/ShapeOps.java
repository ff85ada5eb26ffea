package dev.sparq.backend.cpu.ref;

import dev.sparq.backend.ExecutionContext;
import dev.sparq.backend.Kernel;
import dev.sparq.backend.KernelRegistry;
import dev.sparq.backend.KernelRequest;
import dev.sparq.backend.UnsupportedKernelException;
import dev.sparq.graph.Attribute;
import dev.sparq.graph.Node;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Shapes;
import dev.sparq.tensor.Tensor;
import java.util.Arrays;

/**
 * Ops that compute or change shapes and copy data unchanged in C order: Reshape, Flatten, Squeeze, Unsqueeze,
 * Shape, Size, Expand, plus the generators Constant, ConstantOfShape and Range. Any dtype.
 */
public final class ShapeOps {
    private ShapeOps() {
    }

    public static void register(KernelRegistry r) {
        r.register("Reshape", ShapeOps::reshape);
        r.register("Flatten", ShapeOps::flatten);
        r.register("Squeeze", ShapeOps::squeeze);
        r.register("Unsqueeze", ShapeOps::unsqueeze);
        r.register("Shape", ShapeOps::shape);
        r.register("Size", req -> (in, ctx) -> {
            Tensor y = ctx.allocate(DType.I64);
            y.setLong(0, in[0].size());
            return new Tensor[] {y};
        });
        r.register("Expand", req -> (in, ctx) -> {
            Tensor x = in[0];
            long[] outShape = Shapes.broadcast(x.shape(), Elements.longs(in[1]));
            Tensor y = ctx.allocate(x.dtype(), outShape);
            Elements.copyStrided(x, 0, Shapes.broadcastStrides(x.shape(), outShape), y);
            return new Tensor[] {y};
        });
        r.register("Constant", ShapeOps::constant);
        r.register("ConstantOfShape", ShapeOps::constantOfShape);
        r.register("Range", req -> ShapeOps::range);
    }

    /** A copy of {@code x}'s data under a new shape. */
    static Tensor reshaped(Tensor x, long[] shape, ExecutionContext ctx) {
        if (Shapes.size(shape) != x.size()) {
            throw new IllegalArgumentException("cannot reshape " + Arrays.toString(x.shape()) + " to "
                + Arrays.toString(shape));
        }
        Tensor y = ctx.allocate(x.dtype(), shape);
        Elements.copyAll(x, y);
        return y;
    }

    /** Reshape: the target is the shape attribute before opset 5, input 1 after; allowzero arrived in 14. */
    private static Kernel reshape(KernelRequest req) {
        boolean allowZero = req.node().intAttr("allowzero", 0) != 0;
        return (in, ctx) -> {
            long[] target = Args.intsFromAttrOrInput(req, in, "shape", 1, 5);
            if (target == null) {
                throw new IllegalArgumentException("Reshape needs a target shape");
            }
            return new Tensor[] {reshaped(in[0], resolveReshape(in[0].shape(), target, allowZero), ctx)};
        };
    }

    /** Resolves 0 (copy the input dim, unless allowzero) and one −1 (inferred) in a Reshape target. */
    static long[] resolveReshape(long[] input, long[] target, boolean allowZero) {
        long[] out = target.clone();
        int inferred = -1;
        long known = 1;
        for (int i = 0; i < out.length; i++) {
            if (out[i] == 0 && !allowZero) {
                if (i >= input.length) {
                    throw new IllegalArgumentException("0 at position " + i + " has no input dim to copy");
                }
                out[i] = input[i];
            }
            if (out[i] == -1) {
                if (inferred >= 0) {
                    throw new IllegalArgumentException("more than one -1 in shape " + Arrays.toString(target));
                }
                inferred = i;
            } else if (out[i] < 0) {
                throw new IllegalArgumentException("invalid dim " + out[i] + " in shape " + Arrays.toString(target));
            } else {
                known *= out[i];
            }
        }
        if (inferred >= 0) {
            long total = Shapes.size(input);
            if (known == 0 || total % known != 0) {
                throw new IllegalArgumentException("cannot infer -1 reshaping " + Arrays.toString(input) + " to "
                    + Arrays.toString(target));
            }
            out[inferred] = total / known;
        }
        return out;
    }

    private static Kernel flatten(KernelRequest req) {
        long axisAttr = req.node().intAttr("axis", 1);
        return (in, ctx) -> {
            long[] shape = in[0].shape();
            int a = Axes.splitPoint(axisAttr, shape.length);
            long outer = Axes.product(shape, 0, a);
            long inner = Axes.product(shape, a, shape.length);
            return new Tensor[] {reshaped(in[0], new long[] {outer, inner}, ctx)};
        };
    }

    /** Squeeze: axes attribute before opset 13, optional input 1 from 13; no axes drops every dim of size 1. */
    private static Kernel squeeze(KernelRequest req) {
        return (in, ctx) -> {
            long[] shape = in[0].shape();
            long[] axes = Args.intsFromAttrOrInput(req, in, "axes", 1, 13);
            boolean[] drop = new boolean[shape.length];
            if (axes == null) {
                for (int i = 0; i < shape.length; i++) {
                    drop[i] = shape[i] == 1;
                }
            } else {
                for (long a : axes) {
                    int ax = Shapes.axis(a, shape.length, "axis");
                    if (shape[ax] != 1) {
                        throw new IllegalArgumentException("cannot squeeze axis " + a + " of size " + shape[ax]);
                    }
                    drop[ax] = true;
                }
            }
            return new Tensor[] {reshaped(in[0], ReduceOps.dropReduced(shape, drop), ctx)};
        };
    }

    /** Unsqueeze: axes attribute before opset 13, input 1 from 13; axes index the output's dims. */
    private static Kernel unsqueeze(KernelRequest req) {
        return (in, ctx) -> {
            long[] shape = in[0].shape();
            long[] axes = Args.intsFromAttrOrInput(req, in, "axes", 1, 13);
            if (axes == null) {
                throw new IllegalArgumentException("Unsqueeze needs axes");
            }
            int outRank = shape.length + axes.length;
            boolean[] inserted = new boolean[outRank];
            for (long a : axes) {
                int ax = Shapes.axis(a, outRank, "axis");
                if (inserted[ax]) {
                    throw new IllegalArgumentException("axis " + a + " is listed twice");
                }
                inserted[ax] = true;
            }
            long[] out = new long[outRank];
            for (int i = 0, j = 0; i < outRank; i++) {
                out[i] = inserted[i] ? 1 : shape[j++];
            }
            return new Tensor[] {reshaped(in[0], out, ctx)};
        };
    }

    /** Shape, with the start/end slice of opset 15 (negative values count from the end, then clamped). */
    private static Kernel shape(KernelRequest req) {
        Node node = req.node();
        long startAttr = req.opset() >= 15 ? node.intAttr("start", 0) : 0;
        Long endAttr = req.opset() >= 15 && node.has("end") ? node.intAttr("end", 0) : null;
        return (in, ctx) -> {
            long[] shape = in[0].shape();
            int rank = shape.length;
            long start = Axes.clamp(startAttr < 0 ? startAttr + rank : startAttr, 0, rank);
            long end = endAttr == null ? rank : Axes.clamp(endAttr < 0 ? endAttr + rank : endAttr, 0, rank);
            long[] slice = start < end ? Arrays.copyOfRange(shape, (int) start, (int) end) : new long[0];
            return new Tensor[] {Elements.int64Vector(ctx, slice)};
        };
    }

    /**
     * Constant: value (a tensor) or value_float(s)/value_int(s); strings and sparse tensors are unsupported. The
     * output is built at run time, so the kernel holds no memory of its own.
     */
    private static Kernel constant(KernelRequest req) {
        Node node = req.node();
        if (node.has("value")) {
            Tensor value = node.attr("value").asTensor();
            return (in, ctx) -> new Tensor[] {Elements.copyOf(value, ctx)};
        }
        if (node.has("value_float") || node.has("value_floats")) {
            boolean scalar = node.has("value_float");
            float[] v = scalar ? new float[] {node.floatAttr("value_float", 0)} : node.attr("value_floats").asFloats();
            return (in, ctx) -> {
                Tensor y = scalar ? ctx.allocate(DType.F32) : ctx.allocate(DType.F32, v.length);
                for (int i = 0; i < v.length; i++) {
                    y.setFloat(i, v[i]);
                }
                return new Tensor[] {y};
            };
        }
        if (node.has("value_int") || node.has("value_ints")) {
            boolean scalar = node.has("value_int");
            long[] v = scalar ? new long[] {node.intAttr("value_int", 0)} : node.intsAttr("value_ints", null);
            return (in, ctx) -> {
                Tensor y = scalar ? ctx.allocate(DType.I64) : Elements.int64Vector(ctx, v);
                if (scalar) {
                    y.setLong(0, v[0]);
                }
                return new Tensor[] {y};
            };
        }
        String what = node.attributes().keySet().stream().findFirst().orElse("no value attribute");
        throw new UnsupportedKernelException("Constant with " + what);
    }

    /** ConstantOfShape: input 0 is the shape; the value attribute is a one-element tensor (default float 0). */
    private static Kernel constantOfShape(KernelRequest req) {
        Attribute valueAttr = req.node().attr("value");
        Tensor value = valueAttr == null ? null : valueAttr.asTensor();
        if (value != null && value.size() != 1) {
            throw new IllegalArgumentException("ConstantOfShape value must have one element");
        }
        return (in, ctx) -> {
            long[] shape = Elements.longs(in[0]);
            Tensor y = ctx.allocate(value == null ? DType.F32 : value.dtype(), shape);
            if (value != null) {
                for (long i = 0; i < y.size(); i++) {
                    Elements.convert(value, 0, y, i);
                }
            }
            return new Tensor[] {y};
        };
    }

    /** Range: max(ceil((limit − start) / delta), 0) elements start + i·delta, in start's type. */
    private static Tensor[] range(Tensor[] in, ExecutionContext ctx) {
        Tensor start = in[0];
        Tensor limit = in[1];
        Tensor delta = in[2];
        DType type = start.dtype();
        if (type.isFloating()) {
            double s = start.getDouble(0);
            double d = delta.getDouble(0);
            if (d == 0) {
                throw new IllegalArgumentException("Range delta is 0");
            }
            long n = (long) Math.max(Math.ceil((limit.getDouble(0) - s) / d), 0);
            Tensor y = ctx.allocate(type, n);
            for (long i = 0; i < n; i++) {
                y.setDouble(i, s + i * d);
            }
            return new Tensor[] {y};
        }
        long s = start.getLong(0);
        long d = delta.getLong(0);
        if (d == 0) {
            throw new IllegalArgumentException("Range delta is 0");
        }
        long span = limit.getLong(0) - s;
        long n = Math.max(Math.ceilDiv(span, d), 0);
        Tensor y = ctx.allocate(type, n);
        for (long i = 0; i < n; i++) {
            y.setLong(i, s + i * d);
        }
        return new Tensor[] {y};
    }
}
