package dev.sparq.nativecpu;

import dev.sparq.backend.WeightPrefetch;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * {@link WeightPrefetch} through the kernel library's {@code sparq_prefetch_l2}: a critical downcall that may take a
 * heap array's segment (the GC waits for the few hundred prefetch instructions), so weights packed in Java float
 * arrays need no copy. The range is checked here; C trusts it.
 */
public final class NativeWeightPrefetch implements WeightPrefetch {
    @Override
    public boolean available() {
        return Handle.PREFETCH != null;
    }

    @Override
    public void prefetch(MemorySegment weights, long offset, long bytes) {
        if (offset < 0 || bytes < 0 || offset > weights.byteSize() - bytes) {
            throw new IllegalArgumentException("prefetch of " + bytes + " bytes at " + offset + " outside a segment of "
                + weights.byteSize());
        }
        if (Handle.PREFETCH == null) {
            throw new IllegalStateException("native prefetch unavailable: " + CpuKernels.get().failure());
        }
        try {
            Handle.PREFETCH.invokeExact(weights, offset, bytes);
        } catch (Throwable e) {
            throw new IllegalStateException("sparq_prefetch_l2 failed", e);
        }
    }

    /** The downcall, or null where the library did not load: a constant the JIT can inline. */
    private static final class Handle {
        static final MethodHandle PREFETCH = create();

        private static MethodHandle create() {
            if (CpuKernels.get().failure() != null) { // also the ABI version check
                return null;
            }
            return NativeLibrary.get().lookup().find("sparq_prefetch_l2")
                .map(f -> Linker.nativeLinker().downcallHandle(f, FunctionDescriptor.ofVoid(ValueLayout.ADDRESS,
                    ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG), Linker.Option.critical(true)))
                .orElse(null);
        }
    }
}
