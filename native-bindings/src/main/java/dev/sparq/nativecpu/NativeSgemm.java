package dev.sparq.nativecpu;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * The C FP32 GEMM (kernels/cpu/src/sgemm.c) through FFM: a comparison kernel for sparq's Java Sgemm and OpenBLAS
 * (SgemmBenchmark). The planner does not route FP32 ops to it (see benchmarks/RESULTS.md, "Native GEMM"). Arguments
 * are checked here, before any native call.
 */
public final class NativeSgemm {
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT;
    private static final ValueLayout P = ValueLayout.ADDRESS;
    private static final NativeSgemm INSTANCE = new NativeSgemm();

    private final MethodHandle path;
    private final MethodHandle force;
    private final MethodHandle packedSize;
    private final MethodHandle pack;
    private final MethodHandle gemm;
    private final String failure;

    /** B packed for the kernel; owns its native memory until closed. */
    public static final class PackedB implements AutoCloseable {
        private final Arena arena;
        private final MemorySegment segment;
        private final int k;
        private final int n;

        private PackedB(Arena arena, MemorySegment segment, int k, int n) {
            this.arena = arena;
            this.segment = segment;
            this.k = k;
            this.n = n;
        }

        public int k() {
            return k;
        }

        public int n() {
            return n;
        }

        @Override
        public void close() {
            arena.close();
        }
    }

    private NativeSgemm() {
        String why = CpuKernels.get().failure(); // also the ABI version check
        MethodHandle[] h = new MethodHandle[5];
        if (why == null) {
            try {
                Linker linker = Linker.nativeLinker();
                SymbolLookup lib = NativeLibrary.get().lookup();
                Linker.Option critical = Linker.Option.critical(false);
                h[0] = linker.downcallHandle(lib.find("sparq_sgemm_path").orElseThrow(), FunctionDescriptor.of(P),
                    critical);
                h[1] = linker.downcallHandle(lib.find("sparq_sgemm_force").orElseThrow(), FunctionDescriptor.of(I32, P));
                h[2] = linker.downcallHandle(lib.find("sparq_packed_b_f32_size").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_LONG, I32, I32), critical);
                h[3] = linker.downcallHandle(lib.find("sparq_pack_b_f32").orElseThrow(),
                    FunctionDescriptor.ofVoid(P, I32, I32, I32, P));
                h[4] = linker.downcallHandle(lib.find("sparq_sgemm").orElseThrow(),
                    FunctionDescriptor.ofVoid(I32, I32, I32, P, I32, P, P, I32));
            } catch (RuntimeException e) {
                why = "native FP32 GEMM unusable: " + e;
            }
        }
        failure = why;
        path = h[0];
        force = h[1];
        packedSize = h[2];
        pack = h[3];
        gemm = h[4];
    }

    public static NativeSgemm get() {
        return INSTANCE;
    }

    /** Null when usable, else why not. */
    public String failure() {
        return failure;
    }

    private void checkUsable() {
        if (failure != null) {
            throw new IllegalStateException(failure);
        }
    }

    /** The path in use: "avx512-fma", "avx2-fma", "neon" or "scalar". */
    public String path() {
        checkUsable();
        return KernelPaths.name(path);
    }

    /** Forces a path (tests, comparisons); false if this CPU lacks it. Packed matrices stay valid. */
    public boolean force(String name) {
        checkUsable();
        return KernelPaths.force(force, name);
    }

    /** Packs float B [k, n] (row stride ldb, in elements) into native memory of its own. */
    public PackedB pack(MemorySegment b, int k, int n, int ldb) {
        checkUsable();
        positive(k, "k");
        positive(n, "n");
        if (ldb < n) {
            throw new IllegalArgumentException("ldb " + ldb + " < n " + n);
        }
        need(b, 4L * ((long) (k - 1) * ldb + n), "B");
        Arena arena = Arena.ofShared();
        try {
            long bytes = (long) packedSize.invokeExact(k, n);
            MemorySegment packed = arena.allocate(bytes, 64);
            pack.invokeExact(b, k, n, ldb, packed);
            return new PackedB(arena, packed, k, n);
        } catch (Throwable t) {
            arena.close();
            throw new IllegalStateException(t);
        }
    }

    /** C [m, b.n()] (row stride ldc) = A [m, b.k()] (row stride lda) · B; C is overwritten. */
    public void multiply(int m, MemorySegment a, int lda, PackedB b, MemorySegment c, int ldc) {
        checkUsable();
        positive(m, "m");
        if (!b.arena.scope().isAlive()) {
            throw new IllegalStateException("packed B is closed");
        }
        if (lda < b.k || ldc < b.n) {
            throw new IllegalArgumentException("row strides lda " + lda + " / ldc " + ldc + " smaller than k "
                + b.k + " / n " + b.n);
        }
        need(a, 4L * ((long) (m - 1) * lda + b.k), "A");
        need(c, 4L * ((long) (m - 1) * ldc + b.n), "C");
        try {
            gemm.invokeExact(m, b.n, b.k, a, lda, b.segment, c, ldc);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private static void positive(int v, String what) {
        if (v < 1) {
            throw new IllegalArgumentException(what + " must be positive, got " + v);
        }
    }

    private static void need(MemorySegment s, long bytes, String what) {
        if (!s.isNative()) {
            throw new IllegalArgumentException(what + " must be native (off-heap) memory");
        }
        if (s.byteSize() < bytes) {
            throw new IllegalArgumentException(what + " has " + s.byteSize() + " bytes, needs " + bytes);
        }
    }
}
