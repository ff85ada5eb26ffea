package dev.sparq.backend.cpu.ref;

import dev.sparq.backend.ExecutionContext;
import dev.sparq.graph.Node;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Shapes;
import dev.sparq.tensor.Tensor;
import java.util.Arrays;

/** NumPy multidirectional broadcasting over any number of operands, built on {@link StridedCursor}. */
final class Broadcasting {
    private Broadcasting() {
    }

    /** What a broadcasting kernel does at one output element; input k's element index is {@code c.offset(k)}. */
    @FunctionalInterface
    interface Body {
        void apply(Tensor out, long outIndex, StridedCursor c);
    }

    /** The broadcast shape of all the shapes. */
    static long[] shape(long[]... shapes) {
        long[] out = new long[0];
        for (long[] s : shapes) {
            out = Shapes.broadcast(out, s);
        }
        return out;
    }

    /** Allocates the broadcast output of {@code inputs} and calls {@code body} once per output element. */
    static Tensor run(Tensor[] inputs, long[][] inputShapes, DType outType, ExecutionContext ctx, Body body) {
        long[] outShape = shape(inputShapes);
        Tensor out = ctx.allocate(outType, outShape);
        long[][] strides = new long[inputs.length][];
        for (int k = 0; k < inputs.length; k++) {
            strides[k] = Shapes.broadcastStrides(inputShapes[k], outShape);
        }
        StridedCursor c = new StridedCursor(outShape, strides);
        long n = out.size();
        for (long i = 0; i < n; i++) {
            body.apply(out, i, c);
            c.advance();
        }
        return out;
    }

    static Tensor run(Tensor[] inputs, DType outType, ExecutionContext ctx, Body body) {
        long[][] shapes = new long[inputs.length][];
        for (int k = 0; k < inputs.length; k++) {
            shapes[k] = inputs[k].shape();
        }
        return run(inputs, shapes, outType, ctx, body);
    }

    /**
     * The shape to broadcast B with under the pre-opset-7 rules of binary ops: without {@code broadcast=1} the
     * shapes must match; with it, B's dims line up with A's starting at {@code axis} (default: trailing dims).
     */
    static long[] legacyShapeOfB(Node node, long opset, long[] a, long[] b) {
        if (opset >= 7) {
            return b;
        }
        if (node.intAttr("broadcast", 0) == 0) {
            if (!Arrays.equals(a, b)) {
                throw new IllegalArgumentException("shapes " + Arrays.toString(a) + " and " + Arrays.toString(b)
                    + " differ and broadcast=0");
            }
            return b;
        }
        if (!node.has("axis")) {
            return b;
        }
        int axis = Shapes.axis(node.intAttr("axis", 0), a.length, "axis");
        int trailing = a.length - axis - b.length;
        if (trailing < 0) {
            throw new IllegalArgumentException("B of rank " + b.length + " does not fit A " + Arrays.toString(a)
                + " at axis " + axis);
        }
        long[] shaped = Arrays.copyOf(b, b.length + trailing);
        Arrays.fill(shaped, b.length, shaped.length, 1);
        return shaped;
    }
}
