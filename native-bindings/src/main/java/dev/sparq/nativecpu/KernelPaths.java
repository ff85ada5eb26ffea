package dev.sparq.nativecpu;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

/**
 * The two entry points every native kernel family exports: the name of the code path it picked for this CPU
 * ({@code const char *f(void)}) and forcing one by name ({@code int f(const char *)}, 0 when the CPU lacks it).
 */
final class KernelPaths {
    private KernelPaths() {
    }

    /** The path name a {@code () -> const char*} entry returns. */
    static String name(MethodHandle pathFn) {
        try {
            return ((MemorySegment) pathFn.invokeExact()).reinterpret(64).getString(0);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Calls a {@code (const char*) -> int} force entry; false if this CPU lacks the path. */
    static boolean force(MethodHandle forceFn, String path) {
        try (Arena arena = Arena.ofConfined()) {
            return (int) forceFn.invokeExact(arena.allocateFrom(path)) != 0;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }
}
