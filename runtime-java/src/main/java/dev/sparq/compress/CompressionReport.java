package dev.sparq.compress;

import dev.sparq.graph.Model;
import dev.sparq.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * What a compression tool changed: per layer its weight shape, parameters (weight + bias) and nonzeros before and
 * after; layers it left alone with the reason; and the totals over every initializer of the model.
 */
public final class CompressionReport {
    /**
     * One changed layer.
     *
     * @param note what was done, e.g. "rank 12 of 64" or "removed 8 of 32 channels"
     */
    public record Layer(String name, String op, String shapeBefore, String shapeAfter, long paramsBefore,
                        long nonzerosBefore, long paramsAfter, long nonzerosAfter, String note) {
    }

    /** A layer left as it was, and why. */
    public record Untouched(String name, String reason) {
    }

    private final String method;
    private final List<Layer> layers;
    private final List<Untouched> untouched;
    private final long[] before;
    private final long[] after;
    private final double millis;

    private CompressionReport(String method, List<Layer> layers, List<Untouched> untouched, long[] before,
                              long[] after, double millis) {
        this.method = method;
        this.layers = List.copyOf(layers);
        this.untouched = List.copyOf(untouched);
        this.before = before;
        this.after = after;
        this.millis = millis;
    }

    public String method() {
        return method;
    }

    public List<Layer> layers() {
        return layers;
    }

    public List<Untouched> untouched() {
        return untouched;
    }

    /** Parameters of every initializer of the model before. */
    public long totalParamsBefore() {
        return before[0];
    }

    public long totalNonzerosBefore() {
        return before[1];
    }

    public long totalParamsAfter() {
        return after[0];
    }

    public long totalNonzerosAfter() {
        return after[1];
    }

    /** Wall time of the rewrite itself (not of writing the file). */
    public double millis() {
        return millis;
    }

    /** The report as text lines: a table of the changed layers, the untouched ones, the totals. */
    public List<String> lines() {
        List<String> out = new ArrayList<>();
        int w = Math.max(5, layers.stream().mapToInt(l -> l.name().length()).max().orElse(5));
        w = Math.min(w, 40);
        String row = "%-" + w + "s  %-6s %-28s %11s %11s %11s %11s  %s";
        out.add(String.format(Locale.ROOT, row, "layer", "op", "weight", "params", "after", "nonzeros", "after", "note"));
        for (Layer l : layers) {
            String shape = l.shapeBefore().equals(l.shapeAfter()) ? l.shapeBefore() : l.shapeBefore() + "->" + l.shapeAfter();
            out.add(String.format(Locale.ROOT, row, clip(l.name(), w), l.op(), shape, group(l.paramsBefore()),
                group(l.paramsAfter()), group(l.nonzerosBefore()), group(l.nonzerosAfter()), l.note()));
        }
        for (Untouched u : untouched) {
            out.add("skipped: " + u.name() + ": " + u.reason());
        }
        out.add(String.format(Locale.ROOT, "total (all initializers): %s -> %s parameters (%.2fx), nonzeros %s -> %s "
                + "(%.1f%% -> %.1f%% zeros)", group(before[0]), group(after[0]), ratio(after[0], before[0]),
            group(before[1]), group(after[1]), zeros(before), zeros(after)));
        return out;
    }

    private static double zeros(long[] census) {
        return census[0] == 0 ? 0 : 100.0 * (census[0] - census[1]) / census[0];
    }

    private static double ratio(long a, long b) {
        return b == 0 ? 1 : (double) a / b;
    }

    private static String clip(String s, int w) {
        return s.length() <= w ? s : "…" + s.substring(s.length() - w + 1);
    }

    private static String group(long v) {
        return String.format(Locale.ROOT, "%,d", v);
    }

    static String shape(Tensor t) {
        return Arrays.toString(t.shape()).replace(" ", "");
    }

    /** {parameters, nonzeros} over every initializer of {@code model}. */
    static long[] census(Model model) {
        long params = 0;
        long nonzeros = 0;
        for (Tensor t : model.graph().initializers().values()) {
            params += t.size();
            nonzeros += ModelEdits.nonzeros(t);
        }
        return new long[] {params, nonzeros};
    }

    /** Collects a report while a tool works. */
    static final class Builder {
        private final String method;
        private final long[] before;
        private final long start = System.nanoTime();
        private final List<Layer> layers = new ArrayList<>();
        private final List<Untouched> untouched = new ArrayList<>();

        Builder(String method, Model source) {
            this.method = method;
            this.before = census(source);
        }

        void layer(Layer l) {
            layers.add(l);
        }

        void untouched(String name, String reason) {
            untouched.add(new Untouched(name, reason));
        }

        CompressionReport build(Model result) {
            double ms = (System.nanoTime() - start) / 1e6;
            return new CompressionReport(method, layers, untouched, before, census(result), ms);
        }
    }
}
