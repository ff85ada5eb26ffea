package dev.sparq.cli;

import dev.sparq.Session;
import dev.sparq.SessionOptions;
import dev.sparq.Sparq;
import dev.sparq.graph.Model;
import dev.sparq.quant.CalibrationData;
import dev.sparq.quant.CalibrationResult;
import dev.sparq.quant.Calibrator;
import dev.sparq.quant.QdqWriter;
import dev.sparq.quant.QuantScheme;
import dev.sparq.tensor.Npy;
import dev.sparq.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code sparq demo}: the whole story on the bundled digits model — FP32 accuracy against the recorded reference,
 * INT8 calibration on this machine (64 samples, entropy), and FP32 vs INT8 accuracy, latency and size side by side.
 */
@Command(name = "demo", description = "Run the bundled digits model: FP32, then calibrate INT8 here and compare.")
final class DemoCommand implements Callable<Integer> {
    @Mixin
    BackendOptions backendOptions;

    /** One model's figures on the evaluation set. */
    private record Row(String label, int correct, int total, double batchMs, double p50Ms, long bytes,
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
            Row f = evaluate("FP32", fp32, options, x, y, refLogits);
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
            Row q = evaluate("INT8", int8, options, x, y, null);

            System.out.println();
            System.out.printf(Locale.ROOT, "%-6s %9s %12s %14s %11s  %s%n", "", "accuracy", "batch 360", "batch 1 p50",
                "size", "nodes per backend");
            for (Row r : new Row[] {f, q}) {
                System.out.printf(Locale.ROOT, "%-6s %8.2f%% %9.2f ms %11.3f ms %8.1f KB  %s%n", r.label(),
                    100.0 * r.correct() / r.total(), r.batchMs(), r.p50Ms(), r.bytes() / 1024.0, r.plan());
            }
            System.out.printf(Locale.ROOT, "INT8 vs FP32: accuracy %+.2f points, %.2fx the size%n",
                100.0 * (q.correct() - f.correct()) / f.total(), (double) q.bytes() / f.bytes());
        }
        System.out.println("next:      pruning and more backends arrive with their issues.");
        return ExitCodes.OK;
    }

    /** Accuracy over the whole set in one batch, then batch-360 and batch-1 latency after warm-up. */
    private static Row evaluate(String label, Path model, SessionOptions options, Tensor x, Tensor y, Tensor ref)
        throws IOException {
        try (Session session = Sparq.load(model, options)) {
            String input = session.inputs().get(0).name();
            int n = (int) x.dim(0);
            int correct = 0;
            try (Session.Result r = session.run(Map.of(input, x))) {
                Tensor logits = r.first();
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
            }
            double batchMs = medianBatchMs(session, input, x, 5);
            batchOneLatencies(session, input, x); // warm-up pass: the JIT compiles the batch-1 paths
            double[] lat = batchOneLatencies(session, input, x);
            return new Row(label, correct, n, batchMs, pct(lat, 50), Files.size(model), session.plan().nodesPerBackend());
        }
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
