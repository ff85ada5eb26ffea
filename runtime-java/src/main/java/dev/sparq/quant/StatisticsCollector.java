package dev.sparq.quant;

import dev.sparq.InvalidInputException;
import dev.sparq.Session;
import dev.sparq.graph.ValueInfo;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * Runs the FP32 model over the calibration samples and records, for every f32 graph input and every f32 value a
 * node produces, min / max / abs-max (first pass) and, when asked, a histogram of |x| over [0, abs-max] (second
 * pass over the same samples, as TensorRT does: the histogram's range must be known before it is filled).
 *
 * <p>The session should be built with {@code GraphOptimizer.Level.NONE} so values keep the imported graph's names.
 */
public final class StatisticsCollector {
    private final Session session;
    private final ProgressReporter progress;

    /** {@code progress} null = silent; otherwise lines like "calibrating: pass 1/2, 64/256 samples". */
    public StatisticsCollector(Session session, java.io.PrintStream progress) {
        this.session = session;
        this.progress = new ProgressReporter(progress);
    }

    /** What the passes saw: stats by value name (in the order values were produced) and the sample count. */
    public record Collected(Map<String, TensorStats> tensors, int samples) {
    }

    /** Collects ranges, and histograms of {@code bins} bins if {@code bins > 0}. */
    public Collected collect(CalibrationData data, int bins) {
        int passes = bins > 0 ? 2 : 1;
        Map<String, TensorStats> stats = new LinkedHashMap<>();
        int samples = pass(data, 1, passes, data.size(), (name, t) ->
            stats.computeIfAbsent(name, k -> new TensorStats()).observe(t.segment()));
        if (samples == 0) {
            throw new InvalidInputException("calibration data holds no samples");
        }
        if (bins > 0) {
            stats.values().forEach(s -> s.startHistogram(bins));
            int again = pass(data, 2, passes, samples, (name, t) -> {
                TensorStats s = stats.get(name);
                if (s != null) {
                    s.histogram().addAll(t.segment());
                }
            });
            if (again != samples) {
                throw new InvalidInputException("calibration data gave " + samples + " samples in the first pass and "
                    + again + " in the second; it must give the same samples each time");
            }
        }
        return new Collected(Collections.unmodifiableMap(stats), samples);
    }

    /** One pass: runs every sample, showing {@code onValue} each f32 graph input and produced value. */
    private int pass(CalibrationData data, int pass, int passes, int total, BiConsumer<String, Tensor> onValue) {
        BiConsumer<String, Tensor> f32Only = (name, t) -> {
            if (t.dtype() == DType.F32) {
                onValue.accept(name, t);
            }
        };
        int done = 0;
        try (CalibrationData.Samples it = data.samples()) {
            while (it.hasNext()) {
                try (Sample sample = it.next()) {
                    run(sample, f32Only);
                }
                done++;
                progress.sampleDone(pass, passes, done, total, !it.hasNext());
            }
        }
        return done;
    }

    private void run(Sample sample, BiConsumer<String, Tensor> observer) {
        try {
            Map<String, Tensor> feed = sample.bind(session.inputs());
            for (ValueInfo in : session.inputs()) {
                Tensor t = feed.get(in.name());
                if (t != null) { // a missing input is reported by run()
                    observer.accept(in.name(), t);
                }
            }
            session.run(feed, observer).close();
        } catch (InvalidInputException e) {
            if (e.getMessage().startsWith(sample.source())) {
                throw e;
            }
            throw new InvalidInputException(sample.source() + ": " + e.getMessage(), e);
        }
    }
}
