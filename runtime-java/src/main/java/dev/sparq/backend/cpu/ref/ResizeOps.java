package dev.sparq.backend.cpu.ref;

import dev.sparq.backend.ExecutionContext;
import dev.sparq.backend.Kernel;
import dev.sparq.backend.KernelRegistry;
import dev.sparq.backend.KernelRequest;
import dev.sparq.backend.UnsupportedKernelException;
import dev.sparq.graph.Node;
import dev.sparq.tensor.Shapes;
import dev.sparq.tensor.Tensor;
import java.util.Arrays;
import java.util.List;

/**
 * Resize (opsets 10, 11, 13, 18, 19) and Upsample (7, 9): nearest, n-d linear and cubic interpolation, following
 * ONNX's reference implementation. Interpolation is separable, so each axis gets a table of taps (input index,
 * weight) per output coordinate, and each output element sums the products of its axes' taps.
 *
 * <p>Antialias (opset 18) widens the linear or cubic kernel by 1/scale when downsampling. Before opset 11 (and
 * for Upsample) coordinates are "asymmetric" and nearest rounds as ONNX Runtime's "simple"
 * mode: floor when upsampling, ceil when downsampling.
 */
public final class ResizeOps {
    private ResizeOps() {
    }

    enum Interpolation { NEAREST, LINEAR, CUBIC }

    /** Everything that is fixed per node. */
    record Settings(Interpolation mode, String coordinateMode, String nearestMode, double cubicA,
                    boolean excludeOutside, double extrapolation, String aspectPolicy, long[] axes,
                    boolean antialias) {
    }

    public static void register(KernelRegistry r) {
        r.register("Resize", ResizeOps::resize);
        r.register("Upsample", ResizeOps::upsample);
    }

    private static Interpolation interpolation(String mode, boolean cubicAllowed) {
        return switch (mode) {
            case "nearest" -> Interpolation.NEAREST;
            case "linear", "bilinear" -> Interpolation.LINEAR;
            case "cubic" -> {
                if (!cubicAllowed) {
                    throw new UnsupportedKernelException("cubic mode before Resize-11");
                }
                yield Interpolation.CUBIC;
            }
            default -> throw new UnsupportedKernelException("interpolation mode '" + mode + "'");
        };
    }

    private static Kernel resize(KernelRequest req) {
        Node node = req.node();
        long opset = req.opset();
        boolean antialias = opset >= 18 && node.intAttr("antialias", 0) != 0;
        boolean legacy = opset < 11;
        String coordinateMode = legacy ? "asymmetric" : node.stringAttr("coordinate_transformation_mode", "half_pixel");
        switch (coordinateMode) {
            case "half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric", "tf_crop_and_resize" -> { }
            case "tf_half_pixel_for_nn" -> {
                if (opset >= 13) {
                    throw new UnsupportedKernelException("tf_half_pixel_for_nn after opset 12");
                }
            }
            case "half_pixel_symmetric" -> {
                if (opset < 19) {
                    throw new UnsupportedKernelException("half_pixel_symmetric before opset 19");
                }
            }
            default -> throw new UnsupportedKernelException("coordinate_transformation_mode '" + coordinateMode + "'");
        }
        String nearestMode = legacy ? "simple" : node.stringAttr("nearest_mode", "round_prefer_floor");
        if (!List.of("simple", "round_prefer_floor", "round_prefer_ceil", "floor", "ceil").contains(nearestMode)) {
            throw new UnsupportedKernelException("nearest_mode '" + nearestMode + "'");
        }
        String policy = opset >= 18 ? node.stringAttr("keep_aspect_ratio_policy", "stretch") : "stretch";
        if (!List.of("stretch", "not_larger", "not_smaller").contains(policy)) {
            throw new UnsupportedKernelException("keep_aspect_ratio_policy '" + policy + "'");
        }
        Interpolation mode = interpolation(node.stringAttr("mode", "nearest"), !legacy);
        if (antialias && mode == Interpolation.NEAREST) {
            throw new UnsupportedKernelException("Resize antialias=1 with mode nearest");
        }
        Settings settings = new Settings(mode, coordinateMode, nearestMode, node.floatAttr("cubic_coeff_a", -0.75f),
            node.intAttr("exclude_outside", 0) != 0, node.floatAttr("extrapolation_value", 0f), policy,
            opset >= 18 ? node.intsAttr("axes", null) : null, antialias);
        return (in, ctx) -> {
            Tensor x = in[0];
            if (legacy) {
                return new Tensor[] {run(x, doubles(in[1]), null, null, settings, ctx)};
            }
            Tensor roi = Args.optional(in, 1);
            Tensor scales = Args.optional(in, 2);
            Tensor sizes = Args.optional(in, 3);
            double[] scaleList = scales != null && scales.size() > 0 ? doubles(scales) : null;
            long[] sizeList = sizes != null && sizes.size() > 0 ? Elements.longs(sizes) : null;
            if ((scaleList == null) == (sizeList == null)) {
                throw new IllegalArgumentException("Resize needs exactly one of scales and sizes");
            }
            double[] roiList = roi != null && roi.size() > 0 ? doubles(roi) : null;
            return new Tensor[] {run(x, scaleList, sizeList, roiList, settings, ctx)};
        };
    }

