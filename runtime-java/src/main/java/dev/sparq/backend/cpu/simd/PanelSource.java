package dev.sparq.backend.cpu.simd;

/**
 * One GEMM operand seen as a matrix X[rows][K] (A itself, or B transposed), delivered as zero-padded panels of
 * {@code width} rows: in a panel, element (k, lane) is at {@code base + k*width + lane}. Weights are packed once at
 * load ({@link PackedMatrix}); activations are packed per call into a thread's scratch.
 */
interface PanelSource {
    int rows();

    int depth();

    /**
     * Panels covering rows [{@code row0}, {@code row0 + count}) for k in [{@code k0}, {@code k0 + kb}).
     * {@code row0} is a multiple of {@code width}. May pack into {@code scratch} (grown if needed via the holder).
     */
    Panels panels(int k0, int kb, int row0, int count, int width, Scratch scratch);

    /** K per block when this is B of a GEMM with {@code aRows} rows of A: {@link Gemm#KC} unless it knows better. */
    default int depthBlock(int aRows) {
        return Gemm.KC;
    }

    /** Where a block of panels is: panel p (0-based from row0) starts at {@code base + p * stride}. */
    record Panels(float[] data, int base, int stride) {
    }
}
