package dev.sparq.backend.cpu.simd;

import dev.sparq.backend.ExecutionContext;
import dev.sparq.backend.Kernel;
import dev.sparq.tensor.Tensor;

/**
 * For a layer whose batch is only known at run time: one kernel chosen (timed) for small batches, another for large
 * ones, picked per call by the number of rows of the first input (all dims but the last).
 */
record BatchSplitKernel(Kernel small, Kernel large, int maxSmallRows) implements Kernel {
    @Override
    public Tensor[] run(Tensor[] inputs, ExecutionContext ctx) {
        Tensor a = inputs[0];
        long last = a.rank() == 0 ? 1 : a.dim(a.rank() - 1);
        long rows = last == 0 ? 0 : a.size() / last;
        return (rows <= maxSmallRows ? small : large).run(inputs, ctx);
    }

    @Override
    public String describe() {
        return "batch <= " + maxSmallRows + ": " + small.describe() + "; larger: " + large.describe();
    }

    @Override
    public long packedWeightBytes() {
        long a = small.packedWeightBytes();
        long b = large.packedWeightBytes();
        if (a < 0 || b < 0) {
            return -1;
        }
        // both choices may be the same kernel (one candidate built once)
        return unwrap(small) == unwrap(large) ? a : a + b;
    }

    private static Kernel unwrap(Kernel k) {
        return k instanceof dev.sparq.backend.tuning.ChosenKernel c ? c.kernel() : k;
    }
}
