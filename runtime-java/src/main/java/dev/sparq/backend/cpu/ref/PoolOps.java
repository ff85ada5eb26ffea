package dev.sparq.backend.cpu.ref;

import dev.sparq.backend.ExecutionContext;
import dev.sparq.backend.Kernel;
import dev.sparq.backend.KernelRegistry;
import dev.sparq.backend.KernelRequest;
import dev.sparq.graph.Node;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import java.util.Arrays;

/**
 * MaxPool (with Indices), AveragePool, LpPool over 1 to 3 spatial dims, and their Global forms, which are the same
 * pools with one window covering all spatial dims.
 */
final class PoolOps {
    private PoolOps() {
    }

    static void register(KernelRegistry r) {
        r.register("MaxPool", req -> maxPool(req, false));
        r.register("GlobalMaxPool", req -> maxPool(req, true));
        r.register("AveragePool", req -> averagePool(req, false));
        r.register("GlobalAveragePool", req -> averagePool(req, true));
        r.register("LpPool", req -> lpPool(req, false));
        r.register("GlobalLpPool", req -> lpPool(req, true));
    }

    /**
     * One window's input elements: {@code index[0..count)} are flat indices within the (n, c) plane of the elements
     * inside the input; {@code paddedCount} also counts the window elements lying in the explicit padding.
     */
    private static final class Window {
        final int[] index;
        int count;
        int paddedCount;

        Window(int capacity) {
            index = new int[capacity];
        }
    }

    /** The node's window attributes, or null for a Global pool (its window is the whole spatial extent). */
    private static WindowAttrs windowAttrs(KernelRequest req, boolean global) {
        return global ? null : WindowAttrs.of(req.node());
    }

    private static Kernel maxPool(KernelRequest req, boolean global) {
        RefSupport.requireKnownDType(req, 0, DType.F32, DType.I8, DType.U8);
        Node n = req.node();
        WindowAttrs attrs = windowAttrs(req, global);
        boolean columnMajor = n.intAttr("storage_order", 0) != 0;
        boolean wantIndices = n.outputs().size() > 1 && !n.outputs().get(1).isEmpty();
        return (in, ctx) -> {
            PlaneLoop loop = new PlaneLoop(in[0], attrs);
            double[] xs = loop.xs;
            Tensor y = ctx.allocate(in[0].dtype(), loop.outputShape());
            Tensor indices = wantIndices ? ctx.allocate(DType.I64, loop.outputShape()) : null;
            loop.run((w, xBase, yi) -> {
                int best = w.index[0];
                for (int i = 1; i < w.count; i++) {
                    if (xs[xBase + w.index[i]] > xs[xBase + best]) {
                        best = w.index[i];
                    }
                }
                y.setDouble(yi, xs[xBase + best]);
                if (indices != null) {
                    indices.setLong(yi, xBase + (columnMajor ? columnMajor(best, loop.g) : best));
                }
            });
            return new Tensor[] {y, indices};
        };
    }

    /** A row-major plane offset re-expressed in column-major order over the spatial dims, as Indices wants. */
    private static int columnMajor(int flat, ConvGeometry g) {
        int w = flat % g.big[2];
        int h = (flat / g.big[2]) % g.big[1];
        int d = flat / (g.big[2] * g.big[1]);
        return (d * g.big[2] + w) * g.big[1] + h;
    }

    private static Kernel averagePool(KernelRequest req, boolean global) {
        RefSupport.requireKnownDType(req, 0, DType.F32);
        WindowAttrs attrs = windowAttrs(req, global);
        boolean countPads = req.node().intAttr("count_include_pad", 0) != 0;
        return (in, ctx) -> windowReduce(in[0], attrs, ctx, (xs, w, xBase) -> {
            double sum = 0;
            for (int i = 0; i < w.count; i++) {
                sum += xs[xBase + w.index[i]];
            }
            return sum / (countPads ? w.paddedCount : w.count);
        });
    }

    private static Kernel lpPool(KernelRequest req, boolean global) {
        RefSupport.requireKnownDType(req, 0, DType.F32);
        // p is a float in opset 1, an int from opset 2.
        double p = req.opset() < 2 ? req.node().floatAttr("p", 2f) : req.node().intAttr("p", 2);
        WindowAttrs attrs = windowAttrs(req, global);
        return (in, ctx) -> windowReduce(in[0], attrs, ctx, (xs, w, xBase) -> {
            double sum = 0;
            for (int i = 0; i < w.count; i++) {
                sum += Math.pow(Math.abs(xs[xBase + w.index[i]]), p);
            }
            return Math.pow(sum, 1 / p);
        });
    }

