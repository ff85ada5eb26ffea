package dev.sparq.quant;

import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;

/**
 * Quantizes constant tensors per channel along one axis, by ONNX's rule {@code q = saturate(round_half_even(x /
 * scale))} with zero point 0: weights to int8 with the scales of {@link WeightScales#perChannel} ({@code max|w_c| /
 * 127}), biases to int32 with the scale given (input scale × weight scale). Results own their memory: the caller
 * closes them.
 */
final class ChannelQuantizer {
    /** The quantized tensor and its per-channel scales. */
    record Quantized(Tensor values, float[] scales) { }

    private ChannelQuantizer() {
    }

    /** Symmetric int8 per channel of {@code axis}. */
    static Quantized weights(Tensor w, int axis) {
        long[] shape = w.shape();
        float[] scales = WeightScales.perChannel(w, axis);
        return new Quantized(quantize(w.toFloatArray(), shape, DType.I8, scales, innerSize(shape, axis)), scales);
    }

    /** Int32 per channel of a 1-D bias, with the given scales (one per element). */
    static Tensor bias(Tensor b, float[] scales) {
        return quantize(b.toFloatArray(), b.shape(), DType.I32, scales, 1);
    }

    private static Tensor quantize(float[] x, long[] shape, DType dtype, float[] scales, long inner) {
        long lo = dtype == DType.I8 ? Byte.MIN_VALUE : Integer.MIN_VALUE;
        long hi = dtype == DType.I8 ? Byte.MAX_VALUE : Integer.MAX_VALUE;
        Tensor q = Tensor.allocate(dtype, shape);
        for (int i = 0; i < x.length; i++) {
            double r = Math.rint(x[i] / scales[channel(i, inner, scales.length)]);
            q.setLong(i, (long) Math.max(lo, Math.min(hi, r)));
        }
        return q;
    }

    /** Elements after {@code axis} in row-major order: the stride of one step along it. */
    private static long innerSize(long[] shape, int axis) {
        long n = 1;
        for (int d = axis + 1; d < shape.length; d++) {
            n *= shape[d];
        }
        return n;
    }

    private static int channel(long flatIndex, long inner, int channels) {
        return (int) ((flatIndex / inner) % channels);
    }
}
