package dev.sparq.backend.cpu.simd;

import dev.sparq.backend.UnsupportedKernelException;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import java.lang.foreign.MemorySegment;

/**
 * ONNX's QLinear requantization, as cpu-ref computes it: acc + bias in int32, times the float32 multiplier
 * in_scale·w_scale[c]/y_scale (computed in that order in f32, then applied in double), plus the output zero point,
 * rounded half to even and saturated to uint8 or int8, or to a fused clamp's narrower bounds. One multiplier per
 * output channel (or per matmul column).
 */
record Requantizer(double[] multipliers, int[] bias, double zero, int min, int max, DType dtype)
    implements IntConvOutput {

    /**
     * @param wScale one value or {@code channels} values (f32)
     * @param bias   int32 per channel, or null
     * @param bounds the output's [min, max] (within yType's range)
     */
    static Requantizer of(float inScale, Tensor wScale, float yScale, int channels, int[] bias, int yZero, DType yType,
                          int[] bounds) {
        if (wScale.size() != 1 && wScale.size() != channels) {
            throw new UnsupportedKernelException("weight scale must be one value or one per output channel");
        }
        double[] m = new double[channels];
        for (int c = 0; c < channels; c++) {
            m[c] = inScale * wScale.getFloat(wScale.size() == 1 ? 0 : c) / yScale; // f32, as the reference
        }
        return new Requantizer(m, bias == null ? new int[channels] : bias, yZero, bounds[0], bounds[1], yType);
    }

    @Override
    public void write(MemorySegment sums, long sumIndex, MemorySegment partial, long partialIndex, int n, int channel,
                      MemorySegment out, long outIndex) {
        SimdOps.get().requantize(sums, sumIndex, partial, partialIndex, n, bias[channel], multipliers[channel], zero,
            min, max, out, outIndex);
    }

    /** A matmul row: acc[accOff + j] for columns j in [0, n), column j with multiplier j (no bias). */
    void row(int[] acc, int accOff, int n, MemorySegment out, long outIndex) {
        SimdOps.get().requantizeRow(acc, accOff, n, multipliers, zero, min, max, out, outIndex);
    }
}
