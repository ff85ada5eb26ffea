package dev.sparq.plan;

import dev.sparq.InvalidInputException;
import dev.sparq.SparqException;
import dev.sparq.backend.ExecutionContext;
import dev.sparq.backend.WorkerPool;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.IntConsumer;

/**
 * Runs a plan step by step on the calling thread (kernels spread their own work over the worker pool).
 * Activations come from {@link ActivationMemory} and are released right after their last reader; graph outputs are
 * handed to the caller as tensors of their own.
 */
public final class Executor implements AutoCloseable {
    private final ExecutionPlan plan;
    private final WorkerPool pool;
    private final ActivationMemory memory = new ActivationMemory();
    private final java.util.concurrent.atomic.AtomicLongArray stepNanos;
    private final java.util.concurrent.atomic.AtomicLongArray stepCalls;
    private volatile boolean profiling;

    /** Runs {@code plan} with intra-op parallelism on {@code pool} (owned by the caller). */
    public Executor(ExecutionPlan plan, WorkerPool pool) {
        this.plan = plan;
        this.pool = pool;
        this.stepNanos = new java.util.concurrent.atomic.AtomicLongArray(plan.steps().size());
        this.stepCalls = new java.util.concurrent.atomic.AtomicLongArray(plan.steps().size());
    }

    /** Starts (or stops) timing every step; timings accumulate until read with {@link #profile()}. */
    public void profiling(boolean on) {
        profiling = on;
    }

    /** Time spent per step so far, in plan order: {step index → {nanos, calls}}. */
    public long[][] profile() {
        long[][] p = new long[plan.steps().size()][2];
        for (int i = 0; i < p.length; i++) {
            p[i][0] = stepNanos.get(i);
            p[i][1] = stepCalls.get(i);
        }
        return p;
    }

    /** Activation slab bytes and the liveness lower bound of the last planned input shape, or null. */
    public long[] activationBytes() {
        return memory.lastPlanBytes();
    }

    /** Runs with already validated inputs (name → tensor); returns output name → tensor, owned by the caller. */
    public Map<String, Tensor> run(Map<String, Tensor> inputs) {
        return run(inputs, null);
    }

    /**
     * Like {@link #run(Map)}, and calls {@code observer} with every value a node produces, right after the node
     * ran (the tensor is valid only during the call: the executor may free or reuse it afterwards).
     */
    public Map<String, Tensor> run(Map<String, Tensor> inputs, java.util.function.BiConsumer<String, Tensor> observer) {
        Tensor[] values = new Tensor[plan.slotCount()];
        boolean[] owned = new boolean[values.length];
        plan.constants().forEach((slot, t) -> values[slot] = t);
        plan.inputSlots().forEach((name, slot) -> values[slot] = inputs.get(name));
        boolean[] isOutput = new boolean[values.length];
        plan.outputSlots().values().forEach(s -> isOutput[s] = true);
        ActivationMemory.RunMemory mem = memory.begin(inputs);
        int[] step = {0};
        ExecutionContext ctx = new ExecutionContext() {
            @Override
            public Tensor allocate(DType dtype, long... shape) {
                return mem.allocate(dtype, shape, true, step[0]);
            }

            @Override
            public Tensor allocateUninitialized(DType dtype, long... shape) {
                return mem.allocate(dtype, shape, false, step[0]);
            }

            @Override
            public int threads() {
                return pool.threads();
            }

            @Override
            public void parallelFor(int tasks, IntConsumer body) {
                pool.parallelFor(tasks, body);
            }

            @Override
            public boolean threadsFarApart() {
                return pool.farApart();
            }
        };
        Map<String, Tensor> result = new LinkedHashMap<>();
        boolean done = false;
        try {
            for (int s = 0; s < plan.steps().size(); s++) {
                step[0] = s;
                Step st = plan.steps().get(s);
                Tensor[] in = new Tensor[st.inputs().length];
                for (int i = 0; i < in.length; i++) {
                    in[i] = st.inputs()[i] < 0 ? null : values[st.inputs()[i]];
                }
                long t0 = profiling ? System.nanoTime() : 0;
                Tensor[] out = runStep(st, in, ctx);
                if (profiling) {
                    stepNanos.addAndGet(s, System.nanoTime() - t0);
                    stepCalls.incrementAndGet(s);
                }
                if (observer != null) {
                    for (int o = 0; o < out.length && o < st.node().outputs().size(); o++) {
                        if (out[o] != null && !st.node().outputs().get(o).isEmpty()) {
                            observer.accept(st.node().outputs().get(o), out[o]);
                        }
                    }
                }
                mem.endStep(s, out);
                for (int o = 0; o < st.outputs().length; o++) {
                    int slot = st.outputs()[o];
                    Tensor t = o < out.length ? out[o] : null;
                    if (slot >= 0) {
                        values[slot] = t;
                        owned[slot] = t != null;
                    } else if (t != null) {
                        mem.release(t, s); // an output the graph does not name
                    }
                }
                for (int i : st.inputs()) {
                    if (i >= 0 && owned[i] && !isOutput[i] && plan.lastUse()[i] == s) {
                        mem.release(values[i], s);
                        owned[i] = false;
                    }
                }
                // Outputs nobody reads (e.g. optional mask outputs) are released at once.
                for (int slot : st.outputs()) {
                    if (slot >= 0 && owned[slot] && !isOutput[slot] && plan.lastUse()[slot] < 0) {
                        mem.release(values[slot], s);
                        owned[slot] = false;
                    }
                }
            }
            for (Map.Entry<String, Integer> e : plan.outputSlots().entrySet()) {
                int slot = e.getValue();
                Tensor t = values[slot];
                if (t == null) {
                    throw new SparqException("graph output '" + e.getKey() + "' was not produced");
                }
                // The caller gets tensors of its own: slab slices, inputs, constants and repeated outputs are copied.
                if (owned[slot] && !mem.borrowed(t)) {
                    owned[slot] = false;
                    result.put(e.getKey(), t);
                } else {
                    result.put(e.getKey(), t.copy());
                }
            }
            done = true;
            return result;
        } finally {
            for (int i = 0; i < values.length; i++) {
                if (owned[i] && values[i] != null) {
                    mem.release(values[i], plan.steps().size());
                }
            }
            mem.finish(plan.steps().size());
            if (!done) {
                result.values().forEach(Tensor::close);
            }
        }
    }

    private static Tensor[] runStep(Step step, Tensor[] in, ExecutionContext ctx) {
        try {
            return step.kernel().run(in, ctx);
        } catch (IllegalArgumentException e) {
            throw new InvalidInputException(step.node().label() + ": " + e.getMessage(), e);
        } catch (IndexOutOfBoundsException e) {
            // Kernels check shapes; an index out of range means attributes or data the model got wrong.
            throw new InvalidInputException(step.node().label() + ": inconsistent attributes or data (" + e.getMessage()
                + ")", e);
        } catch (IllegalStateException e) {
            throw e; // closed tensors, closed session: the caller's error, reported as is
        } catch (OutOfMemoryError e) {
            throw new InvalidInputException(step.node().label() + ": needs more memory than is available ("
                + e.getMessage() + ")");
        } catch (RuntimeException e) {
            throw new SparqException(step.node().label() + " failed on " + step.backendId() + ": " + e, e);
        }
    }

    @Override
    public void close() {
        memory.close();
    }
}
