package dev.sparq.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/** Debian's OpenBLAS through FFM, as the native reference in GEMM benchmarks (benchmarks only). */
final class OpenBlas {
    private static final int ROW_MAJOR = 101;
    private static final int NO_TRANS = 111;
    private final MethodHandle sgemm;
    private final MethodHandle setThreads;

    private OpenBlas(SymbolLookup lib) {
        Linker linker = Linker.nativeLinker();
        ValueLayout i = ValueLayout.JAVA_INT;
        ValueLayout f = ValueLayout.JAVA_FLOAT;
        ValueLayout p = ValueLayout.ADDRESS;
        sgemm = linker.downcallHandle(lib.find("cblas_sgemm").orElseThrow(),
            FunctionDescriptor.ofVoid(i, i, i, i, i, i, f, p, i, p, i, f, p, i));
        setThreads = linker.downcallHandle(lib.find("openblas_set_num_threads").orElseThrow(),
            FunctionDescriptor.ofVoid(i));
    }

    /** Loads libopenblas.so.0, or explains which package provides it. */
    static OpenBlas load() {
        for (String name : new String[] {"libopenblas.so.0", "libopenblas.so"}) {
            try {
                return new OpenBlas(SymbolLookup.libraryLookup(name, Arena.global()));
            } catch (IllegalArgumentException e) {
                // try the next name
            }
        }
        throw new IllegalStateException("OpenBLAS not found: apt-get install libopenblas0-pthread");
    }

    void threads(int n) {
        try {
            setThreads.invokeExact(n);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** C = A · B, row-major, M×K times K×N. */
    void sgemm(int m, int n, int k, MemorySegment a, MemorySegment b, MemorySegment c) {
        try {
            sgemm.invokeExact(ROW_MAJOR, NO_TRANS, NO_TRANS, m, n, k, 1f, a, k, b, n, 0f, c, n);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }
}
