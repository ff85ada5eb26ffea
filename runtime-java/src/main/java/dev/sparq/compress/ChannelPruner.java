package dev.sparq.compress;

import dev.sparq.InvalidInputException;
import dev.sparq.graph.Graph;
import dev.sparq.graph.Model;
import dev.sparq.graph.Node;
import dev.sparq.graph.ShapeInference;
import dev.sparq.graph.ValueType;
import dev.sparq.graph.pass.BatchNormFolding;
import dev.sparq.graph.pass.ConstantFolding;
import dev.sparq.graph.pass.DeadNodeRemoval;
import dev.sparq.graph.pass.GraphEdits;
import dev.sparq.graph.pass.GraphPass;
import dev.sparq.graph.pass.IdentityRemoval;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Structured pruning: removes whole output channels of Conv, Gemm and MatMul layers, those of smallest L1 norm, and
 * rewrites the graph so the model really gets smaller. The layer's weight and bias lose those rows; the layers that
 * read the channels lose the matching input channels (Conv weight axis 1, Gemm/MatMul K), also through
 * <ul>
 *   <li>element-wise ops that keep a zero channel zero: Relu, LeakyRelu, Tanh, Elu, Selu, HardSwish, Neg, Abs,
 *       Identity, Dropout, Clip with min ≤ 0 ≤ max, Mul or Div by a constant (a per-channel constant is sliced
 *       too);</li>
 *   <li>MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool (per-channel ops);</li>
 *   <li>Flatten(axis 1) into Gemm/MatMul: each channel is a block of H·W consecutive K entries, and the blocks
 *       go;</li>
 *   <li>BatchNormalization right after the Conv: folded into it first (as the QDQ writer does), so a removed
 *       channel is exactly zero where it is removed.</li>
 * </ul>
 * The result therefore computes exactly what the original computes with those channels zeroed (weights and bias,
 * or BN scale and shift). A layer is left whole, with the reason in the report, where that could not hold: its
 * output feeds a graph output, a residual Add (both sides would have to lose the same channels), a constant Add,
 * a BatchNormalization elsewhere, a grouped or depthwise convolution, or any other op. {@code fraction} of each
 * remaining layer's output channels go (rounded down; at least one channel stays).
 */
public final class ChannelPruner {
    private static final Set<String> ZERO_KEEPING = Set.of("Relu", "LeakyRelu", "Tanh", "Elu", "Selu", "HardSwish",
        "Neg", "Abs", "Identity", "Dropout");
    private static final Set<String> POOLS = Set.of("MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool");

    private ChannelPruner() {
    }

    /** One initializer axis that loses channels; each channel is {@code block} consecutive entries. */
    private record Slice(String initializer, int axis, long block) {
    }

    /** Where a layer's channels flow: the activation axis that holds them, its rank, the block per channel. */
    private record Flow(String value, int axis, int rank, long block) {
    }

    /** Why a layer cannot lose channels. */
    private static final class Refused extends Exception {
        Refused(String reason) {
            super(reason, null, false, false);
        }
    }

