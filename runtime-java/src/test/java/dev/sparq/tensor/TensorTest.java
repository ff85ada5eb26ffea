package dev.sparq.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import org.junit.jupiter.api.Test;

class TensorTest {
    @Test
    void elementCountsUpToTheLimitPassAndOverflowIsCaught() {
        long max = Shapes.MAX_ELEMENTS;
        assertEquals(max, Shapes.size(new long[] {max}));
        assertEquals(max, Shapes.size(new long[] {1L << 20, 1L << 20}));
        assertEquals(0, Shapes.size(new long[] {0, Long.MAX_VALUE}));
        assertEquals(0, Shapes.size(new long[] {3, 0, 1L << 62}));
        // one past the limit; products that wrap 64 bits to small or negative values
        for (long[] shape : new long[][] {{max + 1}, {(1L << 20) + 1, 1L << 20}, {1L << 32, 1L << 32},
            {(1L << 32) + 1, 1L << 32}, {3, 1L << 62}, {Long.MAX_VALUE, 2}, {max, max}}) {
            assertThrows(IllegalArgumentException.class, () -> Shapes.size(shape), java.util.Arrays.toString(shape));
        }
        assertThrows(IllegalArgumentException.class, () -> Shapes.size(new long[] {2, -1}));
    }

    @Test
    void memoryIsAlignedAndZeroed() {
        try (Tensor t = Tensor.allocate(DType.F32, 3, 5)) {
            assertEquals(0, t.segment().address() % Tensor.ALIGNMENT);
            assertEquals(15, t.size());
            assertEquals(60, t.byteSize());
            for (int i = 0; i < 15; i++) {
                assertEquals(0f, t.getFloat(i));
            }
        }
    }

    @Test
    void useAfterCloseThrowsInsteadOfCrashing() {
        Tensor t = Tensor.fromFloats(new float[] {1, 2, 3}, 3);
        Tensor view = t.reshape(1, 3);
        t.close();
        t.close(); // idempotent
        assertTrue(view.isClosed());
        assertThrows(IllegalStateException.class, t::segment);
        assertThrows(IllegalStateException.class, view::toFloatArray);
        assertThrows(IllegalStateException.class, () -> t.getFloat(0));
    }

    @Test
    void aClosedSmallTensorsMemoryComesBackZeroedToTheNextOfItsSize() {
        Tensor first = Tensor.fromFloats(new float[] {1, 2, 3, 4, 5}, 5);
        long address = first.segment().address();
        long idle = OwnedMemory.idleBytes();
        first.close();
        first.close(); // given back once: a second release would hand the block to two tensors
        assertEquals(idle + 64, OwnedMemory.idleBytes());
        // 5 and 16 floats share the 64-byte class; other tests may run meanwhile, so look for the block, not at it
        java.util.List<Tensor> taken = new java.util.ArrayList<>();
        boolean seen = false;
        for (int i = 0; i < 64 && !seen; i++) {
            Tensor t = Tensor.allocate(DType.F32, 16);
            taken.add(t);
            seen = t.segment().address() == address;
            assertArrayEquals(new float[16], t.toFloatArray());
        }
        taken.forEach(Tensor::close);
        assertTrue(seen, "the closed tensor's block was not reused");
        assertThrows(IllegalStateException.class, () -> first.getFloat(0));
    }

    @Test
    void aClosedLargeTensorFreesItsMemory() {
        Tensor big = Tensor.allocate(DType.F32, OwnedMemory.MAX_POOLED / 4 + 1);
        java.lang.foreign.MemorySegment seg = big.segment();
        long idle = OwnedMemory.idleBytes();
        big.close();
        assertEquals(idle, OwnedMemory.idleBytes());
        assertThrows(IllegalStateException.class, () -> seg.get(java.lang.foreign.ValueLayout.JAVA_FLOAT, 0));
    }

    @Test
    void arenaOwnedTensorsDieWithTheirArena() {
        Tensor t;
        try (Arena arena = Arena.ofConfined()) {
            t = Tensor.allocate(DType.I8, new long[] {4}, arena);
            t.setLong(0, 5);
            assertEquals(5, t.getLong(0));
        }
        assertThrows(IllegalStateException.class, () -> t.getLong(0));
    }

    @Test
    void conversionsFollowNumpy() {
        try (Tensor u8 = Tensor.allocate(DType.U8, 2); Tensor i8 = Tensor.allocate(DType.I8, 1);
             Tensor h = Tensor.allocate(DType.F16, 1); Tensor b = Tensor.allocate(DType.BOOL, 1)) {
            u8.setLong(0, 300); // wraps modulo 256
            assertEquals(44, u8.getLong(0));
            u8.setDouble(1, 200.9); // truncates toward zero
            assertEquals(200, u8.getLong(1));
            i8.setLong(0, 200);
            assertEquals(-56, i8.getLong(0));
            h.setFloat(0, 1.5f);
            assertEquals(1.5f, h.getFloat(0));
            b.setDouble(0, -3);
            assertEquals(1, b.getLong(0));
        }
    }

    @Test
    void rejectsBadShapes() {
        assertThrows(IllegalArgumentException.class, () -> Tensor.allocate(DType.F32, 2, -1));
        assertThrows(IllegalArgumentException.class, () -> Tensor.allocate(DType.F32, 1L << 30, 1L << 30));
        assertThrows(IllegalArgumentException.class, () -> Tensor.fromFloats(new float[3], 2, 2));
        try (Tensor t = Tensor.fromLongs(new long[] {1, 2, 3, 4}, 2, 2)) {
            assertThrows(IllegalArgumentException.class, () -> t.reshape(3));
            assertArrayEquals(new long[] {1, 2, 3, 4}, t.reshape(4).toLongArray());
        }
    }

    @Test
    void broadcastingFollowsNumpy() {
        assertArrayEquals(new long[] {2, 3, 4}, Shapes.broadcast(new long[] {3, 1}, new long[] {2, 1, 4}));
        assertArrayEquals(new long[] {0, 1, 0}, Shapes.broadcastStrides(new long[] {3, 1}, new long[] {2, 3, 4}));
        assertThrows(IllegalArgumentException.class, () -> Shapes.broadcast(new long[] {3}, new long[] {4}));
    }
}
