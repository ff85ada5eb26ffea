package dev.sparq.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The native memory of a tensor that owns its memory. Each block has its own shared arena, since any thread may use
 * or close the tensor; but closing a shared arena makes the JVM handshake with every thread (~60 µs here), more than
 * a small model's whole run. So blocks of up to {@link #MAX_POOLED} bytes are not closed when their tensor is: they
 * wait, by power-of-two size, for the next tensor of that size, up to {@link #MAX_IDLE_BYTES} waiting in all.
 * Larger blocks, and blocks past that bound, close their arena at once.
 */
final class OwnedMemory {
    /** Largest block kept for reuse. */
    static final long MAX_POOLED = 1 << 20;
    /** Bytes of closed tensors' blocks kept for reuse, at most. */
    static final long MAX_IDLE_BYTES = 64L << 20;
    /** The smallest size class: 64 bytes, one alignment unit. */
    private static final int MIN_SHIFT = 6;
    private static final int MAX_SHIFT = Long.numberOfTrailingZeros(MAX_POOLED);
    @SuppressWarnings("unchecked")
    private static final ConcurrentLinkedDeque<OwnedMemory>[] IDLE = new ConcurrentLinkedDeque[MAX_SHIFT + 1];
    private static final AtomicLong IDLE_BYTES = new AtomicLong();

    static {
        for (int s = MIN_SHIFT; s <= MAX_SHIFT; s++) {
            IDLE[s] = new ConcurrentLinkedDeque<>();
        }
    }

    private final Arena arena;
    private final MemorySegment block;
    /** log2 of the block size, or -1 for a block sized to one tensor and never reused. */
    private final int shift;

    private OwnedMemory(Arena arena, MemorySegment block, int shift) {
        this.arena = arena;
        this.block = block;
        this.shift = shift;
    }

    /** A zero-filled block of at least {@code bytes} (≥ 1) bytes, 64-byte aligned. */
    static OwnedMemory allocate(long bytes) {
        if (bytes > MAX_POOLED) {
            Arena arena = Arena.ofShared();
            return new OwnedMemory(arena, arena.allocate(bytes, Tensor.ALIGNMENT), -1);
        }
        int shift = Math.max(MIN_SHIFT, 64 - Long.numberOfLeadingZeros(bytes - 1));
        OwnedMemory reused = IDLE[shift].pollFirst(); // the last given back: likeliest still in cache
        if (reused != null) {
            IDLE_BYTES.addAndGet(-reused.block.byteSize());
            reused.block.asSlice(0, bytes).fill((byte) 0);
            return reused;
        }
        Arena arena = Arena.ofShared();
        return new OwnedMemory(arena, arena.allocate(1L << shift, Tensor.ALIGNMENT), shift);
    }

    /** The first {@code bytes} of the block. */
    MemorySegment segment(long bytes) {
        return block.asSlice(0, bytes);
    }

    /** The tensor is closed: keep the block for the next one of its size, or free it. Called once per allocate. */
    void release() {
        long size = block.byteSize();
        if (shift >= 0 && IDLE_BYTES.addAndGet(size) <= MAX_IDLE_BYTES) {
            IDLE[shift].offerFirst(this);
        } else {
            if (shift >= 0) {
                IDLE_BYTES.addAndGet(-size);
            }
            arena.close();
        }
    }

    /** Bytes waiting for reuse (for tests). */
    static long idleBytes() {
        return IDLE_BYTES.get();
    }
}
