package dev.sparq.plan;

import dev.sparq.InvalidInputException;
import dev.sparq.SparqException;
import dev.sparq.backend.ExecutionContext;
import dev.sparq.backend.WorkerPool;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Runs a plan step by step on the calling thread. Activations are freed right after their last reader; graph
 * outputs are handed to the caller, who owns them.
 */
public final class Executor {
    private final ExecutionPlan plan;
    private final WorkerPool pool;

    /** Runs {@code plan} with intra-op parallelism on {@code pool} (owned by the caller). */
    public Executor(ExecutionPlan plan, WorkerPool pool) {
        this.plan = plan;
        this.pool = pool;
    }

    /** Runs with already validated inputs (name → tensor); returns output name → tensor, owned by the caller. */
    public Map<String, Tensor> run(Map<String, Tensor> inputs) {
        Tensor[] values = new Tensor[plan.slotCount()];
        boolean[] owned = new boolean[values.length];
        plan.constants().forEach((slot, t) -> values[slot] = t);
        plan.inputSlots().forEach((name, slot) -> values[slot] = inputs.get(name));
        boolean[] isOutput = new boolean[values.length];
        plan.outputSlots().values().forEach(s -> isOutput[s] = true);
        ExecutionContext ctx = new ExecutionContext() {
            @Override
            public Tensor allocate(DType dtype, long... shape) {
                return Tensor.allocate(dtype, shape);
            }

            @Override
            public int threads() {
                return pool.threads();
            }

            @Override
            public void parallelFor(int tasks, java.util.function.IntConsumer body) {
                pool.parallelFor(tasks, body);
            }
        };
        Map<String, Tensor> result = new LinkedHashMap<>();
        boolean done = false;
        try {
            for (int s = 0; s < plan.steps().size(); s++) {
                Step step = plan.steps().get(s);
                Tensor[] in = new Tensor[step.inputs().length];
                for (int i = 0; i < in.length; i++) {
                    in[i] = step.inputs()[i] < 0 ? null : values[step.inputs()[i]];
                }
                Tensor[] out = runStep(step, in, ctx);
                for (int o = 0; o < step.outputs().length; o++) {
                    int slot = step.outputs()[o];
                    Tensor t = o < out.length ? out[o] : null;
                    if (slot >= 0) {
                        values[slot] = t;
                        owned[slot] = t != null;
                    } else if (t != null) {
                        t.close(); // an output the graph does not name
                    }
                }
                for (int i : step.inputs()) {
                    if (i >= 0 && owned[i] && !isOutput[i] && plan.lastUse()[i] == s) {
                        values[i].close();
                        owned[i] = false;
                    }
                }
                // Outputs nobody reads (e.g. optional mask outputs) are freed at once.
                for (int slot : step.outputs()) {
                    if (slot >= 0 && owned[slot] && !isOutput[slot] && plan.lastUse()[slot] < 0) {
                        values[slot].close();
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
                // Inputs, constants and outputs listed twice are copied so the caller owns each result.
                if (owned[slot]) {
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
                    values[i].close();
                }
            }
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
}
