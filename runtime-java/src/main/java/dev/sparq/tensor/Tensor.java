package dev.sparq.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;

/**
 * A dense, C-ordered tensor in off-heap memory (64-byte aligned).
 *
 * <p>A tensor either owns its memory (created by {@link #allocate} or the {@code from*} factories; {@link #close()}
 * frees it) or is a view on memory owned by someone else (a session's weights, another tensor); closing a view
 * does nothing. Any access after the owner is closed throws {@link IllegalStateException}, never crashes.
 *
 * <p>Owned memory of up to 1 MiB is not returned to the system at close but kept for the next tensor of its size
 * (64 MiB at most in all): freeing it would cost a handshake with every JVM thread, ~60 µs, per tensor. A segment
 * obtained from {@link #segment()} before the close stays readable then, and may show another tensor's data.
 */
public final class Tensor implements AutoCloseable {
    public static final long ALIGNMENT = 64;

    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT;
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE;
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT;
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT;
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG;

    private final DType dtype;
    private final long[] shape;
    private final long size;
    private final MemorySegment data;
    private final OwnedMemory own;
    private final Tensor owner;
    private volatile boolean closed;

    private Tensor(DType dtype, long[] shape, MemorySegment data, OwnedMemory own, Tensor owner) {
        this.dtype = Objects.requireNonNull(dtype, "dtype");
        this.shape = shape.clone();
        this.size = Shapes.size(shape);
        if (data.byteSize() < size * dtype.byteSize()) {
            throw new IllegalArgumentException("segment of " + data.byteSize() + " bytes is too small for "
                + dtype + Arrays.toString(shape));
        }
        this.data = data;
        this.own = own;
        this.owner = owner;
    }

    /** A new zero-filled tensor that owns its memory. */
    public static Tensor allocate(DType dtype, long... shape) {
        long bytes = Math.max(Shapes.size(shape) * dtype.byteSize(), 1);
        OwnedMemory memory = OwnedMemory.allocate(bytes);
        return new Tensor(dtype, shape, memory.segment(bytes), memory, null);
    }

    /** A new zero-filled tensor whose memory belongs to {@code arena} (freed when the arena closes). */
    public static Tensor allocate(DType dtype, long[] shape, Arena arena) {
        long bytes = Shapes.size(shape) * dtype.byteSize();
        return new Tensor(dtype, shape, arena.allocate(Math.max(bytes, 1), ALIGNMENT), null, null);
    }

    /** Wraps memory owned elsewhere; the caller guarantees the segment holds {@code dtype × shape}. */
    public static Tensor wrap(DType dtype, long[] shape, MemorySegment data) {
        return new Tensor(dtype, shape, data, null, null);
    }

    public static Tensor fromFloats(float[] values, long... shape) {
        Tensor t = allocate(DType.F32, checkCount(values.length, shape));
        MemorySegment.copy(values, 0, t.data, F32, 0, values.length);
        return t;
    }

    public static Tensor fromInts(int[] values, long... shape) {
        Tensor t = allocate(DType.I32, checkCount(values.length, shape));
        MemorySegment.copy(values, 0, t.data, I32, 0, values.length);
        return t;
    }

    public static Tensor fromLongs(long[] values, long... shape) {
        Tensor t = allocate(DType.I64, checkCount(values.length, shape));
        MemorySegment.copy(values, 0, t.data, I64, 0, values.length);
        return t;
    }

    /** Bytes as I8, U8 or BOOL elements. */
    public static Tensor fromBytes(DType dtype, byte[] values, long... shape) {
        if (dtype.byteSize() != 1) {
            throw new IllegalArgumentException("fromBytes needs a one-byte dtype, not " + dtype);
        }
        Tensor t = allocate(dtype, checkCount(values.length, shape));
        MemorySegment.copy(values, 0, t.data, ValueLayout.JAVA_BYTE, 0, values.length);
        return t;
    }

    /** Reads a NumPy .npy file into a new tensor. */
    public static Tensor fromNpy(Path path) {
        return Npy.read(path);
    }

    private static long[] checkCount(int count, long[] shape) {
        if (Shapes.size(shape) != count) {
            throw new IllegalArgumentException(count + " values do not fill shape " + Arrays.toString(shape));
        }
        return shape;
    }

    public DType dtype() {
        return dtype;
    }