    /** Upsample: scales attribute in opset 7, input 1 from 9; asymmetric coordinates. */
    private static Kernel upsample(KernelRequest req) {
        Node node = req.node();
        if (req.opset() < 7) {
            throw new UnsupportedKernelException("Upsample before opset 7 (height_scale/width_scale)");
        }
        Settings settings = new Settings(interpolation(node.stringAttr("mode", "nearest"), false), "asymmetric",
            "simple", -0.75, false, 0, "stretch", null, false);
        float[] attrScales = req.opset() < 9 && node.has("scales") ? node.attr("scales").asFloats() : null;
        return (in, ctx) -> {
            double[] scales;
            if (attrScales != null) {
                scales = new double[attrScales.length];
                for (int i = 0; i < scales.length; i++) {
                    scales[i] = attrScales[i];
                }
            } else if (in.length > 1 && in[1] != null) {
                scales = doubles(in[1]);
            } else {
                throw new IllegalArgumentException("Upsample needs scales");
            }
            return new Tensor[] {run(in[0], scales, null, null, settings, ctx)};
        };
    }

    private static double[] doubles(Tensor t) {
        double[] d = new double[Math.toIntExact(t.size())];
        for (int i = 0; i < d.length; i++) {
            d[i] = t.getDouble(i);
        }
        return d;
    }

    /** Output shape, per-axis scales and roi for all axes, then the separable interpolation. */
    static Tensor run(Tensor x, double[] scaleList, long[] sizeList, double[] roiList, Settings s,
                      ExecutionContext ctx) {
        long[] inShape = x.shape();
        int rank = inShape.length;
        int[] axes = resizedAxes(s.axes(), rank);
        int n = axes.length;
        double[] scales = new double[rank];
        long[] outShape = inShape.clone();
        Arrays.fill(scales, 1.0);
        if (scaleList != null) {
            requireLength("scales", scaleList.length, n);
            for (int i = 0; i < n; i++) {
                if (scaleList[i] <= 0) {
                    throw new IllegalArgumentException("scales must be positive, got " + scaleList[i]);
                }
                scales[axes[i]] = scaleList[i];
                outShape[axes[i]] = (long) Math.floor(scaleList[i] * inShape[axes[i]]);
            }
        } else {
            requireLength("sizes", sizeList.length, n);
            for (int i = 0; i < n; i++) {
                scales[axes[i]] = (double) sizeList[i] / inShape[axes[i]];
                outShape[axes[i]] = sizeList[i];
            }
            if (!s.aspectPolicy().equals("stretch")) {
                double scale = s.aspectPolicy().equals("not_larger") ? Double.POSITIVE_INFINITY : 0;
                for (int a : axes) {
                    scale = s.aspectPolicy().equals("not_larger") ? Math.min(scale, scales[a])
                        : Math.max(scale, scales[a]);
                }
                for (int a : axes) {
                    scales[a] = scale;
                    outShape[a] = (long) (scale * inShape[a] + 0.5); // round half up
                }
            }
        }
        double[] roiStart = new double[rank];
        double[] roiEnd = new double[rank];
        Arrays.fill(roiEnd, 1.0);
        if (s.coordinateMode().equals("tf_crop_and_resize")) {
            if (roiList == null) {
                throw new IllegalArgumentException("tf_crop_and_resize needs roi");
            }
            requireLength("roi", roiList.length, 2 * n);
            for (int i = 0; i < n; i++) {
                roiStart[axes[i]] = roiList[i];
                roiEnd[axes[i]] = roiList[n + i];
            }
        }
        AxisTaps[] taps = new AxisTaps[rank];
        for (int k = 0; k < rank; k++) {
            taps[k] = AxisTaps.build(inShape[k], outShape[k], scales[k], roiStart[k], roiEnd[k], s);
        }
        return interpolate(x, outShape, taps, s.extrapolation(), ctx);
    }

