package dev.sparq.quant;

import dev.sparq.Session;
import dev.sparq.SessionOptions;
import dev.sparq.Sparq;
import dev.sparq.graph.Model;
import dev.sparq.graph.pass.GraphOptimizer;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * INT8 calibration of an FP32 model: {@code Calibrator.entropy().run(modelPath, CalibrationData.npyFolder(dir))}.
 * Runs the model on the chosen backends as the QDQ writer will quantize it ({@link QuantPreparation}: identities
 * removed, constants and BatchNormalization folded), optimized as a session runs it, collects per-tensor statistics
 * in one pass over the data, picks each activation's range with the method, and computes per-channel weight scales
 * from the initializers. Every value keeps its ONNX name except those the optimizer fuses away: a Conv or Gemm
 * output read only by its Relu/Clip (the activation's output is calibrated; TensorRT fuses the pair too, and the
 * QDQ writer never quantizes that value). This is what keeps calibration within about 2× the cost of plain
 * inference (figures in benchmarks/RESULTS.md). Configuration methods return a new calibrator; instances are
 * immutable.
 */
public final class Calibrator {
    private final RangeSelector selector;
    private final QuantScheme scheme;
    private final List<String> backends;
    private final int threads;
    private final PrintStream progress;

    private Calibrator(RangeSelector selector, QuantScheme scheme, List<String> backends, int threads,
                       PrintStream progress) {
        this.selector = selector;
        this.scheme = scheme;
        this.backends = List.copyOf(backends);
        this.threads = threads;
        this.progress = progress;
    }

    /** Calibrator with {@code selector}, int8 symmetric activations, every backend, progress on stderr. */
    public static Calibrator with(RangeSelector selector) {
        return new Calibrator(selector, QuantScheme.INT8_SYMMETRIC, List.of(), 0, System.err);
    }

    /** TensorRT's entropy (KL divergence) calibration. */
    public static Calibrator entropy() {
        return with(new EntropyRange());
    }

    /** The full observed range, no clipping. */
    public static Calibrator minmax() {
        return with(new MinMaxRange());
    }

    /** Clips at the 99.99th percentile of |x|. */
    public static Calibrator percentile() {
        return percentile(PercentileRange.DEFAULT);
    }

    public static Calibrator percentile(double percentile) {
        return with(new PercentileRange(percentile));
    }

    /** Minimizes the mean squared quantization error. */
    public static Calibrator mse() {
        return with(new MseRange());
    }

    /** Calibrator for a method name as the CLI takes it: entropy, minmax, percentile or mse. */
    public static Calibrator forMethod(String method) {
        return switch (method) {
            case "entropy" -> entropy();
            case "minmax" -> minmax();
            case "percentile" -> percentile();
            case "mse" -> mse();
            default -> throw new IllegalArgumentException("unknown calibration method '" + method
                + "'; use entropy, minmax, percentile or mse");
        };
    }

    public Calibrator scheme(QuantScheme newScheme) {
        return new Calibrator(selector, newScheme, backends, threads, progress);
    }

    /** Runs the FP32 model on this backend (call again to add fallbacks); default: the best available. */
    public Calibrator backend(String id) {
        List<String> more = new ArrayList<>(backends);
        more.add(id);
        return new Calibrator(selector, scheme, more, threads, progress);
    }

    public Calibrator threads(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("threads must be at least 1, not " + n);
        }
        return new Calibrator(selector, scheme, backends, n, progress);
    }

    /** Where progress lines go; null = silent. Default stderr. */
    public Calibrator progress(PrintStream out) {
        return new Calibrator(selector, scheme, backends, threads, out);
    }

    public RangeSelector selector() {
        return selector;
    }

    public QuantScheme scheme() {
        return scheme;
    }

    /** Calibrates the ONNX model at {@code model}. */
    public CalibrationResult run(Path model, CalibrationData data) {
        return calibrate(Sparq.loadModel(model), data);
    }

    /**
     * Calibrates {@code model}, which stays open and unchanged: the run uses a fresh import of its source file
     * (a session takes ownership of the model it runs), so the model must have been loaded from a file.
     */
    public CalibrationResult run(Model model, CalibrationData data) {
        if (model.source() == null) {
            throw new IllegalArgumentException("the model has no source file to calibrate from; use run(Path, data)");
        }
        return run(model.source(), data);
    }

    /**
     * Skips calibration: activation scales from a TensorRT cache (read with this calibrator's scheme), weight scales
     * from {@code model}'s initializers. The model stays open.
     */
    public CalibrationResult fromCache(Path cache, Model model) {
        CalibrationResult cached = CalibrationCache.read(cache, scheme);
        return new CalibrationResult(cached.method(), cached.samples(), cached.activations(),
            WeightScales.of(model.graph()));
    }

    private CalibrationResult calibrate(Model model, CalibrationData data) {
        Map<String, WeightQuant> weights;
        try {
            weights = WeightScales.of(model.graph());
            QuantPreparation.apply(model);
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
        try (Session session = Session.create(model, sessionOptions())) {
            StatisticsCollector.Collected stats = new StatisticsCollector(session, progress)
                .collect(data, selector.needsHistogram() ? AbsHistogram.DEFAULT_BINS : 0);
            return new CalibrationResult(selector.method(), stats.samples(), ranges(stats.tensors(),
                session.options().threads()), weights);
        }
    }

    /**
     * Each tensor's parameters from its statistics, tensors spread over {@code threads} (the entropy search costs
     * tens of milliseconds per tensor, whatever the sample count).
     */
    private Map<String, TensorQuant> ranges(Map<String, TensorStats> stats, int threads) {
        List<String> names = new ArrayList<>(stats.keySet());
        java.util.concurrent.ForkJoinPool pool = new java.util.concurrent.ForkJoinPool(Math.max(1, threads));
        try {
            // A parallel stream started inside a pool runs on that pool: the thread count stays the user's.
            List<TensorQuant> params = pool.submit(() -> names.parallelStream()
                .map(name -> QuantParams.activation(name, scheme, stats.get(name),
                    selector.threshold(stats.get(name))))
                .toList()).join();
            Map<String, TensorQuant> activations = new LinkedHashMap<>();
            for (int i = 0; i < names.size(); i++) {
                activations.put(names.get(i), params.get(i));
            }
            return activations;
        } finally {
            pool.shutdown();
        }
    }

    private SessionOptions sessionOptions() {
        // statistics are kept by the model's value names: no NHWC twins under new names, and no convolution output
        // hidden inside a residual sum or a pool
        SessionOptions.Builder b = SessionOptions.builder().optimization(GraphOptimizer.Level.ALL)
            .disablePass(dev.sparq.graph.pass.ChannelsLastLayout.NAME)
            .disablePass(dev.sparq.graph.pass.ResidualAddFusion.NAME)
            .disablePass(dev.sparq.graph.pass.ConvMaxPoolFusion.NAME);
        backends.forEach(b::backend);
        if (threads > 0) {
            b.threads(threads);
        }
        return b.build();
    }
}
