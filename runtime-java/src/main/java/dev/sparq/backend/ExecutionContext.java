package dev.sparq.backend;

import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;

/** What a kernel may use while it runs: memory for its outputs and scratch, and the thread budget. */
public interface ExecutionContext {
    /** A zero-filled tensor owned by the run; the executor frees it when no longer needed. */
    Tensor allocate(DType dtype, long... shape);

    /** Threads the kernel may use for intra-op parallelism (1 = run on the calling thread). */
    int threads();

    /** A context that allocates standalone tensors the caller must close; for tests and constant folding. */
    static ExecutionContext standalone() {
        return new ExecutionContext() {
            @Override
            public Tensor allocate(DType dtype, long... shape) {
                return Tensor.allocate(dtype, shape);
            }

            @Override
            public int threads() {
                return 1;
            }
        };
    }
}
