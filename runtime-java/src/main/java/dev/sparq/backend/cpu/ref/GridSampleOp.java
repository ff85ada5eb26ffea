package dev.sparq.backend.cpu.ref;

import dev.sparq.backend.Kernel;
import dev.sparq.backend.KernelRegistry;
import dev.sparq.backend.KernelRequest;
import dev.sparq.backend.UnsupportedKernelException;
import dev.sparq.tensor.Shapes;
import dev.sparq.tensor.Tensor;
import java.util.Arrays;

/**
 * GridSample (opset 16: 4-D, modes bilinear/nearest/bicubic; opset 20: n-D, linear/nearest/cubic), following
 * ONNX's reference: grid holds normalized coordinates in [−1, 1], last spatial dim first; each is mapped to pixel
 * space (align_corners decides whether ±1 are pixel centres or edges), brought back inside by the padding mode,
 * then interpolated separably. With zeros padding, taps outside the image read 0.
 */
public final class GridSampleOp {
    private GridSampleOp() {
    }

    private enum Mode { NEAREST, LINEAR, CUBIC }

    private enum Padding { ZEROS, BORDER, REFLECTION }

    public static void register(KernelRegistry r) {
        r.register("GridSample", GridSampleOp::gridSample);
    }

    private static Kernel gridSample(KernelRequest req) {
        String modeName = req.node().stringAttr("mode", req.opset() >= 20 ? "linear" : "bilinear");
        Mode mode = switch (modeName) {
            case "nearest" -> Mode.NEAREST;
            case "linear", "bilinear" -> Mode.LINEAR;
            case "cubic", "bicubic" -> Mode.CUBIC;
            default -> throw new UnsupportedKernelException("GridSample mode '" + modeName + "'");
        };
        String paddingName = req.node().stringAttr("padding_mode", "zeros");
        Padding padding = switch (paddingName) {
            case "zeros" -> Padding.ZEROS;
            case "border" -> Padding.BORDER;
            case "reflection" -> Padding.REFLECTION;
            default -> throw new UnsupportedKernelException("GridSample padding_mode '" + paddingName + "'");
        };
        boolean alignCorners = req.node().intAttr("align_corners", 0) != 0;
        return (in, ctx) -> {
            Tensor x = in[0];
            Tensor grid = in[1];
            long[] xShape = x.shape();
            long[] gShape = grid.shape();
            int dims = xShape.length - 2;
            if (dims < 1 || gShape.length != xShape.length || gShape[0] != xShape[0] || gShape[dims + 1] != dims) {
                throw new IllegalArgumentException("X " + Arrays.toString(xShape) + " and grid "
                    + Arrays.toString(gShape) + " do not match");
            }
            long[] spatial = Arrays.copyOfRange(xShape, 2, xShape.length);
            long[] outSpatial = Arrays.copyOfRange(gShape, 1, gShape.length - 1);
            long[] outShape = new long[xShape.length];
            outShape[0] = xShape[0];
            outShape[1] = xShape[1];
            System.arraycopy(outSpatial, 0, outShape, 2, dims);
            var y = ctx.allocate(x.dtype(), outShape);
            long image = Shapes.size(spatial);
            long points = Shapes.size(outSpatial);
            long[] strides = Shapes.strides(spatial);
            int taps = mode == Mode.NEAREST ? 1 : mode == Mode.LINEAR ? 2 : 4;
            long[][] index = new long[dims][taps];
            double[][] weight = new double[dims][taps];
            int[] tap = new int[dims];
            for (long n = 0; n < xShape[0]; n++) {
                for (long p = 0; p < points; p++) {
                    for (int i = 0; i < dims; i++) {
                        // grid lists coordinates last dim first
                        double g = grid.getDouble((n * points + p) * dims + (dims - 1 - i));
                        taps(g, spatial[i], alignCorners, mode, padding, dims, index[i], weight[i]);
                    }
                    for (long c = 0; c < xShape[1]; c++) {
                        long base = (n * xShape[1] + c) * image;
                        double sum = 0;
                        Arrays.fill(tap, 0);
                        while (true) {
                            double w = 1;
                            long offset = 0;
                            for (int i = 0; i < dims && w != 0; i++) {
                                long idx = index[i][tap[i]];
                                w = idx < 0 ? 0 : w * weight[i][tap[i]];
                                offset += idx * strides[i];
                            }
                            if (w != 0) {
                                sum += w * x.getDouble(base + offset);
                            }
                            int k = dims - 1;
                            while (k >= 0 && ++tap[k] == taps) {
                                tap[k] = 0;
                                k--;
                            }
                            if (k < 0) {
                                break;
                            }
                        }
                        y.setDouble((n * xShape[1] + c) * points + p, sum);
                    }
                }
            }
            return new Tensor[] {y};
        };
    }

    /** Fills one dim's taps: pixel indices (−1 = reads zero) and weights for normalized coordinate g. */
    private static void taps(double g, long length, boolean alignCorners, Mode mode, Padding padding, int dims,
                             long[] index, double[] weight) {
        double lo = alignCorners ? 0 : -0.5;
        double hi = alignCorners ? length - 1 : length - 0.5;
        double x = alignCorners ? (g + 1) / 2 * (length - 1) : ((g + 1) * length - 1) / 2;
        if (mode == Mode.NEAREST) {
            // PyTorch (and so ONNX) rounds half to even in 2-D and half away from zero in 3-D.
            x = dims == 3 ? Math.signum(x) * Math.floor(Math.abs(x) + 0.5) : Math.rint(x);
        }
        if (padding == Padding.BORDER && (x < lo || x > hi)) {
            x = Math.max(0, Math.min(length - 1, x));
        } else if (padding == Padding.REFLECTION) {
            x = reflect(x, lo, hi);
        }
        if (mode == Mode.NEAREST) {
            index[0] = pixel((long) x, length, lo, hi, padding); // truncation, as the reference's int cast
            weight[0] = 1;
            return;
        }
        long x0 = (long) Math.floor(x);
        double t = x - x0;
        if (mode == Mode.LINEAR) {
            index[0] = pixel(x0, length, lo, hi, padding);
            index[1] = pixel(x0 + 1, length, lo, hi, padding);
            weight[0] = 1 - t;
            weight[1] = t;
            return;
        }
        for (int j = 0; j < 4; j++) {
            index[j] = pixel(x0 - 1 + j, length, lo, hi, padding);
            weight[j] = ResizeOps.cubicKernel(Math.abs(j - 1 - t), -0.75);
        }
    }

    /** The pixel a tap reads: −1 outside the image with zeros padding, else clamped or reflected inside. */
    private static long pixel(long i, long length, double lo, double hi, Padding padding) {
        if (i >= 0 && i < length) {
            return i;
        }
        return switch (padding) {
            case ZEROS -> -1;
            case BORDER -> Axes.clamp(i, 0, length - 1);
            case REFLECTION -> Axes.clamp((long) reflect(i, lo, hi), 0, length - 1);
        };
    }

    /** Reflects x off the nearer border until it lies in [lo, hi]. */
    private static double reflect(double x, double lo, double hi) {
        double range = hi - lo;
        if (range <= 0) {
            return lo;
        }
        if (x < lo) {
            double dx = lo - x;
            long n = (long) (dx / range);
            double r = dx - n * range;
            return n % 2 == 0 ? lo + r : hi - r;
        }
        if (x > hi) {
            double dx = x - hi;
            long n = (long) (dx / range);
            double r = dx - n * range;
            return n % 2 == 0 ? hi - r : lo + r;
        }
        return x;
    }
}
