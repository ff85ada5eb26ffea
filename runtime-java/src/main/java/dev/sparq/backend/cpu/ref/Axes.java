package dev.sparq.backend.cpu.ref;

/** Small shape arithmetic shared by the kernels: products of dim ranges, index and axis normalization. */
final class Axes {
    private Axes() {
    }

    /** Product of shape[from..to), e.g. the "outer" and "inner" sizes around an axis. */
    static long product(long[] shape, int from, int to) {
        long p = 1;
        for (int i = from; i < to; i++) {
            p *= shape[i];
        }
        return p;
    }

    /** An index into a dim of size {@code dim}, negative counting from the end; out of range is an error. */
    static long index(long index, long dim) {
        long k = index < 0 ? index + dim : index;
        if (k < 0 || k >= dim) {
            throw new IllegalArgumentException("index " + index + " is out of range for a dim of " + dim);
        }
        return k;
    }

    /**
     * A split point for coercing to 2-D (Flatten, Softmax before opset 13): axis in [−rank, rank], where rank
     * itself means "all dims are outer".
     */
    static int splitPoint(long axis, int rank) {
        long a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a > rank) {
            throw new IllegalArgumentException("axis " + axis + " is out of range for rank " + rank);
        }
        return (int) a;
    }

    static long clamp(long v, long lo, long hi) {
        return Math.max(lo, Math.min(hi, v));
    }
}
