package dev.sparq.backend.tuning;

import dev.sparq.backend.ExecutionContext;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Shapes;
import dev.sparq.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * Where candidates run while timed: one thread, and outputs in buffers reused from run to run (the n-th allocation
 * of a run gets the n-th buffer), as the executor's planned activation slab does, so allocation is not timed.
 */
final class TimingContext implements ExecutionContext, AutoCloseable {
    private final Arena arena = Arena.ofShared();
    private final List<MemorySegment> buffers = new ArrayList<>();
    private int next;

    /** Starts a run: allocations hand out the buffers from the first again. */
    void reset() {
        next = 0;
    }

    @Override
    public Tensor allocate(DType dtype, long... shape) {
        Tensor t = allocateUninitialized(dtype, shape);
        t.segment().fill((byte) 0);
        return t;
    }

    @Override
    public Tensor allocateUninitialized(DType dtype, long... shape) {
        long bytes = Math.max(1, Shapes.size(shape) * dtype.byteSize());
        if (next == buffers.size()) {
            buffers.add(arena.allocate(bytes, 64));
        } else if (buffers.get(next).byteSize() < bytes) {
            buffers.set(next, arena.allocate(bytes, 64));
        }
        MemorySegment seg = buffers.get(next++).asSlice(0, bytes);
        return Tensor.wrap(dtype, shape, seg);
    }

    @Override
    public int threads() {
        return 1;
    }

    @Override
    public void close() {
        arena.close();
    }
}
