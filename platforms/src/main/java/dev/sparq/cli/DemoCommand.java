package dev.sparq.cli;

import dev.sparq.Session;
import dev.sparq.SessionOptions;
import dev.sparq.Sparq;
import dev.sparq.compress.Compressed;
import dev.sparq.compress.FileSizes;
import dev.sparq.compress.MagnitudePruner;
import dev.sparq.graph.Model;
import dev.sparq.quant.CalibrationData;
import dev.sparq.quant.CalibrationResult;
import dev.sparq.quant.Calibrator;
import dev.sparq.quant.QdqWriter;
import dev.sparq.quant.QuantScheme;
import dev.sparq.tensor.Npy;
import dev.sparq.tensor.Tensor;
import java.io.IOException;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code sparq demo}: the whole story on the bundled digits model — FP32 accuracy against the recorded reference,
 * INT8 calibration on this machine (64 samples, entropy), magnitude pruning, and FP32 vs INT8 vs pruned accuracy,
 * latency and size side by side.
 */
@Command(name = "demo", description = "Run the bundled digits model: FP32, then calibrate INT8 and prune here, and compare.")
final class DemoCommand implements Callable<Integer> {
    /**
     * Pruned without fine-tuning, this model keeps its accuracy within about a point up to ~70% zeros under one global
     * threshold; 80% and 90% cost tens of points (the demo prints both, measured).
     */
    static final double PRUNE_SPARSITY = 0.70;
    /** Timed batch-360 runs per model (the median is shown). */
    private static final int BATCH_RUNS = 9;
    /** Passes over the evaluation set one image at a time per model (the p50 of all is shown). */
    private static final int ONE_ROUNDS = 3;
    /** Warm-up rounds before timing: at least this many, then until the JIT compiler is idle for a round. */
    private static final int MIN_WARM_ROUNDS = 3;
    /** ... but no more than this many (a few seconds). */
    private static final int MAX_WARM_ROUNDS = 60;

    @Mixin
    BackendOptions backendOptions;

    /** One model's figures on the evaluation set. */
    private record Row(String label, int correct, int total, double batchMs, double p50Ms, long bytes, long gzipBytes,
                       Map<String, Long> plan) {
    }

    @Override
    public Integer call() throws IOException {
        try (DemoAssets assets = new DemoAssets();
             Tensor x = Npy.read(assets.path(DemoAssets.EVAL_X));
             Tensor y = Npy.read(assets.path(DemoAssets.EVAL_Y));
             Tensor refLogits = Npy.read(assets.path(DemoAssets.EVAL_LOGITS))) {
            SessionOptions options = backendOptions.toSessionOptions();
            Path fp32 = assets.path(DemoAssets.MODEL);
            System.out.printf(Locale.ROOT, "sparq demo: digits CNN, %d evaluation images, %d thread(s)%n", x.dim(0),
                options.threads());
            try (Loaded f = Loaded.of("FP32", fp32, options, x, y, refLogits)) {
                report(assets, f, options, x, y);
            }
        }
        return ExitCodes.OK;
    }

