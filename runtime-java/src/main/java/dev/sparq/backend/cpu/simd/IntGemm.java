package dev.sparq.backend.cpu.simd;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * Integer GEMM rows on the Vector API: B (zero point already subtracted) is packed as int32 panels of two vectors
 * per k, each output row accumulates a[k] · B[k, panel] with 32-bit lanes. int32 arithmetic wraps exactly like the
 * reference, so results are bit-identical. (Scalar where the Vector API is absent.) Public for the benchmarks.
 */
public final class IntGemm {
    private static final VectorSpecies<Integer> S = VectorSpecies.of(int.class,
        jdk.incubator.vector.VectorShape.forBitSize(SimdConfig.BITS == 0 ? 128 : SimdConfig.BITS));
    private static final int V = S.length();
    private static final int NR = 2 * V;

    private IntGemm() {
    }

    /** B as int32 panels: panel p holds columns [p·NR, p·NR + NR) for every k, zero padded. */
    public record Packed(int k, int n, int[] data) {
    }

    @FunctionalInterface
    public interface Element {
        int at(int k, int col);
    }

    public static Packed pack(int k, int n, Element b) {
        int panels = (n + NR - 1) / NR;
        int[] data = new int[panels * k * NR];
        for (int p = 0; p < panels; p++) {
            for (int kk = 0; kk < k; kk++) {
                for (int j = 0; j < NR; j++) {
                    int col = p * NR + j;
                    data[(p * k + kk) * NR + j] = col < n ? b.at(kk, col) : 0;
                }
            }
        }
        return new Packed(k, n, data);
    }

    /** out[outIndex + j] = Σ_k a[k] · B[k, j] for every column j (int32, wrapping). */
    public static void row(int[] a, Packed b, MemorySegment out, long outIndex) {
        if (SimdConfig.BITS == 0) {
            scalarRow(a, b, out, outIndex);
            return;
        }
        int panels = (b.n() + NR - 1) / NR;
        int[] d = b.data();
        int k = b.k();
        for (int p = 0; p < panels; p++) {
            IntVector c0 = IntVector.zero(S);
            IntVector c1 = IntVector.zero(S);
            int base = p * k * NR;
            for (int kk = 0; kk < k; kk++) {
                IntVector av = IntVector.broadcast(S, a[kk]);
                c0 = av.mul(IntVector.fromArray(S, d, base + kk * NR)).add(c0);
                c1 = av.mul(IntVector.fromArray(S, d, base + kk * NR + V)).add(c1);
            }
            int col = p * NR;
            long off = (outIndex + col) * Integer.BYTES;
            VectorMask<Integer> m0 = S.indexInRange(col, b.n());
            VectorMask<Integer> m1 = S.indexInRange(col + V, b.n());
            c0.intoMemorySegment(out, off, ByteOrder.nativeOrder(), m0);
            c1.intoMemorySegment(out, off + (long) V * Integer.BYTES, ByteOrder.nativeOrder(), m1);
        }
    }

    private static void scalarRow(int[] a, Packed b, MemorySegment out, long outIndex) {
        int k = b.k();
        for (int col = 0; col < b.n(); col++) {
            int p = col / NR;
            int j = col % NR;
            int s = 0;
            for (int kk = 0; kk < k; kk++) {
                s += a[kk] * b.data()[(p * k + kk) * NR + j];
            }
            out.setAtIndex(ValueLayout.JAVA_INT, outIndex + col, s);
        }
    }
}
