package dev.sparq.quant;

import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;

/**
 * Quantizes constant tensors per channel along one axis, by ONNX's rule {@code q = saturate(round_half_even(x /
 * scale))} with zero point 0: weights to int8 with {@code scale[c] = max|w_c| / 127}, biases to int32 with the
 * scale given (input scale × weight scale). Results own their memory: the caller closes them.
 */
final class ChannelQuantizer {
    /** A channel of zeros gets this scale: any positive scale represents it exactly. */
    static final float EMPTY_CHANNEL_SCALE = 1f;

    /** The quantized tensor and its per-channel scales. */
    record Quantized(Tensor values, float[] scales) { }

    private ChannelQuantizer() {
    }

    /** Symmetric int8 per channel of {@code axis}. */
    static Quantized weights(Tensor w, int axis) {
        long[] shape = w.shape();
        int channels = Math.toIntExact(shape[axis]);
        long inner = innerSize(shape, axis);
        float[] x = w.toFloatArray();
        float[] maxAbs = new float[channels];
        for (int i = 0; i < x.length; i++) {
            int c = channel(i, inner, channels);
            maxAbs[c] = Math.max(maxAbs[c], Math.abs(x[i]));
        }
        float[] scales = new float[channels];
        for (int c = 0; c < channels; c++) {
            scales[c] = maxAbs[c] > 0 ? maxAbs[c] / 127f : EMPTY_CHANNEL_SCALE;
        }
        return new Quantized(quantize(x, shape, DType.I8, scales, inner), scales);
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
