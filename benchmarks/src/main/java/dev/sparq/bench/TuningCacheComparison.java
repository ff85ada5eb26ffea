package dev.sparq.bench;

import dev.sparq.Session;
import dev.sparq.SessionOptions;
import dev.sparq.Sparq;
import dev.sparq.backend.tuning.KernelTuner;
import dev.sparq.backend.tuning.TimingCache;
import dev.sparq.tensor.Npy;
import dev.sparq.tensor.Tensor;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * What a set of kernel choices is worth end to end: one model, two sessions whose choices come from two timing
 * caches (every choice must be in them: nothing is timed), run in alternating blocks ({@link InterleavedRuns});
 * prints each node's mean time and kernel on both sides, then both medians. For choices that a per-layer timing
 * cannot judge, e.g. one layer's kernel changing how fast the layers after it run.
 *
 * <p>Usage: {@code java -cp benchmarks/target/benchmarks.jar dev.sparq.bench.TuningCacheComparison MODEL.onnx
 * INPUT.npy CACHE_A CACHE_B [threads=1] [runs=2000]}
 */
public final class TuningCacheComparison {
    private TuningCacheComparison() {
    }

    private static Session open(Path model, Path cache, int threads) {
        KernelTuner cachedOnly = KernelTuner.timing(TimingCache.open(cache), (names, runs, budget) -> {
            throw new IllegalStateException(cache + " has no choice among " + names);
        }, 0);
        try (KernelTuner.Scope ignored = KernelTuner.use(cachedOnly)) {
            return Sparq.load(model, SessionOptions.builder().threads(threads).build());
        }
    }

    public static void main(String[] args) throws Exception {
        Path model = Path.of(args[0]);
        int threads = args.length > 4 ? Integer.parseInt(args[4]) : 1;
        int runs = args.length > 5 ? Integer.parseInt(args[5]) : 2000;
        try (Tensor input = Npy.read(Path.of(args[1]));
             Session a = open(model, Path.of(args[2]), threads);
             Session b = open(model, Path.of(args[3]), threads)) {
            Map<String, Tensor> feed = Map.of(a.inputs().get(0).name(), input);
            long[] medians = InterleavedRuns.medians(a, b, feed, runs);
            a.profiling(true);
            b.profiling(true);
            for (int i = 0; i < runs / 4; i++) {
                a.run(feed).close();
                b.run(feed).close();
            }
            long[][] pa = a.profile();
            long[][] pb = b.profile();
            var sa = a.plan().steps();
            var sb = b.plan().steps();
            System.out.printf(Locale.ROOT, "%-48s %9s %9s  %s%n", "node", "A us", "B us", "kernel A / B");
            for (int i = 0; i < Math.min(sa.size(), sb.size()); i++) {
                System.out.printf(Locale.ROOT, "%-48s %9.1f %9.1f  %s / %s%n", sa.get(i).node().label(),
                    pa[i][0] / 1e3 / Math.max(1, pa[i][1]), pb[i][0] / 1e3 / Math.max(1, pb[i][1]),
                    kernel(sa.get(i)), kernel(sb.get(i)));
            }
            System.out.printf(Locale.ROOT, "%d thread(s), %d runs each: A %.3f ms, B %.3f ms (p50); B/A = %.3f%n",
                threads, runs, medians[0] / 1e6, medians[1] / 1e6, (double) medians[1] / medians[0]);
        }
    }

    /** The chosen candidate's name: the description up to its first colon. */
    private static String kernel(dev.sparq.plan.Step s) {
        String d = s.kernel().describe();
        int colon = d.indexOf(':');
        return colon < 0 ? d : d.substring(0, colon);
    }
}
