package dev.sparq.backend.cpu.simd;

import dev.sparq.backend.geometry.ConvAttributes;
import dev.sparq.backend.geometry.ConvGeometry2d;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import java.util.Arrays;

/**
 * The 8-bit input side of an integer convolution: its window attributes, channel count, type (null when the graph
 * does not say: uint8 or int8 is then taken at run time) and scalar zero point.
 */
record IntConvInput(ConvAttributes attrs, int channels, DType type, int zero) {
    /** Checks x and returns the geometry of one group's convolution ({@code groupChannels} input channels). */
    ConvGeometry2d geometry(Tensor x, int groupChannels) {
        boolean eightBit = x.dtype() == DType.U8 || x.dtype() == DType.I8;
        if (!eightBit || (type != null && x.dtype() != type) || x.rank() != 4 || x.dim(1) != channels) {
            throw new IllegalArgumentException("input " + x.dtype() + Arrays.toString(x.shape()) + " must be "
                + (type == null ? "8-bit" : type) + " [N," + channels + ",H,W]");
        }
        return attrs.geometry(x, groupChannels);
    }
}
