package dev.sparq.backend;

import dev.sparq.tensor.Tensor;

/**
 * A node bound to an implementation, ready to run many times. Kernels are stateless across runs, so one plan can
 * serve concurrent {@code Session.run} calls.
 *
 * <p>Contract: {@code inputs[i]} is null where the node omits optional input {@code i}. Each returned output is a
 * new tensor from {@link ExecutionContext#allocate} (never a view of an input), one per node output, null for an
 * omitted optional output. Shape errors are reported as {@link IllegalArgumentException} with a plain message; the
 * executor adds the node's name.
 */
@FunctionalInterface
public interface Kernel {
    Tensor[] run(Tensor[] inputs, ExecutionContext ctx);

    /** Which implementation this is and why it was chosen, for {@code sparq inspect --plan}; "" if nothing to say. */
    default String describe() {
        return "";
    }

    /**
     * Bytes of the constant weights this kernel holds in its own packed form (weights, bias, per-channel factors),
     * for {@code sparq inspect}; -1 when it holds none or does not say.
     */
    default long packedWeightBytes() {
        return -1;
    }

    /** {@code k}, reporting {@code bytes} as its packed weights: for a kernel that does not count its own. */
    static Kernel withPackedWeightBytes(Kernel k, long bytes) {
        return new Kernel() {
            @Override
            public Tensor[] run(Tensor[] inputs, ExecutionContext ctx) {
                return k.run(inputs, ctx);
            }

            @Override
            public String describe() {
                return k.describe();
            }

            @Override
            public long packedWeightBytes() {
                return bytes;
            }
        };
    }
}
