package dev.sparq.backend.cpu.simd;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** {@link SimdOps} in plain Java: the fallback, and the definition the vector version must match. */
final class ScalarOps implements SimdOps {
    private static final ValueLayout.OfFloat F = ValueLayout.JAVA_FLOAT;

    @Override
    public void axpy(float[] y, int yOff, float a, MemorySegment x, long xIndex, int n) {
        for (int i = 0; i < n; i++) {
            y[yOff + i] = Math.fma(a, x.getAtIndex(F, xIndex + i), y[yOff + i]);
        }
    }

    @Override
    public void axpy(float[] y, int yOff, float a, float[] x, int xOff, int n) {
        for (int i = 0; i < n; i++) {
            y[yOff + i] = Math.fma(a, x[xOff + i], y[yOff + i]);
        }
    }

    @Override
    public void deinterleave2(float[] src, int srcOff, int n, float[] even, int evenOff, float[] odd, int oddOff) {
        for (int i = 0; 2 * i < n; i++) {
            even[evenOff + i] = src[srcOff + 2 * i];
            if (2 * i + 1 < n) {
                odd[oddOff + i] = src[srcOff + 2 * i + 1];
            }
        }
    }

    @Override
    public void axpyStrided(float[] y, int yOff, float a, MemorySegment x, long xIndex, int stride, int n) {
        for (int i = 0; i < n; i++) {
            y[yOff + i] = Math.fma(a, x.getAtIndex(F, xIndex + (long) i * stride), y[yOff + i]);
        }
    }

    @Override
    public void max(float[] y, int yOff, float[] x, int xOff, int n) {
        for (int i = 0; i < n; i++) {
            y[yOff + i] = Math.max(y[yOff + i], x[xOff + i]);
        }
    }

    @Override
    public void storeRow(float[] acc, int accOff, int n, float bias, float min, float max, MemorySegment out,
                         long outIndex) {
        for (int i = 0; i < n; i++) {
            out.setAtIndex(F, outIndex + i, Math.min(Math.max(acc[accOff + i] + bias, min), max));
        }
    }

    @Override
    public void addClamp(MemorySegment a, MemorySegment b, MemorySegment out, long n, float min, float max) {
        for (long i = 0; i < n; i++) {
            out.setAtIndex(F, i, Math.min(Math.max(a.getAtIndex(F, i) + b.getAtIndex(F, i), min), max));
        }
    }

    @Override
    public void clamp(MemorySegment x, MemorySegment out, long n, float min, float max) {
        for (long i = 0; i < n; i++) {
            out.setAtIndex(F, i, Math.min(Math.max(x.getAtIndex(F, i), min), max));
        }
    }

    @Override
    public float sum(MemorySegment x, long index, int n) {
        float s = 0;
        for (int i = 0; i < n; i++) {
            s += x.getAtIndex(F, index + i);
        }
        return s;
    }
}
