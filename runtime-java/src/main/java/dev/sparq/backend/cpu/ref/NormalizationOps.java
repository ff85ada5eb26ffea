package dev.sparq.backend.cpu.ref;

import dev.sparq.backend.Kernel;
import dev.sparq.backend.KernelRegistry;
import dev.sparq.backend.KernelRequest;
import dev.sparq.backend.UnsupportedKernelException;
import dev.sparq.graph.Node;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Shapes;
import dev.sparq.tensor.Tensor;
import java.util.Arrays;

/**
 * BatchNormalization (inference, and training_mode from opset 14), InstanceNormalization, LayerNormalization,
 * GroupNormalization and LRN; f32 tensors, statistics computed in double.
 */
final class NormalizationOps {
    private NormalizationOps() {
    }

    static void register(KernelRegistry r) {
        r.register("BatchNormalization", RefSupport.withArity(5, NormalizationOps::batchNorm));
        r.register("InstanceNormalization", RefSupport.withArity(3, NormalizationOps::instanceNorm));
        r.register("LayerNormalization", RefSupport.withArity(3, NormalizationOps::layerNorm));
        r.register("GroupNormalization", RefSupport.withArity(3, NormalizationOps::groupNorm));
        r.register("LRN", NormalizationOps::lrn);
    }

    private static Kernel batchNorm(KernelRequest req) {
        RefSupport.requireKnownDTypes(req, DType.F32);
        Node n = req.node();
        float epsilon = n.floatAttr("epsilon", 1e-5f);
        float momentum = n.floatAttr("momentum", 0.9f);
        long outputs = n.outputs().stream().filter(o -> !o.isEmpty()).count();
        boolean training = req.opset() >= 14 && n.intAttr("training_mode", 0) != 0;
        // Before opset 14, extra outputs were the training statistics (mean, var, saved mean and var).
        if (req.opset() < 14 && outputs > 1) {
            throw new UnsupportedKernelException("BatchNormalization training outputs before opset 14");
        }
        return (in, ctx) -> {
            Tensor x = in[0];
            RefSupport.requireRank(x, 2, "X");
            int batch = (int) x.dim(0);
            int channels = (int) x.dim(1);
            int spatial = Math.toIntExact(x.size() / Math.max(1L, (long) batch * channels));
            float[] xs = RefSupport.f32(x, "X");
            float[] scale = RefSupport.f32(in[1], "scale");
            float[] bias = RefSupport.f32(in[2], "B");
            float[] mean = RefSupport.f32(in[3], "input_mean");
            float[] var = RefSupport.f32(in[4], "input_var");
            // Before opset 9, spatial=0 gives per-activation statistics of shape [C, D1, ...].
            int statsPerChannel = scale.length == channels ? 1 : spatial;
            for (float[] stat : new float[][] {scale, bias, mean, var}) {
                if (stat.length != channels * statsPerChannel) {
                    throw new IllegalArgumentException("BatchNormalization statistics of " + stat.length
                        + " values do not match X " + Arrays.toString(x.shape()));
                }
            }
            float[] useMean = mean;
            float[] useVar = var;
            Tensor runningMean = null;
            Tensor runningVar = null;
            if (training) {
                if (statsPerChannel != 1) {
                    throw new IllegalArgumentException("training mode needs per-channel statistics");
                }
                float[][] batchStats = batchStatistics(xs, batch, channels, spatial);
                useMean = batchStats[0];
                useVar = batchStats[1];
                float[] newMean = new float[channels];
                float[] newVar = new float[channels];
                for (int c = 0; c < channels; c++) {
                    newMean[c] = mean[c] * momentum + useMean[c] * (1 - momentum);
                    newVar[c] = var[c] * momentum + useVar[c] * (1 - momentum);
                }
                runningMean = RefSupport.f32Tensor(ctx, in[3].shape(), newMean);
                runningVar = RefSupport.f32Tensor(ctx, in[4].shape(), newVar);
            }
            float[] y = new float[xs.length];
            for (int b = 0; b < batch; b++) {
                for (int c = 0; c < channels; c++) {
                    for (int s = 0, i = (b * channels + c) * spatial; s < spatial; s++, i++) {
                        int k = statsPerChannel == 1 ? c : c * spatial + s;
                        y[i] = (float) (scale[k] * (xs[i] - useMean[k]) / Math.sqrt(useVar[k] + epsilon) + bias[k]);
                    }
                }
            }
            Tensor[] out = new Tensor[n.outputs().size()];
            out[0] = RefSupport.f32Tensor(ctx, x.shape(), y);
            if (out.length > 1 && training) {
                out[1] = runningMean;
            }
            if (out.length > 2 && training) {
                out[2] = runningVar;
            }
            return out;
        };
    }

