package dev.sparq.backend.cpu.ref;

import dev.sparq.backend.Kernel;
import dev.sparq.backend.KernelRegistry;
import dev.sparq.backend.KernelRequest;
import dev.sparq.backend.UnsupportedKernelException;
import dev.sparq.tensor.Tensor;
import java.util.Arrays;

/**
 * NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss (log-softmax over axis 1, then the same loss), as ONNX's
 * reference computes them: loss[n, d…] = −x[n, t, d…] · w[t] with t = target[n, d…]
 * (0 where t is ignore_index);
 * reduction none keeps that tensor, sum adds it up, mean divides the sum by the total weight.
 */
public final class LossOps {
    private LossOps() {
    }

    public static void register(KernelRegistry r) {
        r.register("NegativeLogLikelihoodLoss", req -> loss(req, false));
        r.register("SoftmaxCrossEntropyLoss", req -> loss(req, true));
    }

    private static Kernel loss(KernelRequest req, boolean softmaxFirst) {
        String reduction = req.node().stringAttr("reduction", "mean");
        if (!reduction.equals("none") && !reduction.equals("sum") && !reduction.equals("mean")) {
            throw new UnsupportedKernelException("reduction '" + reduction + "'");
        }
        Long ignoreIndex = req.node().has("ignore_index") ? req.node().intAttr("ignore_index", 0) : null;
        return (in, ctx) -> {
            Tensor scores = in[0];
            Tensor target = in[1];
            Tensor weight = Args.optional(in, 2);
            long[] shape = scores.shape();
            if (shape.length < 2 || target.rank() != shape.length - 1 || target.dim(0) != shape[0]) {
                throw new IllegalArgumentException("input " + Arrays.toString(shape) + " and target "
                    + Arrays.toString(target.shape()) + " do not match");
            }
            Tensor logProb = softmaxFirst ? SoftmaxOps.logSoftmax(scores, 1, ctx) : scores;
            long n = shape[0];
            long classes = shape[1];
            long spatial = Axes.product(shape, 2, shape.length);
            Tensor perElement = ctx.allocate(scores.dtype(), target.shape());
            double sum = 0;
            double totalWeight = 0;
            for (long i = 0; i < n; i++) {
                for (long d = 0; d < spatial; d++) {
                    long at = i * spatial + d;
                    long t = target.getLong(at);
                    if (ignoreIndex != null && t == ignoreIndex) {
                        continue; // zero loss and zero weight
                    }
                    if (t < 0 || t >= classes) {
                        throw new IllegalArgumentException("target " + t + " is out of range for " + classes
                            + " classes");
                    }
                    double w = weight == null ? 1 : weight.getDouble(t);
                    double value = -logProb.getDouble((i * classes + t) * spatial + d) * w;
                    perElement.setDouble(at, value);
                    sum += value;
                    totalWeight += w;
                }
            }
            Tensor out = perElement;
            if (!reduction.equals("none")) {
                out = ctx.allocate(scores.dtype());
                out.setDouble(0, reduction.equals("sum") ? sum : sum / totalWeight);
                perElement.close(); // scratch: the executor frees only what a kernel returns
            }
            boolean wantsLogProb = softmaxFirst && req.node().outputs().size() > 1
                && !req.node().outputs().get(1).isEmpty();
            if (softmaxFirst && !wantsLogProb) {
                logProb.close();
            }
            return wantsLogProb ? new Tensor[] {out, logProb} : new Tensor[] {out};
        };
    }
}
