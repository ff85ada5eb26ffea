package dev.sparq.backend.cpu.simd;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/** {@link SimdOps} on the Vector API; tails use masks, so no scalar epilogue loops. */
final class PanamaOps implements SimdOps {
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    // Static final: C2 turns Vector API calls into instructions only when the species is a constant.
    private static final VectorSpecies<Float> S = PanamaSpecies.floats(SimdConfig.BITS == 0 ? 128 : SimdConfig.BITS);
    private static final int V = S.length();
    // Lane i of the result takes lane 2i (or 2i+1) of the pair (a, b); indices past V select from b.
    private static final VectorShuffle<Float> EVEN = VectorShuffle.fromOp(S, i -> 2 * i);
    private static final VectorShuffle<Float> ODD = VectorShuffle.fromOp(S, i -> 2 * i + 1);

    @Override
    public void axpy(float[] y, int yOff, float a, MemorySegment x, long xIndex, int n) {
        FloatVector av = FloatVector.broadcast(S, a);
        int i = 0;
        for (; i <= n - V; i += V) {
            FloatVector xv = FloatVector.fromMemorySegment(S, x, (xIndex + i) * Float.BYTES, ORDER);
            av.fma(xv, FloatVector.fromArray(S, y, yOff + i)).intoArray(y, yOff + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector xv = FloatVector.fromMemorySegment(S, x, (xIndex + i) * Float.BYTES, ORDER, m);
            av.fma(xv, FloatVector.fromArray(S, y, yOff + i, m)).intoArray(y, yOff + i, m);
        }
    }

    @Override
    public void axpy(float[] y, int yOff, float a, float[] x, int xOff, int n) {
        FloatVector av = FloatVector.broadcast(S, a);
        int i = 0;
        for (; i <= n - V; i += V) {
            av.fma(FloatVector.fromArray(S, x, xOff + i), FloatVector.fromArray(S, y, yOff + i)).intoArray(y, yOff + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            av.fma(FloatVector.fromArray(S, x, xOff + i, m), FloatVector.fromArray(S, y, yOff + i, m))
                .intoArray(y, yOff + i, m);
        }
    }

    @Override
    public void deinterleave2(float[] src, int srcOff, int n, float[] even, int evenOff, float[] odd, int oddOff) {
        int i = 0;
        for (; i + 2 * V <= n; i += 2 * V) {
            FloatVector a = FloatVector.fromArray(S, src, srcOff + i);
            FloatVector b = FloatVector.fromArray(S, src, srcOff + i + V);
            a.rearrange(EVEN, b).intoArray(even, evenOff + i / 2);
            a.rearrange(ODD, b).intoArray(odd, oddOff + i / 2);
        }
        for (; i < n; i += 2) {
            even[evenOff + i / 2] = src[srcOff + i];
            if (i + 1 < n) {
                odd[oddOff + i / 2] = src[srcOff + i + 1];
            }
        }
    }

    @Override
    public void axpyStrided(float[] y, int yOff, float a, MemorySegment x, long xIndex, int stride, int n) {
        for (int i = 0; i < n; i++) {
            y[yOff + i] = Math.fma(a, x.getAtIndex(ValueLayout.JAVA_FLOAT, xIndex + (long) i * stride), y[yOff + i]);
        }
    }

    @Override
    public void max(float[] y, int yOff, float[] x, int xOff, int n) {
        int i = 0;
        for (; i <= n - V; i += V) {
            FloatVector.fromArray(S, y, yOff + i).lanewise(VectorOperators.MAX, FloatVector.fromArray(S, x, xOff + i))
                .intoArray(y, yOff + i);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector.fromArray(S, y, yOff + i, m).lanewise(VectorOperators.MAX, FloatVector.fromArray(S, x, xOff + i, m))
                .intoArray(y, yOff + i, m);
        }
    }

    @Override
    public void storeRow(float[] acc, int accOff, int n, float bias, float min, float max, MemorySegment out,
                         long outIndex) {
        int i = 0;
        for (; i <= n - V; i += V) {
            FloatVector r = FloatVector.fromArray(S, acc, accOff + i).add(bias)
                .lanewise(VectorOperators.MAX, min).lanewise(VectorOperators.MIN, max);
            r.intoMemorySegment(out, (outIndex + i) * Float.BYTES, ORDER);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector r = FloatVector.fromArray(S, acc, accOff + i, m).add(bias)
                .lanewise(VectorOperators.MAX, min).lanewise(VectorOperators.MIN, max);
            r.intoMemorySegment(out, (outIndex + i) * Float.BYTES, ORDER, m);
        }
    }

    @Override
    public void clamp(MemorySegment x, MemorySegment out, long n, float min, float max) {
        long i = 0;
        for (; i <= n - V; i += V) {
            long off = i * Float.BYTES;
            FloatVector.fromMemorySegment(S, x, off, ORDER)
                .lanewise(VectorOperators.MAX, min).lanewise(VectorOperators.MIN, max)
                .intoMemorySegment(out, off, ORDER);
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            long off = i * Float.BYTES;
            FloatVector.fromMemorySegment(S, x, off, ORDER, m)
                .lanewise(VectorOperators.MAX, min).lanewise(VectorOperators.MIN, max)
                .intoMemorySegment(out, off, ORDER, m);
        }
    }

    @Override
    public void binary(Arith op, MemorySegment a, long aIndex, int aStep, MemorySegment b, long bIndex, int bStep,
                       MemorySegment out, long outIndex, int n) {
        FloatVector sa = aStep == 0 ? FloatVector.broadcast(S, a.getAtIndex(ValueLayout.JAVA_FLOAT, aIndex)) : null;
        FloatVector sb = bStep == 0 ? FloatVector.broadcast(S, b.getAtIndex(ValueLayout.JAVA_FLOAT, bIndex)) : null;
        for (int i = 0; i < n; i += V) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector x = sa != null ? sa : FloatVector.fromMemorySegment(S, a, (aIndex + i) * Float.BYTES, ORDER, m);
            FloatVector y = sb != null ? sb : FloatVector.fromMemorySegment(S, b, (bIndex + i) * Float.BYTES, ORDER, m);
            FloatVector r = switch (op) {
                case ADD -> x.add(y);
                case SUB -> x.sub(y);
                case MUL -> x.mul(y);
                case DIV -> x.div(y);
            };
            r.intoMemorySegment(out, (outIndex + i) * Float.BYTES, ORDER, m);
        }
    }

    @Override
    public void softmax(MemorySegment x, MemorySegment out, long index, int n) {
        FloatVector mx = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        for (int i = 0; i < n; i += V) {
            VectorMask<Float> m = S.indexInRange(i, n);
            mx = mx.lanewise(VectorOperators.MAX, FloatVector.fromMemorySegment(S, x, (index + i) * Float.BYTES, ORDER, m),
                m);
        }
        float max = mx.reduceLanes(VectorOperators.MAX);
        FloatVector sum = FloatVector.zero(S);
        for (int i = 0; i < n; i += V) {
            VectorMask<Float> m = S.indexInRange(i, n);
            long off = (index + i) * Float.BYTES;
            FloatVector e = FloatVector.fromMemorySegment(S, x, off, ORDER, m).sub(max).lanewise(VectorOperators.EXP);
            e.intoMemorySegment(out, off, ORDER, m);
            sum = sum.add(e, m);
        }
        float inv = 1f / sum.reduceLanes(VectorOperators.ADD);
        for (int i = 0; i < n; i += V) {
            VectorMask<Float> m = S.indexInRange(i, n);
            long off = (index + i) * Float.BYTES;
            FloatVector.fromMemorySegment(S, out, off, ORDER, m).mul(inv).intoMemorySegment(out, off, ORDER, m);
        }
    }

    @Override
    public double[] meanVariance(MemorySegment x, long index, int n) {
        FloatVector s = FloatVector.zero(S);
        for (int i = 0; i < n; i += V) {
            VectorMask<Float> m = S.indexInRange(i, n);
            s = s.add(FloatVector.fromMemorySegment(S, x, (index + i) * Float.BYTES, ORDER, m));
        }
        float mean = s.reduceLanes(VectorOperators.ADD) / n;
        FloatVector v = FloatVector.zero(S);
        for (int i = 0; i < n; i += V) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector d = FloatVector.fromMemorySegment(S, x, (index + i) * Float.BYTES, ORDER, m).sub(mean);
            v = d.fma(d, v).blend(v, m.not());
        }
        return new double[] {mean, v.reduceLanes(VectorOperators.ADD) / n};
    }