    /** Per-channel mean and population variance (as numpy's var) over the batch and spatial dims. */
    private static float[][] batchStatistics(float[] xs, int batch, int channels, int spatial) {
        float[] mean = new float[channels];
        float[] var = new float[channels];
        long count = (long) batch * spatial;
        for (int c = 0; c < channels; c++) {
            double sum = 0;
            for (int b = 0; b < batch; b++) {
                for (int i = (b * channels + c) * spatial; i < (b * channels + c + 1) * spatial; i++) {
                    sum += xs[i];
                }
            }
            double mu = sum / count;
            double sq = 0;
            for (int b = 0; b < batch; b++) {
                for (int i = (b * channels + c) * spatial; i < (b * channels + c + 1) * spatial; i++) {
                    sq += (xs[i] - mu) * (xs[i] - mu);
                }
            }
            mean[c] = (float) mu;
            var[c] = (float) (sq / count);
        }
        return new float[][] {mean, var};
    }

    private static Kernel instanceNorm(KernelRequest req) {
        RefSupport.requireKnownDTypes(req, DType.F32);
        float epsilon = req.node().floatAttr("epsilon", 1e-5f);
        return (in, ctx) -> {
            Tensor x = in[0];
            RefSupport.requireRank(x, 3, "input");
            int channels = (int) x.dim(1);
            float[] scale = RefSupport.f32(in[1], "scale");
            float[] bias = RefSupport.f32(in[2], "B");
            if (scale.length != channels || bias.length != channels) {
                throw new IllegalArgumentException("scale and B must have " + channels + " values");
            }
            float[] xs = RefSupport.f32(x, "input");
            int planes = (int) (x.dim(0) * channels);
            int vol = xs.length / Math.max(1, planes);
            float[] y = new float[xs.length];
            for (int p = 0; p < planes; p++) {
                int c = p % channels;
                normalizeSlice(xs, y, p * vol, vol, epsilon, scale[c], bias[c]);
            }
            return new Tensor[] {RefSupport.f32Tensor(ctx, x.shape(), y)};
        };
    }

    /** Normalizes {@code count} elements from {@code start} to mean 0, variance 1, then scales and shifts. */
    private static void normalizeSlice(float[] x, float[] y, int start, int count, double epsilon, double scale,
                                       double bias) {
        double[] stats = moments(x, start, count, epsilon);
        for (int i = start; i < start + count; i++) {
            y[i] = (float) ((x[i] - stats[0]) * stats[1] * scale + bias);
        }
    }

    /** {mean, 1/sqrt(population variance + epsilon)} of {@code count} elements from {@code start}. */
    private static double[] moments(float[] x, int start, int count, double epsilon) {
        double sum = 0;
        for (int i = start; i < start + count; i++) {
            sum += x[i];
        }
        double mean = sum / count;
        double sq = 0;
        for (int i = start; i < start + count; i++) {
            sq += (x[i] - mean) * (x[i] - mean);
        }
        return new double[] {mean, 1 / Math.sqrt(sq / count + epsilon)};
    }

    private static Kernel layerNorm(KernelRequest req) {
        RefSupport.requireKnownDTypes(req, DType.F32);
        Node n = req.node();
        long axisAttr = n.intAttr("axis", -1);
        float epsilon = n.floatAttr("epsilon", 1e-5f);
        long stash = n.intAttr("stash_type", 1);
        if (stash != 1) {
            throw new UnsupportedKernelException("LayerNormalization stash_type " + stash);
        }
        return (in, ctx) -> {
            Tensor x = in[0];
            int axis = Shapes.axis(axisAttr, x.rank(), "axis");
            long[] shape = x.shape();
            long[] normShape = Arrays.copyOfRange(shape, axis, shape.length);
            int inner = Math.toIntExact(Shapes.size(normShape));
            int outer = Math.toIntExact(Shapes.size(Arrays.copyOf(shape, axis)));
            float[] xs = RefSupport.f32(x, "X");
            float[] scale = broadcastTo(in[1], normShape, "Scale");
            float[] bias = in[2] == null ? new float[inner] : broadcastTo(in[2], normShape, "B");
            float[] y = new float[xs.length];
            float[] means = new float[outer];
            float[] invStd = new float[outer];
            for (int o = 0; o < outer; o++) {
                double[] st = moments(xs, o * inner, inner, epsilon);
                means[o] = (float) st[0];
                invStd[o] = (float) st[1];
                for (int j = 0; j < inner; j++) {
                    int i = o * inner + j;
                    y[i] = (float) ((xs[i] - st[0]) * st[1] * scale[j] + bias[j]);
                }
            }
            long[] statShape = shape.clone();
            Arrays.fill(statShape, axis, statShape.length, 1);
            Tensor[] out = new Tensor[n.outputs().size()];
            out[0] = RefSupport.f32Tensor(ctx, shape, y);
            if (out.length > 1 && !n.outputs().get(1).isEmpty()) {
                out[1] = RefSupport.f32Tensor(ctx, statShape, means);
            }
            if (out.length > 2 && !n.outputs().get(2).isEmpty()) {
                out[2] = RefSupport.f32Tensor(ctx, statShape, invStd);
            }
            return out;
        };
    }

