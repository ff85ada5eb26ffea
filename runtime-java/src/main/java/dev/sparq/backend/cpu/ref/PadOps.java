package dev.sparq.backend.cpu.ref;

import dev.sparq.backend.Kernel;
import dev.sparq.backend.KernelRegistry;
import dev.sparq.backend.KernelRequest;
import dev.sparq.backend.UnsupportedKernelException;
import dev.sparq.tensor.Shapes;
import dev.sparq.tensor.Tensor;
import java.util.Arrays;

/**
 * Pad in modes constant, edge, reflect and wrap. Pads (and the constant value) are attributes before opset 11
 * ({@code paddings} in opset 1) and inputs from 11; opset 18 adds the axes input. Negative pads crop.
 */
public final class PadOps {
    private PadOps() {
    }

    enum Mode { CONSTANT, EDGE, REFLECT, WRAP }

    public static void register(KernelRegistry r) {
        r.register("Pad", PadOps::pad);
    }

    private static Kernel pad(KernelRequest req) {
        String modeName = req.node().stringAttr("mode", "constant");
        Mode mode = switch (modeName) {
            case "constant" -> Mode.CONSTANT;
            case "edge" -> Mode.EDGE;
            case "reflect" -> Mode.REFLECT;
            case "wrap" -> Mode.WRAP;
            default -> throw new UnsupportedKernelException("Pad mode '" + modeName + "'");
        };
        boolean fromAttributes = req.opset() < 11;
        long[] attrPads = req.node().intsAttr(req.opset() < 2 ? "paddings" : "pads", null);
        double attrValue = req.node().floatAttr("value", 0f);
        return (in, ctx) -> {
            Tensor x = in[0];
            long[] shape = x.shape();
            int rank = shape.length;
            long[] pads = fromAttributes ? attrPads : Elements.longs(in[1]);
            long[] axes = fromAttributes ? null : Args.optionalLongs(in, 3);
            long[] begin = new long[rank];
            long[] end = new long[rank];
            spreadPads(pads, axes, rank, begin, end);
            long[] outShape = new long[rank];
            for (int k = 0; k < rank; k++) {
                outShape[k] = shape[k] + begin[k] + end[k];
                if (outShape[k] < 0) {
                    throw new IllegalArgumentException("pads crop axis " + k + " below zero");
                }
                if (mode != Mode.CONSTANT && shape[k] == 0 && outShape[k] > 0) {
                    throw new IllegalArgumentException(modeName + " padding of an empty axis");
                }
            }
            // Per axis, output coordinate -> input element offset along that axis, or -1 for the constant.
            long[] strides = Shapes.strides(shape);
            long[][] sourceOffset = new long[rank][];
            for (int k = 0; k < rank; k++) {
                sourceOffset[k] = new long[Math.toIntExact(outShape[k])];
                for (int o = 0; o < outShape[k]; o++) {
                    long s = sourceCoordinate(o - begin[k], shape[k], mode);
                    sourceOffset[k][o] = s < 0 ? -1 : s * strides[k];
                }
            }
            Tensor constant = fromAttributes ? null : Args.optional(in, 2);
            Tensor y = ctx.allocate(x.dtype(), outShape);
            StridedCursor c = new StridedCursor(outShape);
            for (long i = 0; i < y.size(); i++, c.advance()) {
                long src = 0;
                for (int k = 0; k < rank && src >= 0; k++) {
                    long off = sourceOffset[k][(int) c.coord(k)];
                    src = off < 0 ? -1 : src + off;
                }
                if (src >= 0) {
                    Elements.convert(x, src, y, i);
                } else if (constant != null) {
                    Elements.convert(constant, 0, y, i);
                } else {
                    y.setDouble(i, attrValue);
                }
            }
            return new Tensor[] {y};
        };
    }

    /** Splits [begin…, end…] for the given axes (all axes when null) into per-axis begin and end pads. */
    static void spreadPads(long[] pads, long[] axes, int rank, long[] begin, long[] end) {
        if (pads == null) {
            throw new IllegalArgumentException("Pad needs pads");
        }
        int n = axes == null ? rank : axes.length;
        if (pads.length != 2 * n) {
            throw new IllegalArgumentException("pads " + Arrays.toString(pads) + " should have " + 2 * n
                + " entries");
        }
        for (int i = 0; i < n; i++) {
            int axis = axes == null ? i : Shapes.axis(axes[i], rank, "axis");
            begin[axis] = pads[i];
            end[axis] = pads[i + n];
        }
    }

    /** The input coordinate an out-of-range coordinate {@code i} reads in {@code mode}, or -1 for the constant. */
    static long sourceCoordinate(long i, long dim, Mode mode) {
        if (i >= 0 && i < dim) {
            return i;
        }
        return switch (mode) {
            case CONSTANT -> -1;
            case EDGE -> i < 0 ? 0 : dim - 1;
            case WRAP -> Math.floorMod(i, dim);
            case REFLECT -> {
                if (dim == 1) {
                    yield 0;
                }
                // Mirror without repeating the edge: the pattern has period 2·(dim − 1).
                long period = 2 * (dim - 1);
                long m = Math.floorMod(i, period);
                yield m < dim ? m : period - m;
            }
        };
    }
}
