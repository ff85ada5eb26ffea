package dev.sparq.backend.cpu.ref;

import dev.sparq.backend.Kernel;
import dev.sparq.backend.KernelRegistry;
import dev.sparq.backend.KernelRequest;
import dev.sparq.backend.UnsupportedKernelException;
import dev.sparq.tensor.Tensor;

/**
 * RoiAlign as ONNX's reference (and ONNX Runtime) compute it: each output bin averages (or, in max mode, takes the
 * max of the largest weighted corner of) a grid of bilinear samples. coordinate_transformation_mode arrived in
 * opset 16 with default half_pixel; opset 10 behaves as output_half_pixel.
 */
public final class RoiAlignOp {
    private RoiAlignOp() {
    }

    public static void register(KernelRegistry r) {
        r.register("RoiAlign", RoiAlignOp::roiAlign);
    }

    private static Kernel roiAlign(KernelRequest req) {
        var node = req.node();
        String mode = node.stringAttr("mode", "avg");
        if (!mode.equals("avg") && !mode.equals("max")) {
            throw new UnsupportedKernelException("RoiAlign mode '" + mode + "'");
        }
        String transform = req.opset() >= 16 ? node.stringAttr("coordinate_transformation_mode", "half_pixel")
            : "output_half_pixel";
        if (!transform.equals("half_pixel") && !transform.equals("output_half_pixel")) {
            throw new UnsupportedKernelException("coordinate_transformation_mode '" + transform + "'");
        }
        boolean halfPixel = transform.equals("half_pixel");
        boolean max = mode.equals("max");
        int outH = (int) node.intAttr("output_height", 1);
        int outW = (int) node.intAttr("output_width", 1);
        long samplingRatio = node.intAttr("sampling_ratio", 0);
        double scale = node.floatAttr("spatial_scale", 1f);
        return (in, ctx) -> {
            Tensor x = in[0];
            Tensor rois = in[1];
            Tensor batchIndices = in[2];
            if (x.rank() != 4 || rois.rank() != 2 || rois.dim(1) != 4) {
                throw new IllegalArgumentException("expected X [N, C, H, W] and rois [R, 4]");
            }
            int numRois = (int) rois.dim(0);
            int channels = (int) x.dim(1);
            int height = (int) x.dim(2);
            int width = (int) x.dim(3);
            Tensor y = ctx.allocate(x.dtype(), numRois, channels, outH, outW);
            double offset = halfPixel ? 0.5 : 0;
            for (int n = 0; n < numRois; n++) {
                double startW = rois.getDouble(n * 4L) * scale - offset;
                double startH = rois.getDouble(n * 4L + 1) * scale - offset;
                double roiW = rois.getDouble(n * 4L + 2) * scale - offset - startW;
                double roiH = rois.getDouble(n * 4L + 3) * scale - offset - startH;
                if (!halfPixel) {
                    roiW = Math.max(roiW, 1);
                    roiH = Math.max(roiH, 1);
                }
                double binH = roiH / outH;
                double binW = roiW / outW;
                int gridH = (int) (samplingRatio > 0 ? samplingRatio : Math.ceil(roiH / outH));
                int gridW = (int) (samplingRatio > 0 ? samplingRatio : Math.ceil(roiW / outW));
                int count = Math.max(gridH * gridW, 1);
                long batch = batchIndices.getLong(n);
                for (int c = 0; c < channels; c++) {
                    long image = (batch * channels + c) * height * width;
                    for (int ph = 0; ph < outH; ph++) {
                        for (int pw = 0; pw < outW; pw++) {
                            double acc = 0;
                            boolean first = true;
                            for (int iy = 0; iy < gridH; iy++) {
                                double sy = startH + ph * binH + (iy + 0.5) * binH / gridH;
                                for (int ix = 0; ix < gridW; ix++) {
                                    double sx = startW + pw * binW + (ix + 0.5) * binW / gridW;
                                    double v = sample(x, image, height, width, sy, sx, max);
                                    acc = max ? (first ? v : Math.max(acc, v)) : acc + v;
                                    first = false;
                                }
                            }
                            y.setDouble(((long) (n * channels + c) * outH + ph) * outW + pw, max ? acc : acc / count);
                        }
                    }
                }
            }
            return new Tensor[] {y};
        };
    }

    /**
     * Bilinear sample at (y, x), zero beyond one pixel outside the map, clamped inside; in max mode the largest of
     * the four weighted corners (the reference's definition) instead of their sum.
     */
    private static double sample(Tensor x, long image, int height, int width, double y, double xx, boolean max) {
        if (y < -1.0 || y > height || xx < -1.0 || xx > width) {
            return 0;
        }
        y = Math.max(y, 0);
        xx = Math.max(xx, 0);
        int yLow = (int) y;
        int xLow = (int) xx;
        int yHigh;
        int xHigh;
        if (yLow >= height - 1) {
            yHigh = yLow = height - 1;
            y = yLow;
        } else {
            yHigh = yLow + 1;
        }
        if (xLow >= width - 1) {
            xHigh = xLow = width - 1;
            xx = xLow;
        } else {
            xHigh = xLow + 1;
        }
        double ly = y - yLow;
        double lx = xx - xLow;
        double w1 = (1 - ly) * (1 - lx) * x.getDouble(image + (long) yLow * width + xLow);
        double w2 = (1 - ly) * lx * x.getDouble(image + (long) yLow * width + xHigh);
        double w3 = ly * (1 - lx) * x.getDouble(image + (long) yHigh * width + xLow);
        double w4 = ly * lx * x.getDouble(image + (long) yHigh * width + xHigh);
        return max ? Math.max(Math.max(w1, w2), Math.max(w3, w4)) : w1 + w2 + w3 + w4;
    }
}