    /** The values of {@code t} unidirectionally broadcast to {@code target}. */
    private static float[] broadcastTo(Tensor t, long[] target, String what) {
        float[] src = RefSupport.f32(t, what);
        int[] map = RefSupport.broadcastIndex(t.shape(), target, what);
        float[] out = new float[map.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = src[map[i]];
        }
        return out;
    }

    private static Kernel groupNorm(KernelRequest req) {
        RefSupport.requireKnownDTypes(req, DType.F32);
        Node n = req.node();
        float epsilon = n.floatAttr("epsilon", 1e-5f);
        long groups = n.intAttr("num_groups", 0);
        long stash = n.intAttr("stash_type", 1);
        if (stash != 1) {
            throw new UnsupportedKernelException("GroupNormalization stash_type " + stash);
        }
        // Opset 18 has one scale and bias per group; opset 21 one per channel.
        boolean perChannel = req.opset() >= 21;
        return (in, ctx) -> {
            Tensor x = in[0];
            RefSupport.requireRank(x, 3, "X");
            int channels = (int) x.dim(1);
            if (groups < 1 || channels % groups != 0) {
                throw new IllegalArgumentException("num_groups " + groups + " does not divide " + channels
                    + " channels");
            }
            float[] scale = RefSupport.f32(in[1], "scale");
            float[] bias = RefSupport.f32(in[2], "bias");
            int expected = perChannel ? channels : (int) groups;
            if (scale.length != expected || bias.length != expected) {
                throw new IllegalArgumentException("scale and bias must have " + expected + " values");
            }
            float[] xs = RefSupport.f32(x, "X");
            int perGroup = channels / (int) groups;
            int vol = Math.toIntExact(x.size() / (x.dim(0) * channels));
            float[] y = new float[xs.length];
            for (int b = 0; b < x.dim(0); b++) {
                for (int g = 0; g < groups; g++) {
                    int start = (b * channels + g * perGroup) * vol;
                    double[] st = moments(xs, start, perGroup * vol, epsilon);
                    for (int c = 0; c < perGroup; c++) {
                        int k = perChannel ? g * perGroup + c : g;
                        for (int i = start + c * vol; i < start + (c + 1) * vol; i++) {
                            y[i] = (float) ((xs[i] - st[0]) * st[1] * scale[k] + bias[k]);
                        }
                    }
                }
            }
            return new Tensor[] {RefSupport.f32Tensor(ctx, x.shape(), y)};
        };
    }

    private static Kernel lrn(KernelRequest req) {
        RefSupport.requireKnownDTypes(req, DType.F32);
        Node n = req.node();
        double alpha = n.floatAttr("alpha", 1e-4f);
        double beta = n.floatAttr("beta", 0.75f);
        double bias = n.floatAttr("bias", 1f);
        long size = n.intAttr("size", 0);
        return (in, ctx) -> {
            if (size < 1) {
                throw new IllegalArgumentException("LRN needs a positive size");
            }
            Tensor x = in[0];
            RefSupport.requireRank(x, 3, "X");
            int channels = (int) x.dim(1);
            int vol = Math.toIntExact(x.size() / (x.dim(0) * channels));
            float[] xs = RefSupport.f32(x, "X");
            float[] y = new float[xs.length];
            long before = (size - 1) / 2;
            long after = size - 1 - before; // ceil((size-1)/2)
            for (int b = 0; b < x.dim(0); b++) {
                for (int c = 0; c < channels; c++) {
                    int lo = (int) Math.max(0, c - before);
                    int hi = (int) Math.min(channels - 1, c + after);
                    for (int s = 0; s < vol; s++) {
                        double sq = 0;
                        for (int cc = lo; cc <= hi; cc++) {
                            double v = xs[(b * channels + cc) * vol + s];
                            sq += v * v;
                        }
                        int i = (b * channels + c) * vol + s;
                        y[i] = (float) (xs[i] / Math.pow(bias + alpha / size * sq, beta));
                    }
                }
            }
            return new Tensor[] {RefSupport.f32Tensor(ctx, x.shape(), y)};
        };
    }
}
