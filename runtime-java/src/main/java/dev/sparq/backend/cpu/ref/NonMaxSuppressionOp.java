package dev.sparq.backend.cpu.ref;

import dev.sparq.backend.Kernel;
import dev.sparq.backend.KernelRegistry;
import dev.sparq.backend.KernelRequest;
import dev.sparq.backend.UnsupportedKernelException;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * NonMaxSuppression: per batch and class, greedily keeps the highest-scoring boxes (score above score_threshold;
 * equal scores in box order), dropping every later box whose IoU with a kept one exceeds iou_threshold, up to
 * max_output_boxes_per_class. Output rows are (batch, class, box) in that order.
 */
public final class NonMaxSuppressionOp {
    private NonMaxSuppressionOp() {
    }

    public static void register(KernelRegistry r) {
        r.register("NonMaxSuppression", NonMaxSuppressionOp::nms);
    }

    private static Kernel nms(KernelRequest req) {
        long centerPointBox = req.node().intAttr("center_point_box", 0);
        if (centerPointBox != 0 && centerPointBox != 1) {
            throw new UnsupportedKernelException("center_point_box=" + centerPointBox);
        }
        return (in, ctx) -> {
            Tensor boxes = in[0];
            Tensor scores = in[1];
            Tensor maxTensor = Args.optional(in, 2);
            Tensor iouTensor = Args.optional(in, 3);
            Tensor scoreTensor = Args.optional(in, 4);
            long maxPerClass = maxTensor == null || maxTensor.size() == 0 ? 0 : maxTensor.getLong(0);
            double iouThreshold = iouTensor == null || iouTensor.size() == 0 ? 0 : iouTensor.getDouble(0);
            Double scoreThreshold = scoreTensor == null || scoreTensor.size() == 0 ? null : scoreTensor.getDouble(0);
            if (boxes.rank() != 3 || boxes.dim(2) != 4 || scores.rank() != 3 || scores.dim(0) != boxes.dim(0)
                || scores.dim(2) != boxes.dim(1)) {
                throw new IllegalArgumentException("expected boxes [N, B, 4] and scores [N, C, B], got "
                    + Arrays.toString(boxes.shape()) + " and " + Arrays.toString(scores.shape()));
            }
            int batches = (int) boxes.dim(0);
            int classes = (int) scores.dim(1);
            int count = (int) boxes.dim(1);
            List<long[]> selected = new ArrayList<>();
            double[][] corners = new double[count][];
            for (int n = 0; n < batches; n++) {
                for (int b = 0; b < count; b++) {
                    corners[b] = corners(boxes, (long) (n * count + b) * 4, centerPointBox == 1);
                }
                for (int c = 0; c < classes; c++) {
                    long base = ((long) n * classes + c) * count;
                    List<Integer> candidates = new ArrayList<>();
                    for (int b = 0; b < count; b++) {
                        if (scoreThreshold == null || scores.getDouble(base + b) > scoreThreshold) {
                            candidates.add(b);
                        }
                    }
                    // Stable sort: equal scores keep box order.
                    candidates.sort((p, q) -> Double.compare(scores.getDouble(base + q), scores.getDouble(base + p)));
                    List<Integer> kept = new ArrayList<>();
                    for (int b : candidates) {
                        if (kept.size() >= maxPerClass) {
                            break;
                        }
                        boolean suppressed = false;
                        for (int k : kept) {
                            if (iou(corners[k], corners[b]) > iouThreshold) {
                                suppressed = true;
                                break;
                            }
                        }
                        if (!suppressed) {
                            kept.add(b);
                            selected.add(new long[] {n, c, b});
                        }
                    }
                }
            }
            Tensor y = ctx.allocate(DType.I64, selected.size(), 3);
            for (int row = 0; row < selected.size(); row++) {
                for (int j = 0; j < 3; j++) {
                    y.setLong(row * 3L + j, selected.get(row)[j]);
                }
            }
            return new Tensor[] {y};
        };
    }

    /** The box as [ymin, xmin, ymax, xmax]; corner boxes may list either corner first. */
    private static double[] corners(Tensor boxes, long at, boolean centerFormat) {
        double a = boxes.getDouble(at);
        double b = boxes.getDouble(at + 1);
        double c = boxes.getDouble(at + 2);
        double d = boxes.getDouble(at + 3);
        if (centerFormat) {
            // [x_center, y_center, width, height]
            return new double[] {b - d / 2, a - c / 2, b + d / 2, a + c / 2};
        }
        return new double[] {Math.min(a, c), Math.min(b, d), Math.max(a, c), Math.max(b, d)};
    }

    /** Intersection over union; boxes without area never suppress each other. */
    static double iou(double[] p, double[] q) {
        double areaP = (p[2] - p[0]) * (p[3] - p[1]);
        double areaQ = (q[2] - q[0]) * (q[3] - q[1]);
        if (areaP <= 0 || areaQ <= 0) {
            return 0;
        }
        double h = Math.max(0, Math.min(p[2], q[2]) - Math.max(p[0], q[0]));
        double w = Math.max(0, Math.min(p[3], q[3]) - Math.max(p[1], q[1]));
        double inter = h * w;
        return inter / (areaP + areaQ - inter);
    }
}