    /** Removes {@code fraction} in [0, 1) of the output channels of every layer that can lose them. */
    public static Compressed prune(Model source, double fraction) {
        if (!(fraction >= 0 && fraction < 1)) {
            throw new IllegalArgumentException("channel fraction must be in [0, 1), not " + fraction);
        }
        String method = String.format(Locale.ROOT, "channel: %.1f%% of the output channels of each layer, smallest "
            + "L1 norm first (BatchNormalization folded into its Conv first)", 100 * fraction);
        Model m = ModelEdits.copy(source);
        try {
            ShapeInference.run(m);
            for (GraphPass p : List.of(new IdentityRemoval(), new ConstantFolding(), new BatchNormFolding(),
                new DeadNodeRemoval())) {
                p.apply(m);
            }
            CompressionReport.Builder report = new CompressionReport.Builder(method, source);
            Graph g = m.graph();
            Map<String, Integer> uses = GraphEdits.useCounts(g);
            List<WeightLayer> layers = WeightLayer.find(g);
            // initializer -> axis -> kept channels
            Map<String, Map<Integer, Kept>> cuts = new LinkedHashMap<>();
            Map<String, String> outNotes = new LinkedHashMap<>();
            for (WeightLayer l : layers) {
                List<Slice> slices = new ArrayList<>();
                int channels = (int) l.rows();
                try {
                    slices.add(new Slice(l.weight(), l.outAxis(), 1));
                    Slice bias = biasSlice(g, l, uses);
                    if (bias != null) {
                        slices.add(bias);
                    }
                    trace(g, uses, start(g, l), channels, slices, new HashSet<>());
                } catch (Refused r) {
                    report.untouched(l.label(), r.getMessage());
                    continue;
                }
                int remove = (int) Math.min(Math.floor(fraction * channels + 1e-9), channels - 1);
                if (remove == 0) {
                    report.untouched(l.label(), "removing " + fraction + " of " + channels + " channels removes none");
                    continue;
                }
                int[] keep = smallestL1Removed(g.initializers().get(l.weight()).toFloatArray(), l, remove);
                for (Slice s : slices) {
                    Kept prev = cuts.computeIfAbsent(s.initializer(), k -> new LinkedHashMap<>())
                        .put(s.axis(), new Kept(keep, s.block()));
                    if (prev != null) {
                        throw new IllegalStateException(s + " cut twice"); // excluded by the single-reader checks
                    }
                }
                outNotes.put(l.weight(), "out " + channels + "->" + keep.length);
            }
            if (cuts.isEmpty()) {
                String why = report.build(m).untouched().stream().map(u -> u.name() + ": " + u.reason())
                    .reduce((a, b) -> a + "; " + b).orElse("it has no Conv, Gemm or MatMul with a float weight");
                throw new InvalidInputException(source.source() + ": no layer can lose output channels (" + why + ")");
            }
            Map<String, Tensor> before = new LinkedHashMap<>(g.initializers());
            cuts.forEach((name, axes) -> cut(m, name, axes));
            for (WeightLayer l : layers) {
                reportLayer(g, l, before, cuts, outNotes, report);
            }
            ModelEdits.reinferTypes(m);
            return new Compressed(m, report.build(m));
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /** Kept channel indices (ascending) on one axis, each {@code block} entries long. */
    private record Kept(int[] channels, long block) {
    }

    private static Flow start(Graph g, WeightLayer l) throws Refused {
        String out = l.node().outputs().get(0);
        return switch (l.node().opType()) {
            case "Conv" -> {
                if (l.node().intAttr("group", 1) != 1) {
                    throw new Refused("grouped convolution (group=" + l.node().intAttr("group", 1) + ")");
                }
                yield new Flow(out, 1, g.type(out).rank(), 1);
            }
            case "Gemm" -> new Flow(out, 1, 2, 1);
            default -> {
                int rank = g.type(out).rank();
                if (rank < 1) {
                    throw new Refused("the rank of its output is unknown");
                }
                yield new Flow(out, rank - 1, rank, 1);
            }
        };
    }

    /** The bias entries that go with the removed rows: Conv B[C]; Gemm C of shape [N] or [1,N]; a scalar stays. */
    private static Slice biasSlice(Graph g, WeightLayer l, Map<String, Integer> uses) throws Refused {
        if (!l.node().hasInput(2)) {
            return null;
        }
        Tensor b = g.initializers().get(l.node().input(2));
        if (b == null) {
            throw new Refused("its bias is computed, not a constant");
        }
        if (b.size() == 1) {
            return null;
        }
        if (uses.getOrDefault(l.node().input(2), 0) != 1) {
            throw new Refused("its bias is shared with another node");
        }
        if (b.rank() == 1 && b.dim(0) == l.rows()) {
            return new Slice(l.node().input(2), 0, 1);
        }
        if (b.rank() == 2 && b.dim(0) == 1 && b.dim(1) == l.rows()) {
            return new Slice(l.node().input(2), 1, 1);
        }
        throw new Refused("bias of shape " + Arrays.toString(b.shape()) + " is not per output channel");
    }

    /** Follows the channels from {@code f} to every reader, collecting the slices; throws where they cannot go. */
    private static void trace(Graph g, Map<String, Integer> uses, Flow f, int channels, List<Slice> slices,
                              Set<String> seen) throws Refused {
        if (!seen.add(f.value())) {
            return;
        }
        if (g.outputs().stream().anyMatch(o -> o.name().equals(f.value()))) {
            throw new Refused("its output channels reach the graph output '" + f.value() + "'");
        }
        for (Node c : g.nodes()) {
            int pos = c.inputs().indexOf(f.value());
            if (pos < 0) {
                continue;
            }
            if (c.inputs().lastIndexOf(f.value()) != pos) {
                throw new Refused(c.label() + " reads its channels twice");
            }
            if (!c.domain().isEmpty()) {
                throw new Refused("read by " + c.label() + " (domain " + c.domain() + ")");
            }
            String op = c.opType();
            if (ZERO_KEEPING.contains(op)) {
                requireFirst(c, pos);
                if (c.outputs().size() > 1 && !c.outputs().get(1).isEmpty()) {
                    throw new Refused(c.label() + " has a second output");
                }
                trace(g, uses, new Flow(c.outputs().get(0), f.axis(), f.rank(), f.block()), channels, slices, seen);
            } else if (op.equals("Clip")) {
                requireFirst(c, pos);
                requireClipKeepsZero(g, c);
                trace(g, uses, new Flow(c.outputs().get(0), f.axis(), f.rank(), f.block()), channels, slices, seen);
            } else if (POOLS.contains(op)) {
                requireFirst(c, pos);
                if (f.axis() != 1 || f.block() != 1) {
                    throw new Refused(c.label() + " pools an activation whose channels are not on axis 1");
                }
                if (c.outputs().size() > 1 && !c.outputs().get(1).isEmpty()) {
                    throw new Refused(c.label() + " also returns indices");
                }
                trace(g, uses, new Flow(c.outputs().get(0), 1, f.rank(), 1), channels, slices, seen);
            } else if (op.equals("Mul") || (op.equals("Div") && pos == 0)) {
                constantOperand(g, uses, c, 1 - pos, f, channels, slices);
                trace(g, uses, new Flow(c.outputs().get(0), f.axis(), f.rank(), f.block()), channels, slices, seen);
            } else if (op.equals("Flatten")) {
                trace(g, uses, flatten(g, c, f), channels, slices, seen);
            } else if (op.equals("Conv")) {
                requireFirst(c, pos);
                if (c.intAttr("group", 1) != 1) {
                    throw new Refused("read by the grouped convolution " + c.label());
                }
                if (f.axis() != 1 || f.block() != 1) {
                    throw new Refused(c.label() + " reads an activation whose channels are not on axis 1");
                }
                slices.add(new Slice(readerWeight(g, uses, c, 4), 1, 1));
            } else if (op.equals("Gemm")) {
                requireFirst(c, pos);
                if (c.intAttr("transA", 0) != 0 || f.axis() != 1) {
                    throw new Refused(c.label() + " does not read the channels as its K axis");
                }
                slices.add(new Slice(readerWeight(g, uses, c, 2), c.intAttr("transB", 0) != 0 ? 1 : 0, f.block()));
            } else if (op.equals("MatMul")) {
                requireFirst(c, pos);
                if (f.rank() < 1 || f.axis() != f.rank() - 1) {
                    throw new Refused(c.label() + " does not read the channels as its K axis");
                }
                slices.add(new Slice(readerWeight(g, uses, c, 2), 0, f.block()));
            } else if (op.equals("Add") || op.equals("Sub") || op.equals("Sum")) {
                boolean constant = c.inputs().stream().anyMatch(g.initializers()::containsKey);
                throw new Refused(constant ? c.label() + " adds a constant, so a removed channel would not be zero"
                    : "its channels feed a residual " + c.label() + " (both sides would have to lose the same channels)");
            } else if (op.equals("BatchNormalization")) {
                throw new Refused(c.label() + " is not right after a Conv it could be folded into, so a removed "
                    + "channel would not be zero after it");
            } else {
                throw new Refused("read by " + c.label() + ", which channel pruning does not follow");
            }
        }
    }

    private static void requireFirst(Node c, int pos) throws Refused {
        if (pos != 0) {
            throw new Refused("read by " + c.label() + " as its input " + pos);
        }
    }

    /** Clip keeps a zero channel zero only when min ≤ 0 ≤ max (bounds constant). */
    private static void requireClipKeepsZero(Graph g, Node c) throws Refused {
        double min = c.floatAttr("min", Float.NEGATIVE_INFINITY);
        double max = c.floatAttr("max", Float.POSITIVE_INFINITY);
        for (int i = 1; i <= 2; i++) {
            if (!c.hasInput(i)) {
                continue;
            }
            Tensor t = g.initializers().get(c.input(i));
            if (t == null || t.size() != 1) {
                throw new Refused(c.label() + " has bounds that are not constants");
            }
            if (i == 1) {
                min = t.getDouble(0);
            } else {
                max = t.getDouble(0);
            }
        }
        if (min > 0 || max < 0) {
            throw new Refused(c.label() + " clips to [" + min + ", " + max + "], which moves a zero channel");
        }
    }

    /** The other operand of a Mul/Div must be a constant; per-channel entries lose the removed channels. */
    private static void constantOperand(Graph g, Map<String, Integer> uses, Node c, int other, Flow f, int channels,
                                        List<Slice> slices) throws Refused {
        Tensor k = g.initializers().get(c.input(other));
        if (k == null) {
            throw new Refused("its channels are multiplied by a computed value in " + c.label());
        }
        if (k.size() == 1) {
            return;
        }
        if (f.rank() < 0 || k.rank() > f.rank()) {
            throw new Refused(c.label() + ": cannot tell how its constant " + Arrays.toString(k.shape())
                + " lines up with the channels");
        }
        int p = f.axis() - (f.rank() - k.rank());
        if (p < 0 || k.dim(p) == 1) {
            return; // the constant is the same for every channel
        }
        if (k.dim(p) != channels * f.block() || uses.getOrDefault(c.input(other), 0) != 1) {
            throw new Refused(c.label() + ": its constant " + Arrays.toString(k.shape()) + " cannot lose channels");
        }
        slices.add(new Slice(c.input(other), p, f.block()));
    }

    /** Flatten(axis 1) of [N, C, H, W]: each channel becomes a block of H·W consecutive entries of axis 1. */
    private static Flow flatten(Graph g, Node c, Flow f) throws Refused {
        long axis = c.intAttr("axis", 1);
        ValueType t = g.type(f.value());
        if (axis != 1 || f.axis() != 1 || f.block() != 1 || !t.hasRank()) {
            throw new Refused(c.label() + " is not a Flatten(axis=1) of a [N, C, ...] activation of known rank");
        }
        long block = 1;
        for (int i = 2; i < t.rank(); i++) {
            if (!t.dims().get(i).isKnown()) {
                throw new Refused(c.label() + ": the spatial size of " + f.value() + " is unknown");
            }
            block *= t.dims().get(i).value();
        }
        return new Flow(c.outputs().get(0), 1, 2, block);
    }

    /** The float32 initializer weight of a reader, which must be read by it alone. */
    private static String readerWeight(Graph g, Map<String, Integer> uses, Node c, int minRank) throws Refused {
        Tensor w = g.initializers().get(c.input(1));
        if (w == null || w.dtype() != DType.F32 || w.rank() < 2 || (minRank == 4 && w.rank() < 3)) {
            throw new Refused("read by " + c.label() + ", whose weight is not a float constant");
        }
        if (w.rank() != 2 && minRank == 2) {
            throw new Refused("read by " + c.label() + ", whose weight is not a matrix");
        }
        if (uses.getOrDefault(c.input(1), 0) != 1) {
            throw new Refused("read by " + c.label() + ", whose weight is shared with another node");
        }
        return c.input(1);
    }

    /** The channels that stay (ascending): all but the {@code remove} of smallest L1 norm (earlier goes on ties). */
    static int[] smallestL1Removed(float[] w, WeightLayer l, int remove) {
        int rows = (int) l.rows();
        double[] norm = new double[rows];
        for (int r = 0; r < rows; r++) {
            for (long k = 0; k < l.depth(); k++) {
                norm[r] += Math.abs(w[(int) l.index(r, k)]);
            }
        }
        Integer[] order = new Integer[rows];
        for (int r = 0; r < rows; r++) {
            order[r] = r;
        }
        Arrays.sort(order, (a, b) -> norm[a] != norm[b] ? Double.compare(norm[a], norm[b]) : Integer.compare(a, b));
        boolean[] gone = new boolean[rows];
        for (int i = 0; i < remove; i++) {
            gone[order[i]] = true;
        }
        int[] keep = new int[rows - remove];
        int at = 0;
        for (int r = 0; r < rows; r++) {
            if (!gone[r]) {
                keep[at++] = r;
            }
        }
        return keep;
    }

    /** Replaces initializer {@code name} by the entries that stay on each cut axis. */
    private static void cut(Model m, String name, Map<Integer, Kept> axes) {
        Tensor t = m.graph().initializers().get(name);
        long[] shape = t.shape();
        int[][] map = new int[shape.length][];
        long[] newShape = shape.clone();
        for (int a = 0; a < shape.length; a++) {
            Kept k = axes.get(a);
            if (k == null) {
                continue;
            }
            if (shape[a] % k.block() != 0) {
                throw new IllegalStateException(name + " axis " + a + " is not whole blocks of " + k.block());
            }
            newShape[a] = k.channels().length * k.block();
            map[a] = new int[(int) newShape[a]];
            for (int i = 0; i < map[a].length; i++) {
                map[a][i] = (int) (k.channels()[(int) (i / k.block())] * k.block() + i % k.block());
            }
        }
        long[] strides = new long[shape.length];
        long s = 1;
        for (int a = shape.length - 1; a >= 0; a--) {
            strides[a] = s;
            s *= shape[a];
        }
        float[] src = t.toFloatArray();
        int n = 1;
        for (long d : newShape) {
            n = Math.multiplyExact(n, (int) d);
        }
        float[] dst = new float[n];
        int[] idx = new int[shape.length];
        for (int i = 0; i < n; i++) {
            long from = 0;
            for (int a = 0; a < shape.length; a++) {
                from += (map[a] == null ? idx[a] : map[a][idx[a]]) * strides[a];
            }
            dst[i] = src[(int) from];
            for (int a = shape.length - 1; a >= 0; a--) {
                if (++idx[a] < newShape[a]) {
                    break;
                }
                idx[a] = 0;
            }
        }
        ModelEdits.putFloats(m, name, dst, newShape);
    }

    private static void reportLayer(Graph g, WeightLayer l, Map<String, Tensor> before, Map<String, Map<Integer, Kept>> cuts,
                                    Map<String, String> outNotes, CompressionReport.Builder report) {
        boolean changed = cuts.containsKey(l.weight()) || (l.bias() != null && cuts.containsKey(l.bias()));
        if (!changed) {
            return;
        }
        Tensor w0 = before.get(l.weight());
        Tensor w1 = g.initializers().get(l.weight());
        Tensor b0 = l.bias() == null ? null : before.get(l.bias());
        Tensor b1 = l.bias() == null ? null : g.initializers().get(l.bias());
        List<String> notes = new ArrayList<>();
        if (outNotes.containsKey(l.weight())) {
            notes.add(outNotes.get(l.weight()) + " channels");
        }
        Map<Integer, Kept> axes = cuts.getOrDefault(l.weight(), Map.of());
        axes.forEach((axis, kept) -> {
            if (axis != l.outAxis()) {
                notes.add("in " + w0.dim(axis) + "->" + w1.dim(axis));
            }
        });
        report.layer(new CompressionReport.Layer(l.label(), l.node().opType(), CompressionReport.shape(w0),
            CompressionReport.shape(w1), w0.size() + size(b0), ModelEdits.nonzeros(w0) + nonzeros(b0),
            w1.size() + size(b1), ModelEdits.nonzeros(w1) + nonzeros(b1), String.join(", ", notes)));
    }

    private static long size(Tensor t) {
        return t == null ? 0 : t.size();
    }

    private static long nonzeros(Tensor t) {
        return t == null ? 0 : ModelEdits.nonzeros(t);
    }
}
