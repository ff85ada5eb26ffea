package dev.sparq;

import dev.sparq.backend.WorkerPool;
import dev.sparq.graph.pass.GraphOptimizer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * How a session runs: which backends it may use, in which order, and how many threads. Built like ONNX Runtime's
 * {@code SessionOptions}: {@code SessionOptions.builder().backend("cpu-ref").threads(2).build()}.
 */
public final class SessionOptions {
    private final List<String> backends;
    private final List<String> excluded;
    private final List<String> preference;
    private final int threads;
    private final Duration workerSpin;
    private final GraphOptimizer.Level optimization;
    private final Set<String> disabledPasses;

    private SessionOptions(Builder b) {
        this.backends = List.copyOf(b.backends);
        this.excluded = List.copyOf(b.excluded);
        this.preference = List.copyOf(b.preference);
        this.threads = b.threads;
        this.workerSpin = b.workerSpin;
        this.optimization = b.optimization;
        this.disabledPasses = Set.copyOf(b.disabledPasses);
    }

    public static SessionOptions defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Backends to use, in order of preference; empty means every available backend, best first. */
    public List<String> backends() {
        return backends;
    }

    public List<String> excludedBackends() {
        return excluded;
    }

    /** Preferred order of backends when none is forced (e.g. from a device profile); empty = sparq's default. */
    public List<String> preference() {
        return preference;
    }

    public int threads() {
        return threads;
    }

    /** How long the session's worker threads spin for the next job before they park ({@link Builder#workerSpin}). */
    public Duration workerSpin() {
        return workerSpin;
    }

    public GraphOptimizer.Level optimization() {
        return optimization;
    }

    /** Graph passes left out at load, by name (as {@code sparq inspect} lists them). */
    public Set<String> disabledPasses() {
        return disabledPasses;
    }

    public static final class Builder {
        private final List<String> backends = new ArrayList<>();
        private final List<String> excluded = new ArrayList<>();
        private final List<String> preference = new ArrayList<>();
        private int threads = Runtime.getRuntime().availableProcessors();
        private Duration workerSpin = WorkerPool.DEFAULT_SPIN;
        private GraphOptimizer.Level optimization = GraphOptimizer.Level.ALL;
        private final Set<String> disabledPasses = new LinkedHashSet<>();

        /** Which graph passes run at load (default ALL: clean-ups, then BatchNorm folding and activation fusion). */
        public Builder optimization(GraphOptimizer.Level level) {
            optimization = level;
            return this;
        }

        /**
         * Leaves one graph pass out (e.g. "integer-clamp-fusion"), as ONNX Runtime's disabled optimizers: for
         * finding which pass changes a result or a time. An unknown name fails at load, naming the passes.
         */
        public Builder disablePass(String name) {
            disabledPasses.add(name);
            return this;
        }

        /** Restricts the session to this backend (call again to add fallbacks, in order). */
        public Builder backend(String id) {
            backends.add(id);
            return this;
        }

        /** Orders the available backends (best first) without restricting them; ids not present are ignored. */
        public Builder preference(List<String> ids) {
            preference.clear();
            preference.addAll(ids);
            return this;
        }

        public Builder excludeBackend(String id) {
            excluded.add(id);
            return this;
        }

        public Builder threads(int n) {
            if (n < 1) {
                throw new IllegalArgumentException("threads must be at least 1, not " + n);
            }
            threads = n;
            return this;
        }

        /**
         * How long worker threads (with 2 or more threads) spin for the next job before they park; default 2 ms,
         * longer than any layer, so they stay hot through a run. A run that starts after a longer pause wakes them,
         * and on a 2-vCPU VM that made MobileNetV2 at 2 threads 3-4× slower (p50 6.0-7.7 against 2.1 ms with
         * requests 20 ms apart). Spinning longer than the pause between requests (e.g. 50 ms: 2.4-2.5 ms) keeps them
         * hot, at the cost of a busy core while idle; as ONNX Runtime's {@code session.intra_op.allow_spinning}.
         * Zero parks at once.
         */
        public Builder workerSpin(Duration spin) {
            if (spin == null || spin.isNegative()) {
                throw new IllegalArgumentException("worker spin must be zero or more, not " + spin);
            }
            workerSpin = spin;
            return this;
        }

        public SessionOptions build() {
            return new SessionOptions(this);
        }
    }
}
