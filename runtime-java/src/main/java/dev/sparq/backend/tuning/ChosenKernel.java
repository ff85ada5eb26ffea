package dev.sparq.backend.tuning;

import dev.sparq.backend.ExecutionContext;
import dev.sparq.backend.Kernel;
import dev.sparq.tensor.Tensor;

/** The candidate a node runs, with the name it was chosen under and why (shown by {@code sparq inspect --plan}). */
public record ChosenKernel(Kernel kernel, String name, String why) implements Kernel {
    @Override
    public Tensor[] run(Tensor[] inputs, ExecutionContext ctx) {
        return kernel.run(inputs, ctx);
    }

    @Override
    public long packedWeightBytes() {
        return kernel.packedWeightBytes();
    }

    @Override
    public String describe() {
        return name + ": " + why;
    }
}
