package dev.sparq;

import dev.sparq.graph.pass.GraphOptimizer;
import java.util.ArrayList;
import java.util.List;

/**
 * How a session runs: which backends it may use, in which order, and how many threads. Built like ONNX Runtime's
 * {@code SessionOptions}: {@code SessionOptions.builder().backend("cpu-ref").threads(2).build()}.
 */
public final class SessionOptions {
    private final List<String> backends;
    private final List<String> excluded;
    private final List<String> preference;
    private final int threads;
    private final GraphOptimizer.Level optimization;

    private SessionOptions(Builder b) {
        this.backends = List.copyOf(b.backends);
        this.excluded = List.copyOf(b.excluded);
        this.preference = List.copyOf(b.preference);
        this.threads = b.threads;
        this.optimization = b.optimization;
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

    public GraphOptimizer.Level optimization() {
        return optimization;
    }

    public static final class Builder {
        private final List<String> backends = new ArrayList<>();
        private final List<String> excluded = new ArrayList<>();
        private final List<String> preference = new ArrayList<>();
        private int threads = Runtime.getRuntime().availableProcessors();
        private GraphOptimizer.Level optimization = GraphOptimizer.Level.ALL;

        /** Which graph passes run at load (default ALL: clean-ups, then BatchNorm folding and activation fusion). */
        public Builder optimization(GraphOptimizer.Level level) {
            optimization = level;
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

        public SessionOptions build() {
            return new SessionOptions(this);
        }
    }
}