    private static int[] resizedAxes(long[] axes, int rank) {
        if (axes == null) {
            int[] all = new int[rank];
            for (int i = 0; i < rank; i++) {
                all[i] = i;
            }
            return all;
        }
        int[] out = new int[axes.length];
        for (int i = 0; i < axes.length; i++) {
            out[i] = Shapes.axis(axes[i], rank, "axis");
        }
        return out;
    }

    private static void requireLength(String what, int actual, int expected) {
        if (actual != expected) {
            throw new IllegalArgumentException(what + " has " + actual + " entries, expected " + expected);
        }
    }

    /** Sums, for each output element, data at every combination of its axes' taps times the weights' product. */
    private static Tensor interpolate(Tensor x, long[] outShape, AxisTaps[] taps, double extrapolation,
                                      ExecutionContext ctx) {
        int rank = outShape.length;
        long[] inStrides = Shapes.strides(x.shape());
        Tensor y = ctx.allocate(x.dtype(), outShape);
        StridedCursor c = new StridedCursor(outShape);
        int[] coord = new int[rank];
        int[] tap = new int[rank];
        for (long i = 0; i < y.size(); i++, c.advance()) {
            boolean outside = false;
            for (int k = 0; k < rank; k++) {
                coord[k] = (int) c.coord(k);
                outside |= taps[k].extrapolate[coord[k]];
            }
            if (outside) {
                y.setDouble(i, extrapolation);
                continue;
            }
            double sum = 0;
            Arrays.fill(tap, 0);
            while (true) {
                double w = 1;
                long offset = 0;
                for (int k = 0; k < rank; k++) {
                    w *= taps[k].weight[coord[k]][tap[k]];
                    offset += taps[k].index[coord[k]][tap[k]] * inStrides[k];
                }
                sum += w * x.getDouble(offset);
                int k = rank - 1;
                while (k >= 0 && ++tap[k] == taps[k].index[coord[k]].length) {
                    tap[k] = 0;
                    k--;
                }
                if (k < 0) {
                    break;
                }
            }
            y.setDouble(i, sum);
        }
        return y;
    }

    /** For one axis: per output coordinate, the input indices read (edge-clamped) and their weights. */
    static final class AxisTaps {
        final long[][] index;
        final double[][] weight;
        final boolean[] extrapolate;

        private AxisTaps(int outLength) {
            index = new long[outLength][];
            weight = new double[outLength][];
            extrapolate = new boolean[outLength];
        }

        static AxisTaps build(long inLength, long outLength, double scale, double roiStart, double roiEnd,
                              Settings s) {
            AxisTaps t = new AxisTaps(Math.toIntExact(outLength));
            if (inLength == 0 && outLength > 0) {
                throw new IllegalArgumentException("cannot resize an empty axis to " + outLength);
            }
            for (int o = 0; o < outLength; o++) {
                double xo = originalCoordinate(o, inLength, outLength, scale, roiStart, roiEnd, s.coordinateMode());
                if (s.coordinateMode().equals("tf_crop_and_resize") && (xo < 0 || xo > inLength - 1)) {
                    t.extrapolate[o] = true;
                    t.index[o] = new long[] {0};
                    t.weight[o] = new double[] {0};
                    continue;
                }
                t.set(o, xo, inLength, scale, s);
            }
            return t;
        }