    public long[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    public long dim(int axis) {
        return shape[axis];
    }

    public long size() {
        return size;
    }

    public long byteSize() {
        return size * dtype.byteSize();
    }

    /** The memory, exactly {@link #byteSize()} long. Throws if the tensor or its owner is closed. */
    public MemorySegment segment() {
        checkOpen();
        return data.asSlice(0, byteSize());
    }

    /** A view of the same memory with another shape of the same element count. */
    public Tensor reshape(long... newShape) {
        checkOpen();
        if (Shapes.size(newShape) != size) {
            throw new IllegalArgumentException("cannot reshape " + Arrays.toString(shape) + " to "
                + Arrays.toString(newShape));
        }
        return new Tensor(dtype, newShape, data, null, rootOwner());
    }

    /** An owning deep copy. */
    public Tensor copy() {
        checkOpen();
        Tensor t = allocate(dtype, shape);
        MemorySegment.copy(data, 0, t.data, 0, byteSize());
        return t;
    }

    private Tensor rootOwner() {
        return owner != null ? owner : (own != null ? this : null);
    }

    public boolean isClosed() {
        Tensor root = rootOwner();
        return closed || (root != null && root.closed);
    }

    /** The memory, checked open: pooled memory outlives its tensor, so its segment alone would not throw. */
    private MemorySegment live() {
        checkOpen();
        return data;
    }

    private void checkOpen() {
        if (isClosed()) {
            throw new IllegalStateException("tensor " + dtype + Arrays.toString(shape) + " is closed");
        }
    }

    // Element access by flat index. Conversions follow NumPy's astype: floats truncate toward zero into
    // integers, integers wrap modulo 2^bits. Reference kernels use these; fast kernels use segment().

    public float getFloat(long i) {
        return dtype == DType.F32 ? live().getAtIndex(F32, i) : (float) getDouble(i);
    }

    public void setFloat(long i, float v) {
        if (dtype == DType.F32) {
            live().setAtIndex(F32, i, v);
        } else {
            setDouble(i, v);
        }
    }

    public double getDouble(long i) {
        return switch (dtype) {
            case F32 -> live().getAtIndex(F32, i);
            case F64 -> live().getAtIndex(F64, i);
            case F16 -> Float.float16ToFloat(live().getAtIndex(I16, i));
            default -> getLong(i);
        };
    }

    public void setDouble(long i, double v) {
        switch (dtype) {
            case F32 -> live().setAtIndex(F32, i, (float) v);
            case F64 -> live().setAtIndex(F64, i, v);
            case F16 -> live().setAtIndex(I16, i, Float.floatToFloat16((float) v));
            case BOOL -> live().set(ValueLayout.JAVA_BYTE, i, (byte) (v != 0 ? 1 : 0));
            default -> setLong(i, (long) v);
        }
    }

    public long getLong(long i) {
        return switch (dtype) {
            case I8 -> live().get(ValueLayout.JAVA_BYTE, i);
            case U8 -> live().get(ValueLayout.JAVA_BYTE, i) & 0xFF;
            case BOOL -> live().get(ValueLayout.JAVA_BYTE, i) != 0 ? 1 : 0;
            case I16 -> live().getAtIndex(I16, i);
            case U16 -> live().getAtIndex(I16, i) & 0xFFFF;
            case I32 -> live().getAtIndex(I32, i);
            case U32 -> live().getAtIndex(I32, i) & 0xFFFFFFFFL;
            case I64 -> live().getAtIndex(I64, i);
            case F32, F64, F16 -> (long) getDouble(i);
        };
    }

    public void setLong(long i, long v) {
        switch (dtype) {
            case I8, U8 -> live().set(ValueLayout.JAVA_BYTE, i, (byte) v);
            case BOOL -> live().set(ValueLayout.JAVA_BYTE, i, (byte) (v != 0 ? 1 : 0));
            case I16, U16 -> live().setAtIndex(I16, i, (short) v);
            case I32, U32 -> live().setAtIndex(I32, i, (int) v);
            case I64 -> live().setAtIndex(I64, i, v);
            case F32, F64, F16 -> setDouble(i, v);
        }
    }

    public float[] toFloatArray() {
        checkOpen();
        checkArraySize();
        float[] out = new float[(int) size];
        if (dtype == DType.F32) {
            MemorySegment.copy(data, F32, 0, out, 0, out.length);
        } else {
            for (int i = 0; i < out.length; i++) {
                out[i] = getFloat(i);
            }
        }
        return out;
    }

    public long[] toLongArray() {
        checkOpen();
        checkArraySize();
        long[] out = new long[(int) size];
        for (int i = 0; i < out.length; i++) {
            out[i] = getLong(i);
        }
        return out;
    }

    private void checkArraySize() {
        if (size > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException("tensor of " + size + " elements does not fit a Java array");
        }
    }

    /** Frees the memory if this tensor owns it; idempotent. Views are only marked closed. */
    @Override
    public void close() {
        // once, even when two threads close at the same time: a block given back twice would go to two tensors
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        if (own != null) {
            own.release();
        }
    }

    @Override
    public String toString() {
        return "Tensor(" + dtype + Arrays.toString(shape) + (isClosed() ? ", closed)" : ")");
    }
}
