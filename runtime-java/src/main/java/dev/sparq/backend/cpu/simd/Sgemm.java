package dev.sparq.backend.cpu.simd;

import dev.sparq.backend.ExecutionContext;
import java.lang.foreign.MemorySegment;

/**
 * Public entry to cpu-simd's single-precision GEMM for benchmarks and tools: C[M,N] = A[M,K] · B[K,N], all
 * row-major f32 in memory segments. {@link #packB} packs a constant B once (as the engine does for weights).
 */
public final class Sgemm {
    private Sgemm() {
    }

    /** An opaque B, packed for {@link #multiply}. */
    public static final class PackedB {
        private final PackedMatrix packed;

        private PackedB(PackedMatrix packed) {
            this.packed = packed;
        }

        public long bytes() {
            return packed.bytes();
        }
    }

    public static PackedB packB(MemorySegment b, int k, int n) {
        return new PackedB(new PackedMatrix(n, k, MicroKernel.get().nr(),
            (j, kk) -> b.getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, (long) kk * n + j)));
    }

    /** C = A · B with B packed ahead of time; A is packed per call. */
    public static void multiply(MemorySegment a, int m, int k, PackedB b, MemorySegment c, ExecutionContext ctx) {
        Gemm.run(new RowMajorSource(a, 0, m, k, k, false), b.packed, c, 0, b.packed.rows(), Epilogue.NONE, ctx);
    }

    /** C = A · B packing both operands during the call, as a BLAS sgemm does. */
    public static void multiply(MemorySegment a, MemorySegment b, MemorySegment c, int m, int n, int k,
                                ExecutionContext ctx) {
        Gemm.run(new RowMajorSource(a, 0, m, k, k, false), new RowMajorSource(b, 0, n, k, n, true), c, 0, n,
            Epilogue.NONE, ctx);
    }

    /** Description of the kernel in use, e.g. "512-bit Vector API, tile 8x32". */
    public static String describe() {
        return SimdConfig.describe() + ", tile " + MicroKernel.get().mr() + "x" + MicroKernel.get().nr();
    }
}
