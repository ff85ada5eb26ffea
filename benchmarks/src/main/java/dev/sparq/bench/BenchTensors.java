package dev.sparq.bench;

import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import java.util.Random;

/** Inputs for the kernel benchmarks. */
final class BenchTensors {
    private BenchTensors() {
    }

    /** An f32 tensor of normal values drawn from {@code r}. */
    static Tensor random(Random r, long... shape) {
        Tensor t = Tensor.allocate(DType.F32, shape);
        for (long i = 0; i < t.size(); i++) {
            t.setFloat(i, (float) r.nextGaussian());
        }
        return t;
    }
}
