package dev.sparq.tensor;

import java.util.Arrays;

/** Static helpers for shapes as long[]: element counts with overflow checks, strides, broadcasting. */
public final class Shapes {
    /** Upper bound on elements in one tensor: keeps byte sizes far from overflow and hostile shapes out. */
    public static final long MAX_ELEMENTS = 1L << 40;

    private Shapes() {
    }

    /** Number of elements; throws IllegalArgumentException on negative dims or absurd sizes. */
    public static long size(long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            }
            // the full 128-bit product, not n > MAX / d: a 64-bit division per dimension shows on every tensor
            // of a sub-µs layer
            long p = n * d;
            if (Math.multiplyHigh(n, d) != 0 || Long.compareUnsigned(p, MAX_ELEMENTS) > 0) {
                throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has too many elements");
            }
            n = p;
        }
        return n;
    }

    /** Row-major (C order) strides in elements. */
    public static long[] strides(long[] shape) {
        long[] s = new long[shape.length];
        long acc = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            s[i] = acc;
            acc *= shape[i];
        }
        return s;
    }

    /** NumPy-style multidirectional broadcast of two shapes. */
    public static long[] broadcast(long[] a, long[] b) {
        int rank = Math.max(a.length, b.length);
        long[] out = new long[rank];
        for (int i = 0; i < rank; i++) {
            long da = i < rank - a.length ? 1 : a[i - (rank - a.length)];
            long db = i < rank - b.length ? 1 : b[i - (rank - b.length)];
            if (da == db || db == 1) {
                out[i] = da;
            } else if (da == 1) {
                out[i] = db;
            } else {
                throw new IllegalArgumentException("shapes " + Arrays.toString(a) + " and " + Arrays.toString(b)
                    + " cannot be broadcast");
            }
        }
        return out;
    }

    /** Strides for reading a tensor of shape {@code from} as if broadcast to {@code to} (0 on broadcast axes). */
    public static long[] broadcastStrides(long[] from, long[] to) {
        long[] own = strides(from);
        long[] s = new long[to.length];
        int off = to.length - from.length;
        for (int i = 0; i < to.length; i++) {
            int j = i - off;
            s[i] = (j < 0 || from[j] == 1) ? 0 : own[j];
        }
        return s;
    }

    /** Normalizes a possibly negative axis into [0, rank); {@code what} names it in the error. */
    public static int axis(long axis, int rank, String what) {
        long a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank) {
            throw new IllegalArgumentException(what + " " + axis + " is out of range for rank " + rank);
        }
        return (int) a;
    }

    public static String toString(long[] shape) {
        return Arrays.toString(shape);
    }
}
