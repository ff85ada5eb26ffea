package dev.sparq.backend;

import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import java.util.function.IntConsumer;

/** What a kernel may use while it runs: memory for its outputs and scratch, and the threads of the session. */
public interface ExecutionContext {
    /** A zero-filled tensor owned by the run; the executor frees it when no longer needed. */
    Tensor allocate(DType dtype, long... shape);

    /**
     * Like {@link #allocate}, but the memory may hold garbage: for kernels that write every element of their
     * output, so the executor can skip zeroing reused activation memory.
     */
    default Tensor allocateUninitialized(DType dtype, long... shape) {
        return allocate(dtype, shape);
    }

    /** Threads the kernel may use for intra-op parallelism (1 = run on the calling thread). */
    int threads();

    /**
     * Threads for a job that splits into {@code shares} worth a thread each (rows, planes, or work over a per-thread
     * minimum): at least 1, at most {@link #threads()}.
     */
    default int threadsFor(long shares) {
        return (int) Math.max(1, Math.min(threads(), shares));
    }

    /**
     * Runs {@code body} for every task index in [0, tasks) on the session's threads and returns when all are done.
     * Tasks must write disjoint outputs. The default runs them in order on the calling thread.
     */
    default void parallelFor(int tasks, IntConsumer body) {
        for (int i = 0; i < tasks; i++) {
            body.accept(i);
        }
    }

    /**
     * Whether the threads of {@link #parallelFor} run on cores far apart ({@link WorkerPool#farApart()}), where every
     * cache line they hand each other costs several times as much: kernels may then split their work so that less
     * crosses between threads. The results must not depend on it.
     */
    default boolean threadsFarApart() {
        return false;
    }

    /** A context that allocates standalone tensors the caller must close; for tests and constant folding. */
    static ExecutionContext standalone() {
        return standalone(1, null);
    }

    /** Like {@link #standalone()}, with a thread budget and a pool to run parallel tasks on (null = sequential). */
    static ExecutionContext standalone(int threads, WorkerPool pool) {
        return new ExecutionContext() {
            @Override
            public Tensor allocate(DType dtype, long... shape) {
                return Tensor.allocate(dtype, shape);
            }

            @Override
            public int threads() {
                return threads;
            }

            @Override
            public void parallelFor(int tasks, IntConsumer body) {
                if (pool == null) {
                    ExecutionContext.super.parallelFor(tasks, body);
                } else {
                    pool.parallelFor(tasks, body);
                }
            }

            @Override
            public boolean threadsFarApart() {
                return pool != null && pool.farApart();
            }
        };
    }
}
