package dev.sparq.backend.cpu.simd;

import dev.sparq.backend.Kernel;
import dev.sparq.backend.geometry.ConvAttributes;

/**
 * What the convolutions that broadcast pixels against weight panels share ({@link PixelGemmConv},
 * {@link PixelRowConv}): the layer's attributes, bias and clamp, the tile, and the weights as {@link ChannelPanels}
 * of the tile's width.
 */
abstract class PixelBroadcastConv implements Kernel {
    final ConvAttributes attrs;
    final int cin;
    final float[] bias;
    final Activation act;
    final MicroKernel tile;
    final ChannelPanels weights;

    PixelBroadcastConv(ConvAttributes attrs, float[] weights, float[] bias, Activation act, int cin) {
        this.attrs = attrs;
        this.cin = cin;
        this.bias = bias;
        this.act = act;
        this.tile = MicroKernel.get();
        this.weights = ChannelPanels.of(weights, bias.length, tile.nr());
    }

    @Override
    public long packedWeightBytes() {
        return ((long) weights.packed().length + bias.length) * Float.BYTES;
    }
}