    /** Everything after the FP32 model is loaded: calibrate, prune, time the three side by side, print the table. */
    private static void report(DemoAssets assets, Loaded f, SessionOptions options, Tensor x, Tensor y)
        throws IOException {
        Path fp32 = f.model();
        System.out.printf(Locale.ROOT, "FP32:      %.2f%% (%d/%d), recorded at training %.2f%%%n",
            100.0 * f.correct() / f.total(), f.correct(), f.total(), 100 * assets.recordedAccuracy());

        long t0 = System.nanoTime();
        Path int8 = assets.path("digits-demo.int8.onnx");
        CalibrationResult cal;
        try (Model model = Sparq.loadModel(fp32)) {
            cal = Calibrator.entropy().scheme(QuantScheme.UINT8_ASYMMETRIC).progress(null)
                .run(model, CalibrationData.npyFolder(assets.path(DemoAssets.CALIB_DIR)));
            QdqWriter.write(model, cal.activations(), int8);
        }
        System.out.printf(Locale.ROOT, "calibrate: entropy over %d samples, %d activation tensors, per-channel int8 "
            + "weights, in %.0f ms -> QDQ model%n", cal.samples(), cal.activations().size(),
            (System.nanoTime() - t0) / 1e6);

        Path pruned = assets.path("digits-demo.pruned.onnx");
        double pruneMs = prune(fp32, PRUNE_SPARSITY, pruned);
        String pruneLabel = String.format(Locale.ROOT, "PRUNED %.0f%%", 100 * PRUNE_SPARSITY);
        System.out.printf(Locale.ROOT, "prune:     %.0f%% of the Conv/Gemm weights zeroed by magnitude (one global "
            + "threshold, no fine-tuning) in %.0f ms; at 80%%: %s, at 90%%: %s%n", 100 * PRUNE_SPARSITY, pruneMs,
            accuracyAt(fp32, 0.8, assets.path("p80.onnx"), options, x, y),
            accuracyAt(fp32, 0.9, assets.path("p90.onnx"), options, x, y));

        Row[] rows;
        try (Loaded q = Loaded.of("INT8", int8, options, x, y, null);
             Loaded p = Loaded.of(pruneLabel, pruned, options, x, y, null)) {
            rows = time(List.of(f, q, p), x);
        }

        System.out.println();
        System.out.printf(Locale.ROOT, "%-10s %9s %12s %14s %10s %10s  %s%n", "", "accuracy", "batch 360",
            "batch 1 p50", "file", "gzip -9", "nodes per backend");
        for (Row r : rows) {
            System.out.printf(Locale.ROOT, "%-10s %8.2f%% %9.2f ms %11.3f ms %7.1f KB %7.1f KB  %s%n", r.label(),
                100.0 * r.correct() / r.total(), r.batchMs(), r.p50Ms(), r.bytes() / 1024.0,
                r.gzipBytes() / 1024.0, r.plan());
        }
        Row fr = rows[0];
        Row qr = rows[1];
        Row pr = rows[2];
        System.out.printf(Locale.ROOT, "INT8 vs FP32: accuracy %+.2f points, %.2fx the size%n",
            100.0 * (qr.correct() - fr.correct()) / fr.total(), (double) qr.bytes() / fr.bytes());
        System.out.printf(Locale.ROOT, "%s vs FP32: accuracy %+.2f points, %.2fx the gzipped size (the file "
                + "stores zeros densely: gzip shows what they save)%n", pruneLabel,
            100.0 * (pr.correct() - fr.correct()) / fr.total(), (double) pr.gzipBytes() / fr.gzipBytes());
    }

    /** Writes {@code fp32} pruned to {@code sparsity} (global magnitude) to {@code out}; returns the pruning time. */
    private static double prune(Path fp32, double sparsity, Path out) throws IOException {
        try (Model model = Sparq.loadModel(fp32);
             Compressed c = MagnitudePruner.unstructured(model, sparsity, MagnitudePruner.Scope.GLOBAL)) {
            c.write(out);
            return c.report().millis();
        }
    }

    /** Accuracy of the model pruned to {@code sparsity}, one batch: the sanity check behind PRUNE_SPARSITY. */
    private static String accuracyAt(Path fp32, double sparsity, Path out, SessionOptions options, Tensor x, Tensor y)
        throws IOException {
        prune(fp32, sparsity, out);
        try (Loaded pruned = Loaded.of(out.toString(), out, options, x, y, null)) {
            return String.format(Locale.ROOT, "%.2f%%", 100.0 * pruned.correct() / pruned.total());
        }
    }

