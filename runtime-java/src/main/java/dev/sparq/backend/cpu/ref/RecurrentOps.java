package dev.sparq.backend.cpu.ref;

import dev.sparq.backend.ExecutionContext;
import dev.sparq.backend.Kernel;
import dev.sparq.backend.KernelRegistry;
import dev.sparq.backend.KernelRequest;
import dev.sparq.backend.UnsupportedKernelException;
import dev.sparq.graph.Node;
import dev.sparq.tensor.Tensor;
import java.util.List;
import java.util.function.DoubleUnaryOperator;

/**
 * RNN, GRU and LSTM as the ONNX spec writes their equations: forward, reverse or bidirectional, optional
 * sequence_lens (steps past a batch entry's length output 0 and leave its state alone), initial states, clip,
 * custom activations, GRU's linear_before_reset, LSTM peepholes, and the batch-first layout of opset 14.
 * Each batch entry runs independently in double precision.
 */
public final class RecurrentOps {
    private RecurrentOps() {
    }

    private enum Kind {
        RNN(1, List.of("Tanh")), GRU(3, List.of("Sigmoid", "Tanh")), LSTM(4, List.of("Sigmoid", "Tanh", "Tanh"));

        final int gates;
        final List<String> defaultActivations;

        Kind(int gates, List<String> defaultActivations) {
            this.gates = gates;
            this.defaultActivations = defaultActivations;
        }
    }

    public static void register(KernelRegistry r) {
        r.register("RNN", req -> kernel(req, Kind.RNN));
        r.register("GRU", req -> kernel(req, Kind.GRU));
        r.register("LSTM", req -> kernel(req, Kind.LSTM));
    }

    /** Everything fixed per node. */
    private record Config(Kind kind, int hidden, int directions, boolean reverseOnly, DoubleUnaryOperator[] act,
                          double clip, boolean linearBeforeReset, boolean batchFirst) {
    }

    private static Kernel kernel(KernelRequest req, Kind kind) {
        Node node = req.node();
        String direction = node.stringAttr("direction", "forward");
        int directions = switch (direction) {
            case "forward", "reverse" -> 1;
            case "bidirectional" -> 2;
            default -> throw new UnsupportedKernelException("direction '" + direction + "'");
        };
        if (kind == Kind.LSTM && node.intAttr("input_forget", 0) != 0) {
            throw new UnsupportedKernelException("LSTM input_forget=1");
        }
        int perDirection = kind.defaultActivations.size();
        List<String> names = node.has("activations") ? node.attr("activations").asStrings() : null;
        if (names != null && names.size() != perDirection * directions) {
            throw new UnsupportedKernelException(names.size() + " activations for " + directions + " direction(s)");
        }
        float[] alphas = node.has("activation_alpha") ? node.attr("activation_alpha").asFloats() : new float[0];
        float[] betas = node.has("activation_beta") ? node.attr("activation_beta").asFloats() : new float[0];
        DoubleUnaryOperator[] act = new DoubleUnaryOperator[perDirection * directions];
        int[] used = new int[2];
        for (int i = 0; i < act.length; i++) {
            String name = names != null ? names.get(i) : kind.defaultActivations.get(i % perDirection);
            act[i] = activation(name, alphas, betas, used);
        }
        Config config = new Config(kind, (int) node.intAttr("hidden_size", 0), directions,
            direction.equals("reverse"), act, node.has("clip") ? node.floatAttr("clip", 0) : Double.POSITIVE_INFINITY,
            node.intAttr("linear_before_reset", 0) != 0, req.opset() >= 14 && node.intAttr("layout", 0) != 0);
        if (config.hidden() <= 0) {
            throw new IllegalArgumentException(kind + " needs a positive hidden_size");
        }
        int outputs = node.outputs().size();
        return (in, ctx) -> run(config, in, outputs, ctx);
    }

    /** An ONNX recurrent activation; alpha and beta values are consumed in order by the functions that take them. */
    private static DoubleUnaryOperator activation(String name, float[] alphas, float[] betas, int[] used) {
        return switch (name.toLowerCase(java.util.Locale.ROOT)) {
            case "sigmoid" -> MathFunctions::sigmoid;
            case "tanh" -> Math::tanh;
            case "relu" -> x -> Math.max(x, 0);
            case "softsign" -> x -> x / (1 + Math.abs(x));
            case "softplus" -> MathFunctions::softplus;
            case "leakyrelu" -> {
                double a = next(alphas, used, 0, 0.01);
                yield x -> x < 0 ? a * x : x;
            }
            case "thresholdedrelu" -> {
                double a = next(alphas, used, 0, 1.0);
                yield x -> x > a ? x : 0;
            }
            case "elu" -> {
                double a = next(alphas, used, 0, 1.0);
                yield x -> x < 0 ? a * Math.expm1(x) : x;
            }
            case "hardsigmoid" -> {
                double a = next(alphas, used, 0, 0.2);
                double b = next(betas, used, 1, 0.5);
                yield x -> Math.max(0, Math.min(1, a * x + b));
            }
            case "scaledtanh" -> {
                double a = next(alphas, used, 0, 1.0);
                double b = next(betas, used, 1, 1.0);
                yield x -> a * Math.tanh(b * x);
            }
            case "affine" -> {
                double a = next(alphas, used, 0, 1.0);
                double b = next(betas, used, 1, 0.0);
                yield x -> a * x + b;
            }
            default -> throw new UnsupportedKernelException("activation '" + name + "'");
        };
    }