    @Override
    public void normalize(MemorySegment x, MemorySegment out, long index, int n, float mean, float invStd, float[] scale,
                          float[] bias) {
        for (int i = 0; i < n; i += V) {
            VectorMask<Float> m = S.indexInRange(i, n);
            long off = (index + i) * Float.BYTES;
            FloatVector r = FloatVector.fromMemorySegment(S, x, off, ORDER, m).sub(mean).mul(invStd)
                .mul(FloatVector.fromArray(S, scale, i, m));
            if (bias != null) {
                r = r.add(FloatVector.fromArray(S, bias, i, m));
            }
            r.intoMemorySegment(out, off, ORDER, m);
        }
    }

    @Override
    public void multiply(float[] y, int yOff, float[] f, int fOff, int n) {
        for (int i = 0; i < n; i += V) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector.fromArray(S, y, yOff + i, m).mul(FloatVector.fromArray(S, f, fOff + i, m)).intoArray(y, yOff + i, m);
        }
    }

    @Override
    public float sum(MemorySegment x, long index, int n) {
        FloatVector acc = FloatVector.zero(S);
        int i = 0;
        for (; i <= n - V; i += V) {
            acc = acc.add(FloatVector.fromMemorySegment(S, x, (index + i) * Float.BYTES, ORDER));
        }
        if (i < n) {
            VectorMask<Float> m = S.indexInRange(i, n);
            acc = acc.add(FloatVector.fromMemorySegment(S, x, (index + i) * Float.BYTES, ORDER, m));
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }
}
