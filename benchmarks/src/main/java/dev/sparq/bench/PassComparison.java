package dev.sparq.bench;

import dev.sparq.Session;
import dev.sparq.SessionOptions;
import dev.sparq.Sparq;
import dev.sparq.tensor.Npy;
import dev.sparq.tensor.Tensor;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;

/**
 * What one graph pass is worth: the model loaded twice in one process, with every pass and without {@code PASS}
 * ({@link SessionOptions.Builder#disablePass}), checked for the same output, then run in alternating blocks
 * ({@link InterleavedRuns}); prints both medians and their ratio.
 *
 * <p>Usage: {@code java -cp benchmarks/target/benchmarks.jar dev.sparq.bench.PassComparison MODEL.onnx INPUT.npy PASS
 * [threads=1] [runs=2000]}
 */
public final class PassComparison {
    private PassComparison() {
    }

    public static void main(String[] args) throws Exception {
        Path model = Path.of(args[0]);
        String pass = args[2];
        int threads = args.length > 3 ? Integer.parseInt(args[3]) : 1;
        int runs = args.length > 4 ? Integer.parseInt(args[4]) : 2000;
        try (Tensor input = Npy.read(Path.of(args[1]));
             Session with = Sparq.load(model, SessionOptions.builder().threads(threads).build());
             Session without = Sparq.load(model, SessionOptions.builder().threads(threads).disablePass(pass).build())) {
            Map<String, Tensor> feed = Map.of(with.inputs().get(0).name(), input);
            try (Session.Result a = with.run(feed); Session.Result b = without.run(feed)) {
                System.out.printf(Locale.ROOT, "%s: %d nodes with it, %d without; outputs %s%n", pass,
                    with.plan().steps().size(), without.plan().steps().size(),
                    Arrays.equals(a.first().toFloatArray(), b.first().toFloatArray()) ? "identical" : "DIFFER");
            }
            long[] medians = InterleavedRuns.medians(with, without, feed, runs);
            double mw = medians[0] / 1e6;
            double mo = medians[1] / 1e6;
            System.out.printf(Locale.ROOT, "%d thread(s), %d runs each: with %.3f ms, without %.3f ms (p50); "
                + "without/with = %.3f%n", threads, runs, mw, mo, mo / mw);
        }
    }
}
