package dev.sparq.backend.cpu.ref;

import dev.sparq.backend.ExecutionContext;
import dev.sparq.backend.Kernel;
import dev.sparq.backend.KernelRegistry;
import dev.sparq.backend.KernelRequest;
import dev.sparq.tensor.Shapes;
import dev.sparq.tensor.Tensor;

/**
 * Softmax, LogSoftmax and Hardmax. Before opset 13 the input is coerced to 2-D [prod(dims[:axis]),
 * prod(dims[axis:])] (default axis 1) and normalized along the second dim; from 13 along the single axis (default
 * −1). Both are "outer × length × inner" loops, so one implementation serves both.
 */
public final class SoftmaxOps {
    private SoftmaxOps() {
    }

    private enum Kind { SOFTMAX, LOG_SOFTMAX, HARDMAX }

    public static void register(KernelRegistry r) {
        r.register("Softmax", req -> kernel(req, Kind.SOFTMAX));
        r.register("LogSoftmax", req -> kernel(req, Kind.LOG_SOFTMAX));
        r.register("Hardmax", req -> kernel(req, Kind.HARDMAX));
    }

    private static Kernel kernel(KernelRequest req, Kind kind) {
        boolean coerce2d = req.opset() < 13;
        long axisAttr = req.node().intAttr("axis", coerce2d ? 1 : -1);
        return (in, ctx) -> {
            Tensor x = in[0];
            long[] shape = x.shape();
            int rank = shape.length;
            int axis = coerce2d ? Axes.splitPoint(axisAttr, rank) : Shapes.axis(axisAttr, rank, "axis");
            long outer = Axes.product(shape, 0, axis);
            long length = coerce2d ? Axes.product(shape, axis, rank) : shape[axis];
            long inner = coerce2d ? 1 : Axes.product(shape, axis + 1, rank);
            return new Tensor[] {apply(x, outer, length, inner, kind, ctx)};
        };
    }

    /** Log-softmax along one axis; also the first step of SoftmaxCrossEntropyLoss. */
    static Tensor logSoftmax(Tensor x, int axis, ExecutionContext ctx) {
        long[] shape = x.shape();
        return apply(x, Axes.product(shape, 0, axis), shape[axis], Axes.product(shape, axis + 1, shape.length),
            Kind.LOG_SOFTMAX, ctx);
    }

    private static Tensor apply(Tensor x, long outer, long length, long inner, Kind kind, ExecutionContext ctx) {
        Tensor y = ctx.allocate(x.dtype(), x.shape());
        for (long o = 0; o < outer; o++) {
            for (long j = 0; j < inner; j++) {
                normalize(x, y, o * length * inner + j, inner, length, kind);
            }
        }
        return y;
    }

    /** Normalizes the {@code length} elements at base, base+stride, …; max-subtracted for stability. */
    private static void normalize(Tensor x, Tensor y, long base, long stride, long length, Kind kind) {
        double max = Double.NEGATIVE_INFINITY;
        long argmax = 0;
        for (long k = 0; k < length; k++) {
            double v = x.getDouble(base + k * stride);
            if (v > max) {
                max = v;
                argmax = k;
            }
        }
        if (kind == Kind.HARDMAX) {
            for (long k = 0; k < length; k++) {
                y.setDouble(base + k * stride, k == argmax ? 1 : 0);
            }
            return;
        }
        double sum = 0;
        for (long k = 0; k < length; k++) {
            sum += Math.exp(x.getDouble(base + k * stride) - max);
        }
        double logSum = Math.log(sum);
        for (long k = 0; k < length; k++) {
            double shifted = x.getDouble(base + k * stride) - max;
            y.setDouble(base + k * stride, kind == Kind.SOFTMAX ? Math.exp(shifted) / sum : shifted - logSum);
        }
    }
}
