package dev.sparq.plan;

import dev.sparq.tensor.DType;
import dev.sparq.tensor.Shapes;
import dev.sparq.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Activation memory of a session, planned by liveness. The first run with given input shapes allocates each tensor
 * on its own and records sizes and lifetimes; {@link IntervalPacker} then lays them out in one slab, and later runs
 * with the same shapes take slices of a pooled slab (one per concurrent run): no allocation, no page faults.
 */
final class ActivationMemory implements AutoCloseable {
    private static final int MAX_SHAPE_PLANS = 16;

    private record Plan(long[] bytes, long[] offsets, long slabBytes, long lowerBound,
                        ConcurrentLinkedQueue<MemorySegment> slabs) {
    }

    private final Map<String, Plan> plans = new ConcurrentHashMap<>();
    private final Arena arena = Arena.ofShared();
    private volatile boolean closed;

    /** Memory for one run with these inputs. */
    RunMemory begin(Map<String, Tensor> inputs) {
        String key = signature(inputs);
        Plan plan = plans.get(key);
        if (plan == null) {
            return new Recording(key);
        }
        MemorySegment slab = plan.slabs().poll();
        if (slab == null) {
            slab = arena.allocate(Math.max(1, plan.slabBytes()), 64);
        }
        return new Slab(plan, slab);
    }

    /** Peak activation bytes of the last planned shape, and the liveness lower bound; null before any run. */
    long[] lastPlanBytes() {
        return plans.values().stream().findAny().map(p -> new long[] {p.slabBytes(), p.lowerBound()}).orElse(null);
    }

    /** The inputs' names, types and shapes, names in order: plain loops, as this runs once an inference. */
    private static String signature(Map<String, Tensor> inputs) {
        String[] names = inputs.keySet().toArray(new String[0]);
        if (names.length > 1) {
            Arrays.sort(names);
        }
        StringBuilder sb = new StringBuilder();
        for (String name : names) {
            Tensor t = inputs.get(name);
            sb.append(name.length()).append(':').append(name).append(' ').append(t.dtype().ordinal());
            for (int d = 0; d < t.rank(); d++) {
                sb.append(',').append(t.dim(d));
            }
            sb.append(';');
        }
        return sb.toString();
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            plans.clear();
            arena.close();
        }
    }

    /** One run's allocations. */
    abstract static class RunMemory {
        abstract Tensor allocate(DType dtype, long[] shape, boolean zero, int step);

        /** The executor is done with {@code t} after {@code step}. */
        abstract void release(Tensor t, int step);

        /** Called after each step with the tensors it returned; anything else it allocated was scratch. */
        abstract void endStep(int step, Tensor[] outputs);

        /** Whether {@code t} lives in the shared slab and must be copied before it is handed to the caller. */
        abstract boolean borrowed(Tensor t);

        abstract void finish(int steps);
    }

    private final class Recording extends RunMemory {
        private final String key;
        private final List<long[]> records = new ArrayList<>(); // bytes, first, last
        private final Map<Tensor, Integer> index = new IdentityHashMap<>();
        private final List<Integer> thisStep = new ArrayList<>();

        Recording(String key) {
            this.key = key;
        }

        @Override
        Tensor allocate(DType dtype, long[] shape, boolean zero, int step) {
            Tensor t = Tensor.allocate(dtype, shape);
            index.put(t, records.size());
            thisStep.add(records.size());
            records.add(new long[] {Shapes.size(shape) * dtype.byteSize(), step, -1});
            return t;
        }

        @Override
        void release(Tensor t, int step) {
            Integer i = index.get(t);
            if (i != null) {
                records.get(i)[2] = step;
            }
            t.close();
        }

        @Override
        void endStep(int step, Tensor[] outputs) {
            for (int i : thisStep) {
                boolean returned = false;
                for (Tensor o : outputs) {
                    returned |= o != null && index.get(o) != null && index.get(o) == i;
                }
                if (!returned) {
                    records.get(i)[2] = step;
                }
            }
            thisStep.clear();
        }

        @Override
        boolean borrowed(Tensor t) {
            return false;
        }

        @Override
        void finish(int steps) {
            if (closed) {
                return;
            }
            List<IntervalPacker.Buffer> buffers = new ArrayList<>();
            long[] bytes = new long[records.size()];
            for (int i = 0; i < records.size(); i++) {
                long[] r = records.get(i);
                bytes[i] = r[0];
                buffers.add(new IntervalPacker.Buffer(r[0], (int) r[1], r[2] < 0 ? steps : (int) r[2]));
            }
            IntervalPacker.Layout layout = IntervalPacker.pack(buffers);
            if (plans.size() >= MAX_SHAPE_PLANS) {
                plans.clear(); // shapes keep changing: do not grow without bound
            }
            plans.put(key, new Plan(bytes, layout.offsets(), layout.slabBytes(), layout.lowerBound(),
                new ConcurrentLinkedQueue<>()));
        }
    }

    private final class Slab extends RunMemory {
        private final Plan plan;
        private final MemorySegment slab;
        private int next;
        private boolean diverged;

        Slab(Plan plan, MemorySegment slab) {
            this.plan = plan;
            this.slab = slab;
        }

        @Override
        Tensor allocate(DType dtype, long[] shape, boolean zero, int step) {
            long bytes = Shapes.size(shape) * dtype.byteSize();
            int i = next++;
            if (diverged || i >= plan.bytes().length || plan.bytes()[i] != bytes) {
                diverged = true; // the run asked for something the plan did not see: stay correct, unplanned
                return Tensor.allocate(dtype, shape);
            }
            MemorySegment slice = slab.asSlice(plan.offsets()[i], Math.max(bytes, 1));
            if (zero) {
                slice.fill((byte) 0);
            }
            return Tensor.wrap(dtype, shape, slice);
        }

        @Override
        void release(Tensor t, int step) {
            t.close();
        }

        @Override
        void endStep(int step, Tensor[] outputs) {
        }

        @Override
        boolean borrowed(Tensor t) {
            return t.segment().address() >= slab.address() && t.segment().address() < slab.address() + slab.byteSize();
        }

        @Override
        void finish(int steps) {
            if (diverged) {
                plans.values().remove(plan);
            } else if (!closed) {
                plan.slabs().offer(slab);
            }
        }
    }
}
