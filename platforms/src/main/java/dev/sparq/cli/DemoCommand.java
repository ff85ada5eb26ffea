package dev.sparq.cli;

import dev.sparq.Session;
import dev.sparq.SessionOptions;
import dev.sparq.Sparq;
import dev.sparq.tensor.Npy;
import dev.sparq.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code sparq demo}: the whole story on the bundled digits model. Today: load, check against the reference
 * logits, accuracy on the evaluation split, latency at batch 1 and batch 360.
 */
@Command(name = "demo", description = "Run the bundled digits model: accuracy and latency.")
final class DemoCommand implements Callable<Integer> {
    @Mixin
    BackendOptions backendOptions;

    @Override
    public Integer call() throws IOException {
        try (DemoAssets assets = new DemoAssets();
             Tensor x = Npy.read(assets.path(DemoAssets.EVAL_X));
             Tensor y = Npy.read(assets.path(DemoAssets.EVAL_Y));
             Tensor refLogits = Npy.read(assets.path(DemoAssets.EVAL_LOGITS))) {
            SessionOptions options = backendOptions.toSessionOptions();
            long t0 = System.nanoTime();
            try (Session session = Sparq.load(assets.path(DemoAssets.MODEL), options)) {
                double loadMs = (System.nanoTime() - t0) / 1e6;
                long params = session.model().graph().initializers().values().stream().mapToLong(Tensor::size).sum();
                int n = (int) x.dim(0);
                System.out.printf("sparq demo: digits CNN (%,d parameters, %.1f KB), %d evaluation images%n", params,
                    Files.size(assets.path(DemoAssets.MODEL)) / 1024.0, n);
                System.out.println("plan:      " + session.plan().nodesPerBackend() + ", " + options.threads()
                    + " thread(s), loaded in " + String.format("%.1f ms", loadMs));

                String input = session.inputs().get(0).name();
                try (Session.Result r = session.run(Map.of(input, x))) {
                    Tensor logits = r.first();
                    int correct = 0;
                    double maxDiff = 0;
                    for (int i = 0; i < n; i++) {
                        if (argmax(logits, i) == y.getLong(i)) {
                            correct++;
                        }
                        for (int c = 0; c < 10; c++) {
                            maxDiff = Math.max(maxDiff, Math.abs(logits.getFloat(i * 10L + c)
                                - refLogits.getFloat(i * 10L + c)));
                        }
                    }
                    System.out.printf("accuracy:  %.2f%% (%d/%d); recorded at training %.2f%%%n", 100.0 * correct / n,
                        correct, n, 100 * assets.recordedAccuracy(), n);
                    System.out.printf("check:     max |logit - torch reference| = %.2e%n", maxDiff);
                }
                double batchMs = medianBatchMs(session, input, x, 5);
                System.out.printf("batch %d:  %.2f ms (%.3f ms per image), median of 5 after the run above%n", n,
                    batchMs, batchMs / n);
                batchOneLatencies(session, input, x); // warm-up pass: the JIT compiles the batch-1 paths
                double[] lat = batchOneLatencies(session, input, x);
                System.out.printf("batch 1:   p50 %.3f ms, p90 %.3f ms, min %.3f ms over %d runs%n",
                    pct(lat, 50), pct(lat, 90), lat[0], lat.length);
            }
        }
        System.out.println("next:      INT8 calibration, pruning and backend comparison arrive with their issues.");
        return ExitCodes.OK;
    }

    private static double medianBatchMs(Session session, String input, Tensor x, int runs) {
        double[] ms = new double[runs];
        for (int i = 0; i < runs; i++) {
            long s = System.nanoTime();
            session.run(Map.of(input, x)).close();
            ms[i] = (System.nanoTime() - s) / 1e6;
        }
        Arrays.sort(ms);
        return ms[runs / 2];
    }

    private static double[] batchOneLatencies(Session session, String input, Tensor x) {
        int n = (int) x.dim(0);
        long per = x.size() / n;
        double[] ms = new double[n];
        for (int i = 0; i < n; i++) {
            try (Tensor one = Tensor.wrap(x.dtype(), new long[] {1, 1, 8, 8},
                x.segment().asSlice(i * per * 4, per * 4)).copy()) {
                long s = System.nanoTime();
                try (Session.Result r = session.run(Map.of(input, one))) {
                    ms[i] = (System.nanoTime() - s) / 1e6;
                }
            }
        }
        Arrays.sort(ms);
        return ms;
    }

    private static double pct(double[] sorted, int p) {
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)];
    }

    private static int argmax(Tensor logits, int row) {
        long cols = logits.dim(1);
        int best = 0;
        for (int c = 1; c < cols; c++) {
            if (logits.getFloat(row * cols + c) > logits.getFloat(row * cols + best)) {
                best = c;
            }
        }
        return best;
    }
}
