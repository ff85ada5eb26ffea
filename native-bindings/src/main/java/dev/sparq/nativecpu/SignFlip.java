package dev.sparq.nativecpu;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** int8 → uint8 by adding 128 (flipping each byte's sign bit), eight bytes at a time. */
final class SignFlip {
    private static final long SIGN_BITS = 0x8080808080808080L;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;

    private SignFlip() {
    }

    /** dst[i] = src[i] ^ 0x80 for every byte of src (dst at least as large). */
    static void copy(MemorySegment src, MemorySegment dst) {
        long n = src.byteSize();
        long i = 0;
        for (; i + 8 <= n; i += 8) {
            dst.set(LONG, i, src.get(LONG, i) ^ SIGN_BITS);
        }
        for (; i < n; i++) {
            dst.set(ValueLayout.JAVA_BYTE, i, (byte) (src.get(ValueLayout.JAVA_BYTE, i) ^ 0x80));
        }
    }
}
