package dev.sparq.backend.cpu.simd;

/** A per-thread float buffer for packing, grown on demand and reused across calls. */
final class Scratch {
    private static final ThreadLocal<Scratch[]> LOCAL = ThreadLocal.withInitial(() -> new Scratch[] {new Scratch(),
        new Scratch(), new Scratch(), new Scratch(), new Scratch(), new Scratch(), new Scratch(), new Scratch()});
    private float[] data = new float[0];

    /**
     * The calling thread's scratch number {@code slot} (0: A side, 1: B side, 2-4: kernel-specific, 5: packing rows,
     * 6-7: the sparse matrix-vector products' inputs and outputs; 7 also the convolutions' products and phase planes).
     */
    static Scratch of(int slot) {
        return LOCAL.get()[slot];
    }

    float[] get(int size) {
        if (data.length < size) {
            data = new float[Math.max(size, data.length + data.length / 2)];
        }
        return data;
    }
}
