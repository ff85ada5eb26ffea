package dev.sparq.nativecpu;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * What an FFM downcall costs by itself: sparq_noop8 (the fused convolution's signature, seven pointers and two ints)
 * through a regular handle and through one linked with {@code Linker.Option.critical(false)}, which skips the
 * Java-to-native thread-state transition. For the benchmarks; not used by the backend.
 */
public final class FfmProbe {
    private static final ValueLayout P = ValueLayout.ADDRESS;
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT;
    private final MethodHandle regular;
    private final MethodHandle critical;

    public FfmProbe() {
        NativeLibrary.Result lib = NativeLibrary.get();
        if (lib.failure() != null) {
            throw new IllegalStateException(lib.failure());
        }
        MemorySegment f = lib.lookup().find("sparq_noop8").orElseThrow();
        FunctionDescriptor d = FunctionDescriptor.ofVoid(P, P, P, P, P, P, P, I32, I32);
        regular = Linker.nativeLinker().downcallHandle(f, d);
        critical = Linker.nativeLinker().downcallHandle(f, d, Linker.Option.critical(false));
    }

    public void regular(MemorySegment p, int a, int b) {
        try {
            regular.invokeExact(p, p, p, p, p, p, p, a, b);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    public void critical(MemorySegment p, int a, int b) {
        try {
            critical.invokeExact(p, p, p, p, p, p, p, a, b);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }
}
