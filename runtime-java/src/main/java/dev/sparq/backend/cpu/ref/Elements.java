package dev.sparq.backend.cpu.ref;

import dev.sparq.tensor.DType;
import dev.sparq.tensor.Shapes;
import dev.sparq.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/** Dtype-agnostic element movement shared by the data-movement kernels: raw byte copies, strided gathers, casts. */
final class Elements {
    private Elements() {
    }

    /** Copies {@code count} elements of {@code elemBytes} each, from element index si of src to di of dst. */
    static void copy(MemorySegment src, long si, MemorySegment dst, long di, long count, int elemBytes) {
        MemorySegment.copy(src, si * elemBytes, dst, di * elemBytes, count * elemBytes);
    }

    /**
     * Fills {@code dst} (C order) from {@code src} read at {@code start + Σ coord[k]·srcStrides[k]}: Transpose
     * (permuted strides), Slice (steps), Expand (zero strides). Contiguous innermost runs are copied in one go.
     */
    static void copyStrided(Tensor src, long start, long[] srcStrides, Tensor dst) {
        long[] shape = dst.shape();
        int rank = shape.length;
        int bytes = src.dtype().byteSize();
        MemorySegment s = src.segment();
        MemorySegment d = dst.segment();
        if (dst.size() == 0) {
            return;
        }
        if (rank == 0) {
            copy(s, start, d, 0, 1, bytes);
            return;
        }
        long inner = shape[rank - 1];
        long innerStride = srcStrides[rank - 1];
        long[] outer = Arrays.copyOf(shape, rank - 1);
        long[] outerStrides = Arrays.copyOf(srcStrides, rank - 1);
        StridedCursor c = StridedCursor.startingAt(outer, new long[] {start}, outerStrides);
        long runs = Shapes.size(outer);
        long di = 0;
        for (long r = 0; r < runs; r++) {
            long si = c.offset(0);
            if (innerStride == 1) {
                copy(s, si, d, di, inner, bytes);
                di += inner;
            } else {
                for (long j = 0; j < inner; j++, di++) {
                    copy(s, si + j * innerStride, d, di, 1, bytes);
                }
            }
            c.advance();
        }
    }

    /** Converts one element between any dtypes, NumPy astype style (float to int truncates, ints wrap). */
    static void convert(Tensor src, long si, Tensor dst, long di) {
        if (src.dtype().isFloating()) {
            dst.setDouble(di, src.getDouble(si));
        } else if (dst.dtype() == DType.F32) {
            dst.setFloat(di, (float) src.getLong(si)); // direct long->float rounds once
        } else {
            dst.setLong(di, src.getLong(si));
        }
    }

    /** The elements of a small integer tensor (shape, axes, pads, indices inputs) as a long array. */
    static long[] longs(Tensor t) {
        if (t.dtype().isFloating()) {
            throw new IllegalArgumentException("expected an integer tensor, got " + t.dtype());
        }
        return t.toLongArray();
    }

    /** A new 1-D I64 tensor holding {@code values}. */
    static Tensor int64Vector(dev.sparq.backend.ExecutionContext ctx, long[] values) {
        Tensor t = ctx.allocate(DType.I64, values.length);
        for (int i = 0; i < values.length; i++) {
            t.setLong(i, values[i]);
        }
        return t;
    }

    /** A new tensor from {@code ctx} holding a copy of {@code x}. */
    static Tensor copyOf(Tensor x, dev.sparq.backend.ExecutionContext ctx) {
        Tensor y = ctx.allocate(x.dtype(), x.shape());
        copyAll(x, y);
        return y;
    }

    /** Copies a whole tensor of the same dtype and size into {@code dst} (which may have another shape). */
    static void copyAll(Tensor src, Tensor dst) {
        MemorySegment.copy(src.segment(), 0, dst.segment(), 0, src.byteSize());
    }
}
