package dev.sparq.compress;

import dev.sparq.graph.Graph;
import dev.sparq.graph.Model;
import dev.sparq.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Magnitude pruning of the weights of Conv, Gemm and MatMul layers (see {@link WeightLayer}): the weights of
 * smallest |w| become exact zeros; shapes and graph stay as they are, so the result is a dense ONNX model full of
 * zeros that any runtime loads (and that sparq's sparse kernels detect).
 * <ul>
 *   <li>unstructured, per layer: each weight loses round(s·size) elements;</li>
 *   <li>unstructured, global: one threshold over all those weights together, so round(s·total) elements go and
 *       small layers may keep more than large ones;</li>
 *   <li>2:4: in every aligned group of 4 consecutive elements along the reduction axis the 2 largest |w| stay
 *       (the pattern of sparse tensor cores); a layer whose reduction length is not a multiple of 4 is left
 *       dense.</li>
 * </ul>
 * Ties at the threshold are broken by position (earlier elements go first), so the count is exact. Biases are
 * never pruned. Zeros already present count among the smallest.
 */
public final class MagnitudePruner {
    /** Where the unstructured threshold is chosen. */
    public enum Scope { LAYER, GLOBAL }

    private MagnitudePruner() {
    }

    /** Unstructured pruning to {@code sparsity} in [0, 1) of the prunable weights; {@code source} is not changed. */
    public static Compressed unstructured(Model source, double sparsity, Scope scope) {
        if (!(sparsity >= 0 && sparsity < 1)) {
            throw new IllegalArgumentException("sparsity must be in [0, 1), not " + sparsity);
        }
        String method = String.format(Locale.ROOT, "unstructured %.1f%% (%s)", 100 * sparsity,
            scope == Scope.GLOBAL ? "one global threshold" : "per layer");
        Model m = ModelEdits.copy(source);
        try {
            CompressionReport.Builder report = new CompressionReport.Builder(method, source);
            List<WeightLayer> layers = WeightLayer.find(m.graph());
            List<float[]> weights = new ArrayList<>();
            for (WeightLayer l : layers) {
                weights.add(m.graph().initializers().get(l.weight()).toFloatArray());
            }
            if (scope == Scope.GLOBAL) {
                pruneSmallest(weights, sparsity);
            } else {
                for (float[] w : weights) {
                    pruneSmallest(List.of(w), sparsity);
                }
            }
            for (int i = 0; i < layers.size(); i++) {
                replace(m, layers.get(i), weights.get(i), report, "");
            }
            return new Compressed(m, report.build(m));
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /** 2:4 semi-structured pruning along each layer's reduction axis; {@code source} is not changed. */
    public static Compressed twoOfFour(Model source) {
        Model m = ModelEdits.copy(source);
        try {
            CompressionReport.Builder report = new CompressionReport.Builder("2:4 along the reduction axis", source);
            for (WeightLayer l : WeightLayer.find(m.graph())) {
                if (l.depth() % 4 != 0) {
                    report.untouched(l.label(), "reduction length " + l.depth() + " is not a multiple of 4");
                    continue;
                }
                float[] w = m.graph().initializers().get(l.weight()).toFloatArray();
                keepTwoOfFour(w, l);
                replace(m, l, w, report, "2:4");
            }
            return new Compressed(m, report.build(m));
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /** Zeroes round(s·n) elements of smallest magnitude over all {@code weights} together (n = their total size). */
    static void pruneSmallest(List<float[]> weights, double sparsity) {
        long n = weights.stream().mapToLong(w -> w.length).sum();
        long target = Math.round(sparsity * n);
        if (target == 0) {
            return;
        }
        float[] mags = new float[Math.toIntExact(n)];
        int at = 0;
        for (float[] w : weights) {
            for (float v : w) {
                mags[at++] = Math.abs(v);
            }
        }
        Arrays.sort(mags);
        float threshold = mags[(int) target - 1];
        long below = 0;
        for (float m : mags) {
            if (m < threshold) {
                below++;
            } else {
                break;
            }
        }
        long tiesToPrune = target - below;
        for (float[] w : weights) {
            for (int i = 0; i < w.length; i++) {
                float a = Math.abs(w[i]);
                if (a < threshold) {
                    w[i] = 0;
                } else if (a == threshold && tiesToPrune > 0) {
                    w[i] = 0;
                    tiesToPrune--;
                }
            }
        }
    }

    /** In each aligned group of 4 along the reduction axis, zeroes all but the 2 largest |w| (earlier wins ties). */
    static void keepTwoOfFour(float[] w, WeightLayer l) {
        long[] idx = new long[4];
        for (long r = 0; r < l.rows(); r++) {
            for (long k = 0; k < l.depth(); k += 4) {
                for (int q = 0; q < 4; q++) {
                    idx[q] = l.index(r, k + q);
                }
                int first = -1;
                int second = -1;
                for (int q = 0; q < 4; q++) {
                    float a = Math.abs(w[(int) idx[q]]);
                    if (first < 0 || a > Math.abs(w[(int) idx[first]])) {
                        second = first;
                        first = q;
                    } else if (second < 0 || a > Math.abs(w[(int) idx[second]])) {
                        second = q;
                    }
                }
                for (int q = 0; q < 4; q++) {
                    if (q != first && q != second) {
                        w[(int) idx[q]] = 0;
                    }
                }
            }
        }
    }

    private static void replace(Model m, WeightLayer l, float[] pruned, CompressionReport.Builder report, String note) {
        Graph g = m.graph();
        Tensor old = g.initializers().get(l.weight());
        long nzBefore = ModelEdits.nonzeros(old);
        long[] shape = old.shape();
        Tensor bias = l.bias() == null ? null : g.initializers().get(l.bias());
        long biasSize = bias == null ? 0 : bias.size();
        long biasNz = bias == null ? 0 : ModelEdits.nonzeros(bias);
        String shapeText = CompressionReport.shape(old);
        ModelEdits.putFloats(m, l.weight(), pruned, shape);
        long nzAfter = 0;
        for (float v : pruned) {
            nzAfter += v != 0 ? 1 : 0;
        }
        long size = pruned.length;
        String text = String.format(Locale.ROOT, "%s%s%.1f%% of the weight zero", note, note.isEmpty() ? "" : ", ",
            100.0 * (size - nzAfter) / size);
        report.layer(new CompressionReport.Layer(l.label(), l.node().opType(), shapeText, shapeText, size + biasSize,
            nzBefore + biasNz, size + biasSize, nzAfter + biasNz, text));
    }
}