    private interface WindowFunction {
        double apply(double[] xs, Window w, int xBase);
    }

    private static Tensor[] windowReduce(Tensor x, WindowAttrs attrs, ExecutionContext ctx, WindowFunction f) {
        RefSupport.requireDType(x, DType.F32, "X");
        PlaneLoop loop = new PlaneLoop(x, attrs);
        Tensor y = ctx.allocate(x.dtype(), loop.outputShape());
        loop.run((w, xBase, yi) -> y.setDouble(yi, f.apply(loop.xs, w, xBase)));
        return new Tensor[] {y};
    }

    private interface WindowConsumer {
        void accept(Window w, int xBase, int yIndex);
    }

    /** Walks every output position of every (n, c) plane and gathers its window. */
    private static final class PlaneLoop {
        private final long[] shape;
        final ConvGeometry g;
        final double[] xs;

        /** {@code attrs} null means one window over all spatial dims (the Global pools). */
        PlaneLoop(Tensor x, WindowAttrs attrs) {
            RefSupport.requireRank(x, 3, "X");
            shape = x.shape();
            long[] spatial = Arrays.copyOfRange(shape, 2, shape.length);
            if (attrs == null) {
                g = ConvGeometry.forward(spatial, spatial, WindowAttrs.NONE);
            } else if (attrs.kernelShape() == null) {
                throw new IllegalArgumentException("kernel_shape is required");
            } else {
                g = ConvGeometry.forward(spatial, attrs.kernelShape(), attrs);
            }
            xs = doubles(x);
        }

        long[] outputShape() {
            long[] out = shape.clone();
            System.arraycopy(g.smallShape(), 0, out, 2, g.rank);
            return out;
        }

        void run(WindowConsumer c) {
            int planes = Math.toIntExact(shape[0] * shape[1]);
            int inVol = g.bigVolume();
            int outVol = g.smallVolume();
            Window w = new Window(g.kernelVolume());
            for (int p = 0; p < planes; p++) {
                int yi = p * outVol;
                for (int od = 0; od < g.small[0]; od++) {
                    for (int oh = 0; oh < g.small[1]; oh++) {
                        for (int ow = 0; ow < g.small[2]; ow++) {
                            gather(w, od, oh, ow);
                            if (w.count == 0) {
                                throw new IllegalArgumentException("a pooling window lies entirely in the padding");
                            }
                            c.accept(w, p * inVol, yi++);
                        }
                    }
                }
            }
        }

        /** Fills {@code w} with the window of output position (od, oh, ow). */
        private void gather(Window w, int od, int oh, int ow) {
            w.count = 0;
            w.paddedCount = 0;
            int startD = od * g.stride[0] - g.padBegin[0];
            int startH = oh * g.stride[1] - g.padBegin[1];
            int startW = ow * g.stride[2] - g.padBegin[2];
            for (int kd = 0; kd < g.kernel[0]; kd++) {
                int d = startD + kd * g.dilation[0];
                for (int kh = 0; kh < g.kernel[1]; kh++) {
                    int h = startH + kh * g.dilation[1];
                    for (int kw = 0; kw < g.kernel[2]; kw++) {
                        int wpos = startW + kw * g.dilation[2];
                        if (insidePadded(0, d) && insidePadded(1, h) && insidePadded(2, wpos)) {
                            w.paddedCount++;
                        }
                        if (d >= 0 && d < g.big[0] && h >= 0 && h < g.big[1] && wpos >= 0 && wpos < g.big[2]) {
                            w.index[w.count++] = (d * g.big[1] + h) * g.big[2] + wpos;
                        }
                    }
                }
            }
        }

        /** Inside the input or its explicit padding; ceil_mode's overhang beyond that is never counted. */
        private boolean insidePadded(int axis, int pos) {
            return pos >= -g.padBegin[axis] && pos < g.big[axis] + g.padEnd[axis];
        }
    }

    private static double[] doubles(Tensor t) {
        double[] out = new double[Math.toIntExact(t.size())];
        if (t.dtype() == DType.F32) {
            float[] f = t.toFloatArray();
            for (int i = 0; i < f.length; i++) {
                out[i] = f[i];
            }
        } else {
            for (int i = 0; i < out.length; i++) {
                out[i] = t.getDouble(i);
            }
        }
        return out;
    }
}