    private static double next(float[] values, int[] used, int which, double fallback) {
        return used[which] < values.length ? values[used[which]++] : fallback;
    }

    private static Tensor[] run(Config cfg, Tensor[] in, int outputs, ExecutionContext ctx) {
        Tensor x = in[0];
        Tensor w = in[1];
        Tensor r = in[2];
        Tensor bias = Args.optional(in, 3);
        Tensor lengths = Args.optional(in, 4);
        Tensor h0 = Args.optional(in, 5);
        Tensor c0 = cfg.kind() == Kind.LSTM ? Args.optional(in, 6) : null;
        Tensor peephole = cfg.kind() == Kind.LSTM ? Args.optional(in, 7) : null;
        if (x.rank() != 3) {
            throw new IllegalArgumentException("X must be 3-D, has shape " + java.util.Arrays.toString(x.shape()));
        }
        int seq = (int) (cfg.batchFirst() ? x.dim(1) : x.dim(0));
        int batch = (int) (cfg.batchFirst() ? x.dim(0) : x.dim(1));
        int inputSize = (int) x.dim(2);
        int hidden = cfg.hidden();
        int dirs = cfg.directions();
        int gates = cfg.kind().gates;
        if (w.dim(0) != dirs || w.dim(1) != (long) gates * hidden || w.dim(2) != inputSize
            || r.dim(2) != hidden) {
            throw new IllegalArgumentException("W or R shape does not match hidden_size " + hidden + " and input "
                + inputSize);
        }
        Tensor y = ctx.allocate(x.dtype(), cfg.batchFirst()
            ? new long[] {batch, seq, dirs, hidden} : new long[] {seq, dirs, batch, hidden});
        long[] stateShape = cfg.batchFirst() ? new long[] {batch, dirs, hidden} : new long[] {dirs, batch, hidden};
        Tensor yh = ctx.allocate(x.dtype(), stateShape);
        Tensor yc = cfg.kind() == Kind.LSTM ? ctx.allocate(x.dtype(), stateShape) : null;
        double[] xt = new double[inputSize];
        double[] h = new double[hidden];
        double[] c = new double[hidden];
        double[] pre = new double[gates * hidden];
        double[] hr = new double[hidden];
        for (int d = 0; d < dirs; d++) {
            boolean backward = cfg.reverseOnly() || d == 1;
            for (int b = 0; b < batch; b++) {
                int length = lengths == null ? seq : (int) Axes.clamp(lengths.getLong(b), 0, seq);
                for (int k = 0; k < hidden; k++) {
                    long at = stateIndex(cfg, d, b, k, batch, dirs);
                    h[k] = h0 == null ? 0 : h0.getDouble(at);
                    c[k] = c0 == null ? 0 : c0.getDouble(at);
                }
                for (int step = 0; step < length; step++) {
                    int t = backward ? length - 1 - step : step;
                    for (int i = 0; i < inputSize; i++) {
                        xt[i] = x.getDouble(cfg.batchFirst() ? ((long) b * seq + t) * inputSize + i
                            : ((long) t * batch + b) * inputSize + i);
                    }
                    step(cfg, d, w, r, bias, peephole, xt, h, c, pre, hr);
                    for (int k = 0; k < hidden; k++) {
                        y.setDouble(cfg.batchFirst() ? (((long) b * seq + t) * dirs + d) * hidden + k
                            : (((long) t * dirs + d) * batch + b) * hidden + k, h[k]);
                    }
                }
                for (int k = 0; k < hidden; k++) {
                    long at = stateIndex(cfg, d, b, k, batch, dirs);
                    yh.setDouble(at, h[k]);
                    if (yc != null) {
                        yc.setDouble(at, c[k]);
                    }
                }
            }
        }
        Tensor[] all = yc == null ? new Tensor[] {y, yh} : new Tensor[] {y, yh, yc};
        for (int k = outputs; k < all.length; k++) {
            all[k].close(); // not asked for; the executor frees only what a kernel returns
        }
        return java.util.Arrays.copyOf(all, Math.min(outputs, all.length));
    }

    private static long stateIndex(Config cfg, int d, int b, int k, int batch, int dirs) {
        return cfg.batchFirst() ? ((long) b * dirs + d) * cfg.hidden() + k : ((long) d * batch + b) * cfg.hidden() + k;
    }

