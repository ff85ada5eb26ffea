package dev.sparq.backend.cpu.simd;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** {@link SimdOps} on the Vector API; tails use masks, so no scalar epilogue loops. */
final class PanamaOps implements SimdOps {
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    private final VectorSpecies<Float> s;
    private final int v;

    PanamaOps(VectorSpecies<Float> species) {
        this.s = species;
        this.v = species.length();
    }

    @Override
    public void axpy(float[] y, int yOff, float a, MemorySegment x, long xIndex, int n) {
        FloatVector av = FloatVector.broadcast(s, a);
        int i = 0;
        for (; i <= n - v; i += v) {
            FloatVector xv = FloatVector.fromMemorySegment(s, x, (xIndex + i) * Float.BYTES, ORDER);
            av.fma(xv, FloatVector.fromArray(s, y, yOff + i)).intoArray(y, yOff + i);
        }
        if (i < n) {
            VectorMask<Float> m = s.indexInRange(i, n);
            FloatVector xv = FloatVector.fromMemorySegment(s, x, (xIndex + i) * Float.BYTES, ORDER, m);
            av.fma(xv, FloatVector.fromArray(s, y, yOff + i, m)).intoArray(y, yOff + i, m);
        }
    }

    @Override
    public void axpyStrided(float[] y, int yOff, float a, MemorySegment x, long xIndex, int stride, int n) {
        for (int i = 0; i < n; i++) {
            y[yOff + i] = Math.fma(a, x.getAtIndex(ValueLayout.JAVA_FLOAT, xIndex + (long) i * stride), y[yOff + i]);
        }
    }

    @Override
    public void storeRow(float[] acc, int n, float bias, float min, float max, MemorySegment out, long outIndex) {
        int i = 0;
        for (; i <= n - v; i += v) {
            FloatVector r = FloatVector.fromArray(s, acc, i).add(bias)
                .lanewise(VectorOperators.MAX, min).lanewise(VectorOperators.MIN, max);
            r.intoMemorySegment(out, (outIndex + i) * Float.BYTES, ORDER);
        }
        if (i < n) {
            VectorMask<Float> m = s.indexInRange(i, n);
            FloatVector r = FloatVector.fromArray(s, acc, i, m).add(bias)
                .lanewise(VectorOperators.MAX, min).lanewise(VectorOperators.MIN, max);
            r.intoMemorySegment(out, (outIndex + i) * Float.BYTES, ORDER, m);
        }
    }

    @Override
    public void addClamp(MemorySegment a, MemorySegment b, MemorySegment out, long n, float min, float max) {
        long i = 0;
        for (; i <= n - v; i += v) {
            long off = i * Float.BYTES;
            FloatVector.fromMemorySegment(s, a, off, ORDER).add(FloatVector.fromMemorySegment(s, b, off, ORDER))
                .lanewise(VectorOperators.MAX, min).lanewise(VectorOperators.MIN, max)
                .intoMemorySegment(out, off, ORDER);
        }
        if (i < n) {
            VectorMask<Float> m = s.indexInRange(i, n);
            long off = i * Float.BYTES;
            FloatVector.fromMemorySegment(s, a, off, ORDER, m).add(FloatVector.fromMemorySegment(s, b, off, ORDER, m))
                .lanewise(VectorOperators.MAX, min).lanewise(VectorOperators.MIN, max)
                .intoMemorySegment(out, off, ORDER, m);
        }
    }

    @Override
    public void clamp(MemorySegment x, MemorySegment out, long n, float min, float max) {
        long i = 0;
        for (; i <= n - v; i += v) {
            long off = i * Float.BYTES;
            FloatVector.fromMemorySegment(s, x, off, ORDER)
                .lanewise(VectorOperators.MAX, min).lanewise(VectorOperators.MIN, max)
                .intoMemorySegment(out, off, ORDER);
        }
        if (i < n) {
            VectorMask<Float> m = s.indexInRange(i, n);
            long off = i * Float.BYTES;
            FloatVector.fromMemorySegment(s, x, off, ORDER, m)
                .lanewise(VectorOperators.MAX, min).lanewise(VectorOperators.MIN, max)
                .intoMemorySegment(out, off, ORDER, m);
        }
    }

    @Override
    public float sum(MemorySegment x, long index, int n) {
        FloatVector acc = FloatVector.zero(s);
        int i = 0;
        for (; i <= n - v; i += v) {
            acc = acc.add(FloatVector.fromMemorySegment(s, x, (index + i) * Float.BYTES, ORDER));
        }
        if (i < n) {
            VectorMask<Float> m = s.indexInRange(i, n);
            acc = acc.add(FloatVector.fromMemorySegment(s, x, (index + i) * Float.BYTES, ORDER, m));
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }
}
