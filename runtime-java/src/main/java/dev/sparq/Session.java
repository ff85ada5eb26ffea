package dev.sparq;

import dev.sparq.backend.Backend;
import dev.sparq.backend.WorkerPool;
import dev.sparq.graph.Dim;
import dev.sparq.graph.Model;
import dev.sparq.graph.pass.GraphOptimizer;
import dev.sparq.graph.ValueInfo;
import dev.sparq.graph.ValueType;
import dev.sparq.plan.BackendSelector;
import dev.sparq.plan.ExecutionPlan;
import dev.sparq.plan.Executor;
import dev.sparq.plan.LayoutPasses;
import dev.sparq.plan.Planner;
import dev.sparq.tensor.Tensor;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A loaded, planned model ready to run. Thread-safe: several threads may call {@link #run} at once. Closing the
 * session frees the weights; any later call throws {@link IllegalStateException}.
 */
public final class Session implements AutoCloseable {
    private final Model model;
    private final ExecutionPlan plan;
    private final Executor executor;
    private final SessionOptions options;
    private final WorkerPool pool;
    private volatile boolean closed;
    private final List<String> inputNames;

    private Session(Model model, ExecutionPlan plan, SessionOptions options) {
        this.model = model;
        this.plan = plan;
        this.options = options;
        this.pool = new WorkerPool(options.threads(), options.workerSpin());
        this.executor = new Executor(plan, pool);
        this.inputNames = model.graph().inputs().stream().map(ValueInfo::name).toList();
    }

    /** Plans {@code model} and takes ownership of it (closing the session closes the model). */
    public static Session create(Model model, SessionOptions options) {
        try {
            GraphOptimizer.optimize(model, options.optimization(), options.disabledPasses());
            List<Backend> backends = BackendSelector.select(options);
            if (options.optimization() == GraphOptimizer.Level.ALL) {
                LayoutPasses.apply(model, backends, options.disabledPasses());
            }
            return new Session(model, Planner.plan(model, backends), options);
        } catch (RuntimeException e) {
            model.close();
            if (e instanceof SparqException) {
                throw withSource(model, (SparqException) e);
            }
            throw e;
        }
    }

    private static SparqException withSource(Model model, SparqException e) {
        if (e instanceof InvalidInputException && model.source() != null
            && !e.getMessage().startsWith(model.source().toString())) {
            if (e instanceof UnsupportedOperatorException u) {
                return new UnsupportedOperatorException(u.opType(), model.source() + ": " + e.getMessage());
            }
            return new InvalidInputException(model.source() + ": " + e.getMessage(), e);
        }
        return e;
    }

    public List<ValueInfo> inputs() {
        return model.graph().inputs();
    }

    public List<ValueInfo> outputs() {
        return model.graph().outputs();
    }

    public Model model() {
        checkOpen();
        return model;
    }

    public ExecutionPlan plan() {
        checkOpen();
        return plan;
    }

    public SessionOptions options() {
        return options;
    }

    /** Turns per-node timing on or off (see {@link #profile()}); off by default, it costs two clock reads a node. */
    public void profiling(boolean on) {
        checkOpen();
        executor.profiling(on);
    }

    /** Accumulated time per plan step since profiling was turned on: rows of {nanos, calls}, in plan order. */
    public long[][] profile() {
        checkOpen();
        return executor.profile();
    }

    /** Activation memory of the last input shape run: {slab bytes, liveness lower bound}, or null before a run. */
    public long[] activationBytes() {
        return executor.activationBytes();
    }

    /**
     * Runs the model. Inputs are checked against the model's declared types (names, dtype, rank, fixed dims, and
     * that a symbolic dim such as the batch has one value across inputs). The caller keeps ownership of the
     * inputs and owns the returned {@link Result}.
     */
    public Result run(Map<String, Tensor> inputs) {
        return run(inputs, null);
    }

    /**
     * Runs the model and shows {@code observer} every intermediate value as it is produced (name, tensor valid only
     * during the call): what calibration and debugging tools need. Null observer = {@link #run(Map)}. The values are
     * those the plan computes: where cpu-simd's channels-last pass ran, a block's intermediate values are NHWC twins
     * named {@code <value>_nhwc} (disable the pass "channels-last" to see every value by its own name, as NCHW).
     */
    public Result run(Map<String, Tensor> inputs, java.util.function.BiConsumer<String, Tensor> observer) {
        checkOpen();
        validate(inputs);
        // Kernels read inputs from worker threads: memory of a caller's confined arena is copied for the run.
        Map<String, Tensor> feed = new LinkedHashMap<>(inputs);
        List<Tensor> copies = new java.util.ArrayList<>();
        feed.replaceAll((name, t) -> {
            if (pool.readableByWorkers(t.segment())) {
                return t;
            }
            Tensor c = t.copy();
            copies.add(c);
            return c;
        });
        try {
            return new Result(executor.run(feed, observer));
        } finally {
            copies.forEach(Tensor::close);
        }
    }

    private void validate(Map<String, Tensor> inputs) {
        // plain loops: this runs once an inference, too rarely for the JIT's best tier, where streams cost µs
        if (inputs.size() != inputs().size() || !inputs.keySet().containsAll(inputNames)) {
            for (String name : inputs.keySet()) {
                if (!inputNames.contains(name)) {
                    throw new InvalidInputException("unknown input '" + name + "'; the model's inputs are "
                        + inputNames);
                }
            }
        }
        Map<String, Long> symbols = null;
        for (ValueInfo in : inputs()) {
            Tensor t = inputs.get(in.name());
            if (t == null) {
                throw new InvalidInputException("missing input '" + in.name() + "' (" + in.type() + ")");
            }
            if (t.isClosed()) {
                throw new IllegalStateException("input '" + in.name() + "' is closed");
            }
            ValueType want = in.type();
            if (want.kind() != ValueType.Kind.TENSOR && want.kind() != ValueType.Kind.UNKNOWN) {
                throw new InvalidInputException("input '" + in.name() + "' is a " + want + ", which sparq cannot feed");
            }
            if (want.dtype() != null && want.dtype() != t.dtype()) {
                throw new InvalidInputException("input '" + in.name() + "' must be " + want.dtype() + ", got "
                    + t.dtype());
            }
            if (want.hasRank()) {
                if (want.rank() != t.rank()) {
                    throw new InvalidInputException("input '" + in.name() + "' must have shape " + want
                        + ", got " + Arrays.toString(t.shape()));
                }
                for (int d = 0; d < want.rank(); d++) {
                    Dim dim = want.dims().get(d);
                    long got = t.dim(d);
                    if (dim.isKnown() && dim.value() != got) {
                        throw new InvalidInputException("input '" + in.name() + "' must have shape " + want
                            + ", got " + Arrays.toString(t.shape()));
                    }
                    if (dim.symbol() != null) {
                        symbols = symbols == null ? new HashMap<>() : symbols;
                        Long prev = symbols.putIfAbsent(dim.symbol(), got);
                        if (prev != null && prev != got) {
                            throw new InvalidInputException("dimension '" + dim.symbol() + "' is " + prev
                                + " in one input and " + got + " in input '" + in.name() + "'");
                        }
                    }
                }
            }
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("session is closed");
        }
    }

    @Override
    public void close() {
        closed = true;
        pool.close();
        executor.close();
        model.close();
    }

    /** Outputs of one run, by name, in the model's output order. Closing it frees every output tensor. */
    public static final class Result implements AutoCloseable, Iterable<Map.Entry<String, Tensor>> {
        private final Map<String, Tensor> outputs;

        Result(Map<String, Tensor> outputs) {
            this.outputs = new LinkedHashMap<>(outputs);
        }

        public Tensor get(String name) {
            Tensor t = outputs.get(name);
            if (t == null) {
                throw new IllegalArgumentException("no output '" + name + "'; outputs are " + outputs.keySet());
            }
            return t;
        }

        /** The first (often only) output. */
        public Tensor first() {
            return outputs.values().iterator().next();
        }

        public Map<String, Tensor> asMap() {
            return java.util.Collections.unmodifiableMap(outputs);
        }

        @Override
        public java.util.Iterator<Map.Entry<String, Tensor>> iterator() {
            return asMap().entrySet().iterator();
        }

        @Override
        public void close() {
            outputs.values().forEach(Tensor::close);
        }
    }
}