    /**
     * One time step for one batch entry: updates h (and c for LSTM) in place. {@code pre} receives each gate's
     * input part X·Wᵀ + Wb (+ H·Rᵀ + Rb, except GRU's hidden gate, which needs the reset gate first).
     */
    private static void step(Config cfg, int d, Tensor w, Tensor r, Tensor bias, Tensor peephole, double[] x,
                             double[] h, double[] c, double[] pre, double[] scratch) {
        int hidden = cfg.hidden();
        int gates = cfg.kind().gates;
        int in = x.length;
        long wBase = (long) d * gates * hidden * in;
        long rBase = (long) d * gates * hidden * hidden;
        long bBase = (long) d * 2 * gates * hidden;
        DoubleUnaryOperator[] act = cfg.act();
        int a0 = d * cfg.kind().defaultActivations.size();
        for (int row = 0; row < gates * hidden; row++) {
            double s = bias == null ? 0 : bias.getDouble(bBase + row);
            for (int i = 0; i < in; i++) {
                s += w.getDouble(wBase + (long) row * in + i) * x[i];
            }
            pre[row] = s;
        }
        switch (cfg.kind()) {
            case RNN -> {
                for (int k = 0; k < hidden; k++) {
                    scratch[k] = act[a0].applyAsDouble(clip(pre[k] + recurrent(r, bias, rBase, bBase, gates, k, h,
                        hidden), cfg.clip()));
                }
                System.arraycopy(scratch, 0, h, 0, hidden);
            }
            case GRU -> {
                // gate order z, r, h
                double[] z = new double[hidden];
                double[] reset = new double[hidden];
                for (int k = 0; k < hidden; k++) {
                    z[k] = act[a0].applyAsDouble(clip(pre[k] + recurrent(r, bias, rBase, bBase, gates, k, h, hidden),
                        cfg.clip()));
                    reset[k] = act[a0].applyAsDouble(clip(pre[hidden + k]
                        + recurrent(r, bias, rBase, bBase, gates, hidden + k, h, hidden), cfg.clip()));
                }
                for (int k = 0; k < hidden; k++) {
                    int row = 2 * hidden + k;
                    double rb = bias == null ? 0 : bias.getDouble(bBase + (long) gates * hidden + row);
                    double candidate;
                    if (cfg.linearBeforeReset()) {
                        candidate = pre[row] + reset[k] * (dot(r, rBase + (long) row * hidden, h) + rb);
                    } else {
                        for (int j = 0; j < hidden; j++) {
                            scratch[j] = reset[j] * h[j];
                        }
                        candidate = pre[row] + dot(r, rBase + (long) row * hidden, scratch) + rb;
                    }
                    pre[row] = act[a0 + 1].applyAsDouble(clip(candidate, cfg.clip()));
                }
                for (int k = 0; k < hidden; k++) {
                    h[k] = (1 - z[k]) * pre[2 * hidden + k] + z[k] * h[k];
                }
            }
            case LSTM -> {
                // gate order i, o, f, c; peepholes i, o, f
                long pBase = (long) d * 3 * hidden;
                for (int k = 0; k < hidden; k++) {
                    double gi = pre[k] + recurrent(r, bias, rBase, bBase, gates, k, h, hidden)
                        + (peephole == null ? 0 : peephole.getDouble(pBase + k) * c[k]);
                    double gf = pre[2 * hidden + k] + recurrent(r, bias, rBase, bBase, gates, 2 * hidden + k, h, hidden)
                        + (peephole == null ? 0 : peephole.getDouble(pBase + 2L * hidden + k) * c[k]);
                    double gc = pre[3 * hidden + k]
                        + recurrent(r, bias, rBase, bBase, gates, 3 * hidden + k, h, hidden);
                    double go = pre[hidden + k] + recurrent(r, bias, rBase, bBase, gates, hidden + k, h, hidden);
                    double i = act[a0].applyAsDouble(clip(gi, cfg.clip()));
                    double f = act[a0].applyAsDouble(clip(gf, cfg.clip()));
                    double cellCandidate = act[a0 + 1].applyAsDouble(clip(gc, cfg.clip()));
                    double cell = f * c[k] + i * cellCandidate;
                    go += peephole == null ? 0 : peephole.getDouble(pBase + hidden + k) * cell;
                    double o = act[a0].applyAsDouble(clip(go, cfg.clip()));
                    pre[k] = cell; // new cell state, kept until every unit has read the old h
                    scratch[k] = o * act[a0 + 2].applyAsDouble(cell);
                }
                for (int k = 0; k < hidden; k++) {
                    c[k] = pre[k];
                    h[k] = scratch[k];
                }
            }
        }
    }

    /** H·Rᵀ + Rb for one gate row. */
    private static double recurrent(Tensor r, Tensor bias, long rBase, long bBase, int gates, int row, double[] h,
                                    int hidden) {
        double rb = bias == null ? 0 : bias.getDouble(bBase + (long) gates * hidden + row);
        return dot(r, rBase + (long) row * hidden, h) + rb;
    }

    private static double dot(Tensor m, long offset, double[] v) {
        double s = 0;
        for (int j = 0; j < v.length; j++) {
            s += m.getDouble(offset + j) * v[j];
        }
        return s;
    }

    private static double clip(double v, double limit) {
        return Math.max(-limit, Math.min(limit, v));
    }
}
