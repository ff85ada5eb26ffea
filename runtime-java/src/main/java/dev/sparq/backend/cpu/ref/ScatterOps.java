package dev.sparq.backend.cpu.ref;

import dev.sparq.backend.Kernel;
import dev.sparq.backend.KernelRegistry;
import dev.sparq.backend.KernelRequest;
import dev.sparq.backend.UnsupportedKernelException;
import dev.sparq.tensor.Shapes;
import dev.sparq.tensor.Tensor;
import java.util.Arrays;

/**
 * ScatterElements (and its older name Scatter) and ScatterND: the output is a copy of data with updates written
 * at indexed positions, or combined there by the reduction attribute (add/mul from opset 16, max/min from 18).
 */
public final class ScatterOps {
    private ScatterOps() {
    }

    enum Combine { NONE, ADD, MUL, MAX, MIN }

    public static void register(KernelRegistry r) {
        r.register("ScatterElements", ScatterOps::scatterElements);
        r.register("Scatter", ScatterOps::scatterElements);
        r.register("ScatterND", ScatterOps::scatterNd);
    }

    private static Combine combine(KernelRequest req) {
        String name = req.node().stringAttr("reduction", "none");
        return switch (name) {
            case "none" -> Combine.NONE;
            case "add" -> Combine.ADD;
            case "mul" -> Combine.MUL;
            case "max" -> Combine.MAX;
            case "min" -> Combine.MIN;
            default -> throw new UnsupportedKernelException("reduction '" + name + "'");
        };
    }

    /** Writes update element {@code ui} into output element {@code oi}, combined as asked. */
    private static void write(Tensor out, long oi, Tensor updates, long ui, Combine c) {
        if (c == Combine.NONE) {
            Elements.convert(updates, ui, out, oi);
        } else if (out.dtype().isFloating()) {
            double a = out.getDouble(oi);
            double b = updates.getDouble(ui);
            out.setDouble(oi, switch (c) {
                case ADD -> a + b;
                case MUL -> a * b;
                case MAX -> Math.max(a, b);
                default -> Math.min(a, b);
            });
        } else {
            long a = out.getLong(oi);
            long b = updates.getLong(ui);
            out.setLong(oi, switch (c) {
                case ADD -> a + b;
                case MUL -> a * b;
                case MAX -> Math.max(a, b);
                default -> Math.min(a, b);
            });
        }
    }

    private static Kernel scatterElements(KernelRequest req) {
        long axisAttr = req.node().intAttr("axis", 0);
        Combine c = combine(req);
        return (in, ctx) -> {
            Tensor data = in[0];
            Tensor indices = in[1];
            Tensor updates = in[2];
            long[] shape = data.shape();
            if (!Arrays.equals(indices.shape(), updates.shape()) || indices.rank() != shape.length) {
                throw new IllegalArgumentException("indices " + Arrays.toString(indices.shape()) + " and updates "
                    + Arrays.toString(updates.shape()) + " must match and have the data's rank");
            }
            int axis = Shapes.axis(axisAttr, shape.length, "axis");
            long[] strides = Shapes.strides(shape);
            long[] baseStrides = strides.clone();
            baseStrides[axis] = 0;
            Tensor out = Elements.copyOf(data, ctx);
            StridedCursor cursor = new StridedCursor(indices.shape(), baseStrides);
            for (long i = 0; i < indices.size(); i++, cursor.advance()) {
                long k = Axes.index(indices.getLong(i), shape[axis]);
                write(out, cursor.offset(0) + k * strides[axis], updates, i, c);
            }
            return new Tensor[] {out};
        };
    }

    private static Kernel scatterNd(KernelRequest req) {
        Combine c = combine(req);
        return (in, ctx) -> {
            Tensor data = in[0];
            Tensor indices = in[1];
            Tensor updates = in[2];
            long[] shape = data.shape();
            long[] idxShape = indices.shape();
            int k = (int) idxShape[idxShape.length - 1];
            if (k > shape.length) {
                throw new IllegalArgumentException("index tuples of length " + k + " for data of rank "
                    + shape.length);
            }
            long slice = Axes.product(shape, k, shape.length);
            long tuples = Axes.product(idxShape, 0, idxShape.length - 1);
            if (updates.size() != tuples * slice) {
                throw new IllegalArgumentException("updates has " + updates.size() + " elements, expected "
                    + tuples * slice);
            }
            long[] strides = Shapes.strides(shape);
            Tensor out = Elements.copyOf(data, ctx);
            for (long t = 0; t < tuples; t++) {
                long base = 0;
                for (int j = 0; j < k; j++) {
                    base += Axes.index(indices.getLong(t * k + j), shape[j]) * strides[j];
                }
                for (long e = 0; e < slice; e++) {
                    write(out, base + e, updates, t * slice + e, c);
                }
            }
            return new Tensor[] {out};
        };
    }
}
