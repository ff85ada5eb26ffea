package dev.sparq.backend.cpu.simd;

import dev.sparq.backend.Kernel;
import dev.sparq.backend.KernelRequest;
import dev.sparq.backend.UnsupportedKernelException;
import dev.sparq.backend.geometry.ConvAttributes;
import dev.sparq.graph.Node;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import java.util.Set;

/**
 * QLinearConv and ConvInteger over 8-bit NCHW inputs with constant 8-bit weights: 2-D, any kernel, stride,
 * dilation, padding and group. Depthwise convolutions run {@link IntDepthwiseConv}, the rest {@link IntConvGemm};
 * both exact, so the integers are cpu-ref's.
 */
final class IntConvKernels {
    private static final Set<String> AUTO_PADS = Set.of("NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID");

    private IntConvKernels() {
    }

    /** QLinearConv, plain or clamped: x, x_scale, x_zero_point, w, w_scale, w_zero_point, y_scale, y_zero, B. */
    static Kernel qlinearConv(KernelRequest r) {
        Tensor w = weights(r, 3);
        int cout = (int) w.dim(0);
        Tensor xZero = QuantParams.zeroPoint(r, 2, "x_zero_point");
        DType xType = QuantParams.inputType(r, 0, xZero, "x");
        Tensor yZero = QuantParams.zeroPoint(r, 7, "y_zero_point");
        DType yType = QuantParams.outputType(yZero, xType);
        Requantizer out = Requantizer.of(QuantParams.scale(r, 1, "x_scale"), QuantParams.scales(r, 4, cout, "w_scale"),
            QuantParams.scale(r, 6, "y_scale"), cout, QuantParams.bias(r, 8, cout), yZero == null ? 0 : (int) yZero.getLong(0),
            yType, r.outputBounds(yType));
        return build(r, w, QuantParams.weightZeros(r, 5, w, cout, "w"), xType, xZero, out);
    }

    /** ConvInteger: x, w, x_zero_point, w_zero_point; int32 out. */
    static Kernel convInteger(KernelRequest r) {
        Tensor w = weights(r, 1);
        Tensor xZero = QuantParams.zeroPoint(r, 2, "x_zero_point");
        DType xType = QuantParams.inputType(r, 0, xZero, "x");
        return build(r, w, QuantParams.weightZeros(r, 3, w, (int) w.dim(0), "w"), xType, xZero, IntConvOutput.INT32);
    }

    private static Tensor weights(KernelRequest r, int at) {
        Tensor w = r.constantInput(at);
        if (w == null || !QuantParams.isEightBit(w.dtype()) || w.rank() != 4) {
            throw new UnsupportedKernelException("cpu-simd " + r.node().opType()
                + " needs constant 8-bit 4-D weights (2-D convolution)");
        }
        return w;
    }

    private static Kernel build(KernelRequest r, Tensor w, int[] wZero, DType xType, Tensor xZero, IntConvOutput out) {
        Node n = r.node();
        if (!AUTO_PADS.contains(n.stringAttr("auto_pad", "NOTSET"))) {
            throw new UnsupportedKernelException("auto_pad '" + n.stringAttr("auto_pad", "") + "' is not supported");
        }
        ConvAttributes attrs = ConvAttributes.of(n, w);
        int group = (int) n.intAttr("group", 1);
        int cout = (int) w.dim(0);
        int cinPerGroup = (int) w.dim(1);
        if (group < 1 || cout % group != 0) {
            throw new UnsupportedKernelException("bad group " + group + " for " + cout + " output channels");
        }
        int depth = Math.toIntExact(w.size() / cout);
        int[] wc = new int[Math.toIntExact(w.size())];
        for (int i = 0; i < wc.length; i++) {
            wc[i] = (int) w.getLong(i) - wZero[i / depth];
        }
        int zero = xZero == null ? 0 : (int) xZero.getLong(0);
        int xMax = ExactSums.maxMagnitude(xType, zero);
        IntConvInput input = new IntConvInput(attrs, cinPerGroup * group, xType, zero);
        if (cinPerGroup == 1 && group > 1 && ExactSums.fits(wc, cout, depth, xMax)) {
            float[] wf = new float[wc.length];
            for (int i = 0; i < wc.length; i++) {
                wf[i] = wc[i];
            }
            return new IntDepthwiseConv(input, wf, cout / group, out);
        }
        int coutPerGroup = cout / group;
        java.util.function.Supplier<Kernel> dense = () -> {
            PackedMatrix[] packed = new PackedMatrix[group];
            for (int g = 0; g < group; g++) {
                int first = g * coutPerGroup;
                packed[g] = new PackedMatrix(coutPerGroup, depth, MicroKernel.get().mr(),
                    (row, k) -> wc[(first + row) * depth + k]);
            }
            return new IntConvGemm(input, packed, ExactSums.chunks(wc, cout, depth, xMax), out);
        };
        if (group != 1 || !(out instanceof Requantizer rq)) {
            return dense.get();
        }
        return SparseIntChoice.choose(r, "QLinearConv", wc, cout, depth, dense, 4L * wc.length + 8L * cout,
            () -> new SparseIntConv(input, dev.sparq.sparse.SparseInt8Rows.of(wc, cout, depth), rq));
    }
}