    /** A model loaded for the demo, with its accuracy over the whole set (one batch). */
    private record Loaded(String label, Path model, Session session, int correct, int total) implements AutoCloseable {
        static Loaded of(String label, Path model, SessionOptions options, Tensor x, Tensor y, Tensor ref)
            throws IOException {
            Session session = Sparq.load(model, options);
            try (Session.Result r = session.run(Map.of(session.inputs().get(0).name(), x))) {
                Tensor logits = r.first();
                int n = (int) x.dim(0);
                int correct = 0;
                double maxDiff = 0;
                for (int i = 0; i < n; i++) {
                    correct += argmax(logits, i) == y.getLong(i) ? 1 : 0;
                    for (int c = 0; ref != null && c < 10; c++) {
                        maxDiff = Math.max(maxDiff, Math.abs(logits.getFloat(i * 10L + c) - ref.getFloat(i * 10L + c)));
                    }
                }
                if (ref != null) {
                    System.out.printf(Locale.ROOT, "check:     max |logit - torch reference| = %.2e%n", maxDiff);
                }
                return new Loaded(label, model, session, correct, n);
            } catch (RuntimeException e) {
                session.close();
                throw e;
            }
        }

        String input() {
            return session.inputs().get(0).name();
        }

        @Override
        public void close() {
            session.close();
        }
    }

    /** Batch-360 medians and batch-1 p50s, after warm-up; the models take turns, so that all see the same machine. */
    private static Row[] time(List<Loaded> models, Tensor x) throws IOException {
        int rounds = warmUp(models, x);
        System.out.printf(Locale.ROOT, "timing:    the three models in turn, %d batch-360 runs and %d x %d batch-1 "
            + "runs each, after %d warm-up rounds%s%n", BATCH_RUNS, ONE_ROUNDS, x.dim(0), rounds,
            rounds < MAX_WARM_ROUNDS ? " (until the JIT compiler went quiet)" : " (the JIT compiler was still busy)");
        int n = (int) x.dim(0);
        double[][] batch = new double[models.size()][BATCH_RUNS];
        double[][] one = new double[models.size()][ONE_ROUNDS * n];
        for (int r = 0; r < BATCH_RUNS; r++) {
            for (int i = 0; i < models.size(); i++) {
                batch[i][r] = medianBatchMs(models.get(i).session(), models.get(i).input(), x, 1);
            }
        }
        for (int r = 0; r < ONE_ROUNDS; r++) {
            for (int i = 0; i < models.size(); i++) {
                double[] ms = batchOneLatencies(models.get(i).session(), models.get(i).input(), x);
                System.arraycopy(ms, 0, one[i], r * n, n);
            }
        }
        Row[] rows = new Row[models.size()];
        for (int i = 0; i < rows.length; i++) {
            Loaded m = models.get(i);
            Arrays.sort(batch[i]);
            Arrays.sort(one[i]);
            rows[i] = new Row(m.label(), m.correct(), m.total(), batch[i][BATCH_RUNS / 2], pct(one[i], 50),
                Files.size(m.model()), FileSizes.gzipped(m.model()), m.session().plan().nodesPerBackend());
        }
        return rows;
    }

    /**
     * Untimed rounds (each model in turn: 360 images one at a time, then 6 batches) until a whole round passes with
     * no JIT compilation, at least {@link #MIN_WARM_ROUNDS}. A fixed count was not enough: timed straight after load
     * a batch of 360 measured 20-85 ms on one build, and after one pass a pruned layer's batch-1 kernel (used by no
     * other model) was still in C1, ~300x slower, the only C2 compiler thread of this 2-core VM busy with the rest.
     */
    private static int warmUp(List<Loaded> models, Tensor x) {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        boolean watch = jit != null && jit.isCompilationTimeMonitoringSupported();
        long compiled = watch ? jit.getTotalCompilationTime() : 0;
        int rounds = 0;
        boolean quiet = false;
        while (rounds < MAX_WARM_ROUNDS && (rounds < MIN_WARM_ROUNDS || !quiet)) {
            for (Loaded m : models) {
                batchOneLatencies(m.session(), m.input(), x);
                medianBatchMs(m.session(), m.input(), x, 6);
            }
            rounds++;
            long now = watch ? jit.getTotalCompilationTime() : compiled;
            quiet = now == compiled;
            compiled = now;
        }
        return rounds;
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
