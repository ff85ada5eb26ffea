package dev.sparq.backend.cpu.simd;

import dev.sparq.backend.ExecutionContext;
import dev.sparq.backend.Kernel;
import dev.sparq.tensor.Tensor;
import java.util.Arrays;

/**
 * com.microsoft FusedConv with a Z input (sparq's residual-add fusion): the convolution without its activation,
 * then Y = clamp(Y + Z) in one pass over Y, in place. Replaces the Add's pass and the Relu's, with the same bits:
 * the sum and the clamp are those of the unfused Add and Relu.
 */
record ResidualConv(Kernel conv, Activation act) implements Kernel {
    @Override
    public Tensor[] run(Tensor[] inputs, ExecutionContext ctx) {
        Tensor[] out = conv.run(Arrays.copyOf(inputs, 3), ctx);
        Tensor y = out[0];
        Tensor z = inputs[3];
        if (!Arrays.equals(z.shape(), y.shape())) {
            y.close();
            throw new IllegalArgumentException("FusedConv: Z has shape " + Arrays.toString(z.shape())
                + ", the convolution's output " + Arrays.toString(y.shape()));
        }
        SimdOps.get().addClamp(y.segment(), z.segment(), y.segment(), y.size(), act.min(), act.max());
        return out;
    }

    @Override
    public String describe() {
        String inner = conv.describe();
        return (inner.isEmpty() ? "" : inner + ", ") + "residual sum and clamp in one pass after";
    }

    @Override
    public long packedWeightBytes() {
        return conv.packedWeightBytes();
    }
}
