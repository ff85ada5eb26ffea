package dev.sparq.backend.cpu.simd;

import java.lang.foreign.MemorySegment;

/**
 * Public entry to cpu-simd's scanning primitives for tools that read whole activations (the INT8 calibrator's
 * statistics): vector or scalar as the machine allows, like every cpu-simd kernel.
 */
public final class VectorScan {
    private VectorScan() {
    }

    /** {min, max} of f32 elements [from, to); NaN in either if any element is NaN. */
    public static float[] minMax(MemorySegment f32, long from, long to) {
        return SimdOps.get().minMax(f32, from, to);
    }

    /** bins[i] = min((int) (|x[index + i]| · inverse), last) for i in [0, n); the elements must be finite. */
    public static void absBins(MemorySegment f32, long index, int n, float inverse, int last, int[] bins) {
        SimdOps.get().absBins(f32, index, n, inverse, last, bins);
    }
}
