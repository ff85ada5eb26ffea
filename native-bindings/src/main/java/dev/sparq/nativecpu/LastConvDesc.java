package dev.sparq.nativecpu;

import dev.sparq.backend.geometry.ConvGeometry2d;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import java.lang.foreign.Arena;
import java.util.Arrays;

/**
 * A native convolution kernel's descriptor for the last input size it saw: immutable, replaced when an input of
 * another size comes (80 bytes each, in an automatic arena, so they are freed with the kernel). Also the input
 * check both the dense and the sparse kernel make before any native call.
 */
final class LastConvDesc {
    private final int cout;
    private final boolean depthwise;
    private final QuantParams quant;
    private final DType xType;
    private final int cin;
    private volatile ConvDesc last;

    LastConvDesc(int cin, int cout, boolean depthwise, QuantParams quant, DType xType) {
        this.cin = cin;
        this.cout = cout;
        this.depthwise = depthwise;
        this.quant = quant;
        this.xType = xType;
    }

    /** Throws unless {@code x} is a [N, cin, H, W] tensor of the kernel's input type. */
    void checkInput(Tensor x) {
        if (x.dtype() != xType || x.rank() != 4 || x.dim(1) != cin) {
            throw new IllegalArgumentException("x " + x.dtype() + Arrays.toString(x.shape()) + " must be " + xType
                + " [N," + cin + ",H,W]");
        }
    }

    /** The descriptor for geometry {@code g}: the last one if it fits, else a new one. */
    ConvDesc fitting(ConvGeometry2d g) {
        ConvDesc d = last;
        if (d == null || !d.fits(g)) {
            d = ConvDesc.of(g, cout, depthwise, quant.aZero(), xType == DType.I8, quant.yZero(), quant.signedOutput(),
                quant.yMin(), quant.yMax(), Arena.ofAuto().allocate(ConvDesc.BYTES, 8));
            last = d;
        }
        return d;
    }
}
