package dev.sparq.backend.cpu.simd;

/**
 * Depth [k0, k0 + depth) of another operand, so one GEMM can run over a chunk of K. For a {@link PackedMatrix},
 * k0 must be a multiple of {@link Gemm#KC} (its panels are packed per k block).
 */
record DepthSlice(PanelSource source, int k0, int depth) implements PanelSource {
    @Override
    public int rows() {
        return source.rows();
    }

    @Override
    public Panels panels(int from, int kb, int row0, int count, int width, Scratch scratch) {
        return source.panels(k0 + from, kb, row0, count, width, scratch);
    }
}
