package dev.sparq.backend.cpu.simd;

import dev.sparq.backend.ExecutionContext;
import dev.sparq.backend.Kernel;
import dev.sparq.backend.KernelRequest;
import dev.sparq.backend.UnsupportedKernelException;
import dev.sparq.graph.Node;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;

/** Softmax and LayerNormalization over the innermost axis: independent rows, vectorized along each row. */
final class RowKernels {
    private RowKernels() {
    }

    /** Softmax over the last axis (opset 13's default; also older opsets when the axis is the last one). */
    static Kernel softmax(KernelRequest r) {
        ElementwiseKernels.requireF32(r.inputType(0));
        int rank = r.inputType(0).rank();
        long axis = r.node().intAttr("axis", r.opset() >= 13 ? -1 : 1);
        if (rank < 1 || (axis != -1 && axis != rank - 1)) {
            throw new UnsupportedKernelException("cpu-simd Softmax runs over the last axis only");
        }
        return (inputs, ctx) -> {
            Tensor x = inputs[0];
            ElementwiseKernels.checkF32(x);
            Tensor y = ctx.allocateUninitialized(DType.F32, x.shape());
            int n = (int) x.dim(x.rank() - 1);
            long rows = n == 0 ? 0 : x.size() / n;
            forRows(ctx, rows, row -> SimdOps.get().softmax(x.segment(), y.segment(), row * n, n));
            return new Tensor[] {y};
        };
    }

    /** LayerNormalization (opset 17) over the trailing axes from {@code axis}; Mean/InvStdDev outputs stay on cpu-ref. */
    static Kernel layerNorm(KernelRequest r) {
        Node n = r.node();
        ElementwiseKernels.requireF32(r.inputType(0));
        Tensor scale = r.constantInput(1);
        Tensor bias = n.hasInput(2) ? r.constantInput(2) : null;
        boolean extraOutputs = n.outputs().stream().skip(1).anyMatch(o -> !o.isEmpty());
        if (scale == null || scale.dtype() != DType.F32 || (n.hasInput(2) && (bias == null || bias.dtype() != DType.F32))
            || extraOutputs || n.intAttr("stash_type", 1) != 1) {
            throw new UnsupportedKernelException("cpu-simd LayerNormalization needs constant f32 scale and bias");
        }
        long axis = n.intAttr("axis", -1);
        float eps = n.floatAttr("epsilon", 1e-5f);
        float[] s = scale.toFloatArray();
        float[] b = bias == null ? null : bias.toFloatArray();
        return (inputs, ctx) -> {
            Tensor x = inputs[0];
            ElementwiseKernels.checkF32(x);
            int a = (int) (axis < 0 ? axis + x.rank() : axis);
            long width = 1;
            for (int i = a; i < x.rank(); i++) {
                width *= x.dim(i);
            }
            if (a < 0 || a >= x.rank() || width != s.length || (b != null && b.length != width)) {
                throw new IllegalArgumentException("LayerNormalization scale of " + s.length + " values does not fit "
                    + java.util.Arrays.toString(x.shape()) + " from axis " + axis);
            }
            Tensor y = ctx.allocateUninitialized(DType.F32, x.shape());
            int w = (int) width;
            long rows = w == 0 ? 0 : x.size() / w;
            forRows(ctx, rows, row -> {
                double[] mv = SimdOps.get().meanVariance(x.segment(), row * w, w);
                float inv = (float) (1 / Math.sqrt((float) mv[1] + eps));
                SimdOps.get().normalize(x.segment(), y.segment(), row * w, w, (float) mv[0], inv, s, b);
            });
            return new Tensor[] {y};
        };
    }

    private static void forRows(ExecutionContext ctx, long rows, java.util.function.LongConsumer row) {
        int threads = ctx.threadsFor(rows);
        ctx.parallelFor(threads, t -> {
            for (long i = rows * t / threads; i < rows * (t + 1) / threads; i++) {
                row.accept(i);
            }
        });
    }
}
