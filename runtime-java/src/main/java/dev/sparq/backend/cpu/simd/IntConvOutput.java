package dev.sparq.backend.cpu.simd;

import dev.sparq.tensor.DType;
import java.lang.foreign.MemorySegment;

/**
 * What an integer convolution does with its finished int32 accumulators: requantize them ({@link Requantizer},
 * QLinearConv) or store them as they are ({@link #INT32}, ConvInteger).
 */
interface IntConvOutput {
    /** ConvInteger: the int32 accumulators themselves. */
    IntConvOutput INT32 = new IntConvOutput() {
        @Override
        public DType dtype() {
            return DType.I32;
        }

        @Override
        public void write(MemorySegment sums, long sumIndex, MemorySegment partial, long partialIndex, int n,
                          int channel, MemorySegment out, long outIndex) {
            SimdOps.get().sumsToInt(sums, sumIndex, partial, partialIndex, n, out, outIndex);
        }
    };

    DType dtype();

    /**
     * Writes n outputs of output channel {@code channel} at element {@code outIndex} of {@code out}; the
     * accumulators are (int) sums[sumIndex + i] (f32 holding exact integers) + partial[partialIndex + i] (int32, or
     * null for none).
     */
    void write(MemorySegment sums, long sumIndex, MemorySegment partial, long partialIndex, int n, int channel,
               MemorySegment out, long outIndex);
}
