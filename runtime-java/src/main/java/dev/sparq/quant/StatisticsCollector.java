package dev.sparq.quant;

import dev.sparq.InvalidInputException;
import dev.sparq.Session;
import dev.sparq.graph.ValueInfo;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * Runs the FP32 model over the calibration samples once and records, for every f32 graph input and every f32 value
 * a node produces, min / max / abs-max and, when asked, a histogram of |x| (see {@link GrowingHistogram}: its range
 * grows with abs-max, so one pass is enough). The scans are vectorized, so statistics cost little next to the
 * inference itself (figures in benchmarks/RESULTS.md).
 *
 * <p>Values are named as in the session's graph: the calibrator runs the model unfused (see {@link Calibrator}).
 */
public final class StatisticsCollector {
    private final Session session;
    private final ProgressReporter progress;

    /** {@code progress} null = silent; otherwise lines like "calibrating: 64/256 samples". */
    public StatisticsCollector(Session session, java.io.PrintStream progress) {
        this.session = session;
        this.progress = new ProgressReporter(progress);
    }

    /** What the pass saw: stats by value name (in the order values were produced) and the sample count. */
    public record Collected(Map<String, TensorStats> tensors, int samples) {
    }

    /** Collects ranges, and histograms of {@code bins} bins if {@code bins > 0}, in one pass over {@code data}. */
    public Collected collect(CalibrationData data, int bins) {
        Map<String, TensorStats> stats = new LinkedHashMap<>();
        int done = 0;
        int total = data.size();
        Scanner scanner = new Scanner(bins);
        try (CalibrationData.Samples it = data.samples()) {
            BiConsumer<String, Tensor> observer = (name, t) -> {
                if (t.dtype() == DType.F32) {
                    scanner.observe(stats.computeIfAbsent(name, k -> new TensorStats(bins)), t.segment());
                }
            };
            while (it.hasNext()) {
                try (Sample sample = it.next()) {
                    run(sample, observer);
                }
                done++;
                progress.sampleDone(done, total, !it.hasNext());
            }
        }
        if (done == 0) {
            throw new InvalidInputException("calibration data holds no samples");
        }
        stats.values().forEach(TensorStats::finish);
        return new Collected(Collections.unmodifiableMap(stats), done);
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

    /**
     * Scans each tensor on the calling thread: the range first (vectorized), then, after the histogram grew to it,
     * the counts. (Handing chunks to other threads measured slower: the session's workers spin between kernels on
     * the other cores.)
     */
    private static final class Scanner {
        private final long[] counts;

        Scanner(int bins) {
            this.counts = bins > 0 ? GrowingHistogram.newCounts(bins) : null;
        }

        void observe(TensorStats s, MemorySegment f32) {
            long n = f32.byteSize() / Float.BYTES;
            double[] range = TensorStats.scan(f32, 0, n);
            s.merge(range);
            GrowingHistogram h = s.growing();
            if (h != null) {
                h.add(f32, 0, n, range[3] == 1, counts);
                h.drain(counts);
            }
        }
    }
}