        private void set(int o, double xo, long inLength, double scale, Settings s) {
            switch (s.mode()) {
                case NEAREST -> {
                    index[o] = new long[] {clampIndex(nearest(xo, scale, s.nearestMode()), inLength)};
                    weight[o] = new double[] {1};
                }
                case LINEAR, CUBIC -> {
                    // As in ONNX's reference, an integral coordinate is ratio 1 past the tap to its left.
                    long base = xo == Math.floor(xo) ? (long) xo - 1 : (long) Math.floor(xo);
                    double ratio = xo - base;
                    // Antialiasing widens the kernel by 1/scale when downsampling.
                    double kernelScale = s.antialias() ? Math.min(scale, 1) : 1;
                    double support = s.mode() == Interpolation.LINEAR ? 1 : 2;
                    long start = (long) Math.floor(-support / kernelScale) + 1;
                    double[] w = new double[(int) (2 - 2 * start)];
                    double total = 0;
                    for (int j = 0; j < w.length; j++) {
                        double d = Math.abs((start + j - ratio) * kernelScale);
                        w[j] = s.mode() == Interpolation.LINEAR ? Math.max(0, 1 - d) : cubicKernel(d, s.cubicA());
                        total += w[j];
                    }
                    for (int j = 0; j < w.length; j++) {
                        w[j] /= total;
                    }
                    taps(o, base + start, w, inLength, s.excludeOutside());
                }
            }
        }

        /** Taps first, first+1, … with edge clamping; exclude_outside drops out-of-range taps and renormalizes. */
        private void taps(int o, long first, double[] w, long inLength, boolean excludeOutside) {
            if (excludeOutside) {
                double total = 0;
                for (int j = 0; j < w.length; j++) {
                    long idx = first + j;
                    if (idx < 0 || idx >= inLength) {
                        w[j] = 0;
                    }
                    total += w[j];
                }
                for (int j = 0; j < w.length; j++) {
                    w[j] /= total;
                }
            }
            // Zero-weight taps are dropped so unscaled axes cost one tap, not four.
            int live = 0;
            for (double v : w) {
                live += v != 0 ? 1 : 0;
            }
            index[o] = new long[Math.max(live, 1)];
            weight[o] = new double[Math.max(live, 1)];
            index[o][0] = clampIndex(first, inLength);
            for (int j = 0, m = 0; j < w.length; j++) {
                if (w[j] != 0) {
                    index[o][m] = clampIndex(first + j, inLength);
                    weight[o][m++] = w[j];
                }
            }
        }
    }

    /** The input coordinate output coordinate {@code x} maps to, as ONNX's reference computes it. */
    static double originalCoordinate(long x, long inLength, long outLength, double scale, double roiStart,
                                     double roiEnd, String mode) {
        double outWidth = scale * inLength; // the reference uses the unrounded length here
        return switch (mode) {
            case "align_corners" -> outWidth == 1 ? 0 : x * (inLength - 1) / (outWidth - 1);
            case "asymmetric" -> x / scale;
            case "tf_crop_and_resize" -> (outWidth == 1
                ? (roiEnd - roiStart) * (inLength - 1) / 2
                : x * (roiEnd - roiStart) * (inLength - 1) / (outWidth - 1)) + roiStart * (inLength - 1);
            case "pytorch_half_pixel" -> outWidth == 1 ? -0.5 : (x + 0.5) / scale - 0.5;
            case "half_pixel" -> (x + 0.5) / scale - 0.5;
            case "tf_half_pixel_for_nn" -> (x + 0.5) / scale;
            case "half_pixel_symmetric" -> {
                double adjustment = outLength / outWidth;
                double center = inLength / 2.0;
                yield center * (1 - adjustment) + (x + 0.5) / scale - 0.5;
            }
            default -> throw new IllegalStateException(mode);
        };
    }

    static long nearest(double x, double scale, String mode) {
        return switch (mode) {
            case "round_prefer_floor" -> (long) Math.ceil(x - 0.5);
            case "round_prefer_ceil" -> (long) Math.floor(x + 0.5);
            case "floor" -> (long) Math.floor(x);
            case "ceil" -> (long) Math.ceil(x);
            case "simple" -> scale < 1 ? (long) Math.ceil(x) : (long) Math.floor(x);
            default -> throw new IllegalStateException(mode);
        };
    }

    /** Keys' cubic convolution kernel at distance d ≥ 0 with coefficient a. */
    static double cubicKernel(double d, double a) {
        if (d <= 1) {
            return ((a + 2) * d - (a + 3)) * d * d + 1;
        }
        if (d < 2) {
            return ((a * d - 5 * a) * d + 8 * a) * d - 4 * a;
        }
        return 0;
    }

    static long clampIndex(long i, long length) {
        return Math.max(0, Math.min(length - 1, i));
    }
}
