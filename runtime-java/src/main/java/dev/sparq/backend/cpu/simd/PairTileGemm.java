package dev.sparq.backend.cpu.simd;

import dev.sparq.backend.ExecutionContext;
import dev.sparq.backend.Kernel;
import dev.sparq.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * A channels-last pointwise layer with few output channels (up to 1.5 vectors), two reduction steps per broadcast: a
 * 64-bit broadcast of a pixel's (x[k], x[k+1]) puts x[k] in the even lanes and x[k+1] in the odd ones, and the
 * weights are packed so that lanes 2i and 2i+1 of a vector hold output i's weights at k and k+1 (V/2 outputs a
 * vector, two vectors a step). One broadcast then feeds two FMAs whose lanes all count, where the one-vector tile on
 * copied pixel rows ({@link PanamaNarrowKernel#runRows}) spends a broadcast per FMA, from 16 rows per k step, and ran
 * at about half the FMA rate (14 cycles per 16 FMAs on this Zen 5; on packed rows the same tile runs near the peak).
 * MobileNetV2's features.1 projection, 12544 × 32 → 16: that tile 96-98 µs, this one 50 (RESULTS, stop 26). Each
 * output's even-k and odd-k sums run in k order and are added once at the end, so the bits do not depend on the
 * thread count; against cpu-ref the rounding differs. Up to one vector of outputs the tile is 12 pixels × 2 vectors;
 * up to one and a half, 8 pixels × 3 vectors, where the main tile would pad 24 outputs to 32 (MobileNetV2's
 * 24-channel projections).
 */
final class PairTileGemm implements Kernel {
    /** Pixel rows per tile: 2 × 12 accumulators, as the main tile, or 3 × 8. */
    static final int MR = 12;
    private static final int MR3 = 8;
    private static final VectorSpecies<Float> S = PanamaSpecies.floats(SimdConfig.BITS == 0 ? 128 : SimdConfig.BITS);
    private static final VectorSpecies<Long> L = PanamaSpecies.longs(S.vectorBitSize());
    private static final int V = S.length();
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    /** Pairs of floats as read by the broadcast: the first of a pair is the low half, lane 2i after reinterpreting. */
    private static final ValueLayout.OfLong PAIR = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Lanes 0, 2, 4, ... of two vectors (the even-k sums of outputs 0 .. V-1), and lanes 1, 3, 5, ... */
    private static final VectorShuffle<Float> EVEN = VectorShuffle.fromOp(S, i -> 2 * i);
    private static final VectorShuffle<Float> ODD = VectorShuffle.fromOp(S, i -> 2 * i + 1);
    private static final ThreadLocal<long[]> ROWS = ThreadLocal.withInitial(() -> new long[0]);
    /** The accumulators' way to Y, as {@link PanamaMicroKernel}'s: native memory, offsets in bytes. */
    private static final ThreadLocal<MemorySegment> TILE = ThreadLocal.withInitial(
        () -> Arena.ofAuto().allocate((long) MR * 2 * V * Float.BYTES, 64));

    private final int n;
    private final int k;
    private final int pairs;
    /** Vectors of accumulators per pixel (2 or 3), and pixels per tile. */
    private final int vectors;
    private final int rowsPerTile;
    private final float[] packed;
    private final Epilogue epilogue;

    /** @param weights [n][k] row-major, n at most {@link ChannelsLastGemm#pairsWidth()} */
    PairTileGemm(float[] weights, int n, int k, Epilogue epilogue) {
        if (n > V + V / 2) {
            throw new IllegalArgumentException(n + " output channels, at most " + (V + V / 2));
        }
        this.n = n;
        this.k = k;
        this.pairs = (k + 1) / 2;
        this.epilogue = epilogue;
        this.vectors = n > V ? 3 : 2;
        this.rowsPerTile = vectors == 3 ? MR3 : MR;
        this.packed = new float[pairs * vectors * V];
        for (int m = 0; m < pairs; m++) {
            for (int q = 0; q < vectors; q++) {
                for (int i = 0; i < V / 2; i++) {
                    int out = q * (V / 2) + i;
                    for (int h = 0; h < 2; h++) {
                        int kk = 2 * m + h;
                        packed[(m * vectors + q) * V + 2 * i + h] = out < n && kk < k ? weights[out * k + kk] : 0f;
                    }
                }
            }
        }
    }

    @Override
    public Tensor[] run(Tensor[] inputs, ExecutionContext ctx) {
        Tensor x = inputs[0];
        Tensor y = ChannelsLastConvKernels.pointwiseOutput(x, k, n, ctx);
        run(x.segment(), Math.toIntExact(x.size() / k), y.segment(), ctx);
        return new Tensor[] {y};
    }

    @Override
    public String describe() {
        return "channels-last pointwise, " + rowsPerTile + " pixels x " + (vectors * V / 2)
            + " channels a tile, two reduction steps a broadcast";
    }

    @Override
    public long packedWeightBytes() {
        return 4L * (packed.length + n);
    }

    /** Y[rows][n] = X[rows][k] · Wᵀ with the epilogue; pixel panels split across threads. */
    void run(MemorySegment x, int rows, MemorySegment y, ExecutionContext ctx) {
        int mr = rowsPerTile;
        int panels = (rows + mr - 1) / mr;
        int threads = Math.min(panels, ctx.threadsFor((long) rows * n * k / Gemm.WORK_PER_THREAD));
        ctx.parallelFor(threads, t -> {
            long[] a = rowsScratch(mr * pairs);
            // fetched before the accumulators are live: a ThreadLocal miss is a call, across which all 24 would spill
            MemorySegment tile = TILE.get();
            for (int p = (int) ((long) panels * t / threads); p < (long) panels * (t + 1) / threads; p++) {
                int row0 = p * mr;
                int count = Math.min(mr, rows - row0);
                copyRows(x, row0, count, mr, a);
                if (vectors == 2) {
                    tile(pairs, a, packed, tile);
                    store(tile, count, y, (long) row0 * n, n, epilogue);
                } else {
                    tile3(pairs, a, packed, tile);
                    store3(tile, count, y, (long) row0 * n, n, epilogue);
                }
            }
        });
    }

    private static long[] rowsScratch(int size) {
        long[] a = ROWS.get();
        if (a.length < size) {
            a = new long[size];
            ROWS.set(a);
        }
        return a;
    }

    /** Pixel rows [row0, row0 + count) as pairs, row r at r · pairs; an odd k's last pair and rows to mr zero. */
    private void copyRows(MemorySegment x, int row0, int count, int mr, long[] a) {
        long at = (long) row0 * k * Float.BYTES;
        if (k % 2 == 0) {
            MemorySegment.copy(x, PAIR, at, a, 0, count * pairs);
        } else {
            for (int r = 0; r < count; r++) {
                long rowAt = at + (long) r * k * Float.BYTES;
                MemorySegment.copy(x, PAIR, rowAt, a, r * pairs, pairs - 1);
                float last = x.get(ValueLayout.JAVA_FLOAT_UNALIGNED, rowAt + (long) (k - 1) * Float.BYTES);
                a[r * pairs + pairs - 1] = Integer.toUnsignedLong(Float.floatToRawIntBits(last));
            }
        }
        Arrays.fill(a, count * pairs, mr * pairs, 0L);
    }

    /** The 12 × 2 accumulators over all pairs, into the tile at float r · 2V + q · V (stored apart: a small method). */
    private static void tile(int pairs, long[] a, float[] b, MemorySegment tile) {
        FloatVector zero = FloatVector.zero(S);
        FloatVector c00 = zero, c01 = zero;
        FloatVector c10 = zero, c11 = zero;
        FloatVector c20 = zero, c21 = zero;
        FloatVector c30 = zero, c31 = zero;
        FloatVector c40 = zero, c41 = zero;
        FloatVector c50 = zero, c51 = zero;
        FloatVector c60 = zero, c61 = zero;
        FloatVector c70 = zero, c71 = zero;
        FloatVector c80 = zero, c81 = zero;
        FloatVector c90 = zero, c91 = zero;
        FloatVector c100 = zero, c101 = zero;
        FloatVector c110 = zero, c111 = zero;
        for (int m = 0; m < pairs; m++) {
            FloatVector b0 = FloatVector.fromArray(S, b, m * 2 * V);
            FloatVector b1 = FloatVector.fromArray(S, b, m * 2 * V + V);
            FloatVector x0 = LongVector.broadcast(L, a[m]).reinterpretAsFloats();
            c00 = x0.fma(b0, c00);
            c01 = x0.fma(b1, c01);
            FloatVector x1 = LongVector.broadcast(L, a[m + pairs]).reinterpretAsFloats();
            c10 = x1.fma(b0, c10);
            c11 = x1.fma(b1, c11);
            FloatVector x2 = LongVector.broadcast(L, a[m + 2 * pairs]).reinterpretAsFloats();
            c20 = x2.fma(b0, c20);
            c21 = x2.fma(b1, c21);
            FloatVector x3 = LongVector.broadcast(L, a[m + 3 * pairs]).reinterpretAsFloats();
            c30 = x3.fma(b0, c30);
            c31 = x3.fma(b1, c31);
            FloatVector x4 = LongVector.broadcast(L, a[m + 4 * pairs]).reinterpretAsFloats();
            c40 = x4.fma(b0, c40);
            c41 = x4.fma(b1, c41);
            FloatVector x5 = LongVector.broadcast(L, a[m + 5 * pairs]).reinterpretAsFloats();
            c50 = x5.fma(b0, c50);
            c51 = x5.fma(b1, c51);
            FloatVector x6 = LongVector.broadcast(L, a[m + 6 * pairs]).reinterpretAsFloats();
            c60 = x6.fma(b0, c60);
            c61 = x6.fma(b1, c61);
            FloatVector x7 = LongVector.broadcast(L, a[m + 7 * pairs]).reinterpretAsFloats();
            c70 = x7.fma(b0, c70);
            c71 = x7.fma(b1, c71);
            FloatVector x8 = LongVector.broadcast(L, a[m + 8 * pairs]).reinterpretAsFloats();
            c80 = x8.fma(b0, c80);
            c81 = x8.fma(b1, c81);
            FloatVector x9 = LongVector.broadcast(L, a[m + 9 * pairs]).reinterpretAsFloats();
            c90 = x9.fma(b0, c90);
            c91 = x9.fma(b1, c91);
            FloatVector x10 = LongVector.broadcast(L, a[m + 10 * pairs]).reinterpretAsFloats();
            c100 = x10.fma(b0, c100);
            c101 = x10.fma(b1, c101);
            FloatVector x11 = LongVector.broadcast(L, a[m + 11 * pairs]).reinterpretAsFloats();
            c110 = x11.fma(b0, c110);
            c111 = x11.fma(b1, c111);
        }
        c00.intoMemorySegment(tile, 4L * 0, ORDER);
        c01.intoMemorySegment(tile, 4L * V, ORDER);
        c10.intoMemorySegment(tile, 4L * (2 * V), ORDER);
        c11.intoMemorySegment(tile, 4L * (3 * V), ORDER);
        c20.intoMemorySegment(tile, 4L * (4 * V), ORDER);
        c21.intoMemorySegment(tile, 4L * (5 * V), ORDER);
        c30.intoMemorySegment(tile, 4L * (6 * V), ORDER);
        c31.intoMemorySegment(tile, 4L * (7 * V), ORDER);
        c40.intoMemorySegment(tile, 4L * (8 * V), ORDER);
        c41.intoMemorySegment(tile, 4L * (9 * V), ORDER);
        c50.intoMemorySegment(tile, 4L * (10 * V), ORDER);
        c51.intoMemorySegment(tile, 4L * (11 * V), ORDER);
        c60.intoMemorySegment(tile, 4L * (12 * V), ORDER);
        c61.intoMemorySegment(tile, 4L * (13 * V), ORDER);
        c70.intoMemorySegment(tile, 4L * (14 * V), ORDER);
        c71.intoMemorySegment(tile, 4L * (15 * V), ORDER);
        c80.intoMemorySegment(tile, 4L * (16 * V), ORDER);
        c81.intoMemorySegment(tile, 4L * (17 * V), ORDER);
        c90.intoMemorySegment(tile, 4L * (18 * V), ORDER);
        c91.intoMemorySegment(tile, 4L * (19 * V), ORDER);
        c100.intoMemorySegment(tile, 4L * (20 * V), ORDER);
        c101.intoMemorySegment(tile, 4L * (21 * V), ORDER);
        c110.intoMemorySegment(tile, 4L * (22 * V), ORDER);
        c111.intoMemorySegment(tile, 4L * (23 * V), ORDER);
    }

    /**
     * Rows [0, count) of the tile to Y: each output's two sums added (lane 2i of the two vectors plus lane 2i+1, the
     * first vector's outputs first), then the bias and the clamp.
     */
    private static void store(MemorySegment tile, int count, MemorySegment y, long yIndex, int n, Epilogue epilogue) {
        Epilogue e = epilogue == null ? Epilogue.NONE : epilogue;
        FloatVector bias = e.colBias() == null ? FloatVector.zero(S)
            : FloatVector.fromArray(S, e.colBias(), 0, S.indexInRange(0, e.colBias().length));
        VectorMask<Float> cols = S.indexInRange(0, n);
        boolean lo = e.min() != Float.NEGATIVE_INFINITY;
        boolean hi = e.max() != Float.POSITIVE_INFINITY;
        for (int r = 0; r < count; r++) {
            FloatVector v0 = FloatVector.fromMemorySegment(S, tile, 4L * (r * 2 * V), ORDER);
            FloatVector v1 = FloatVector.fromMemorySegment(S, tile, 4L * (r * 2 * V + V), ORDER);
            FloatVector sum = v0.rearrange(EVEN, v1).add(v0.rearrange(ODD, v1)).add(bias);
            if (lo) {
                sum = sum.lanewise(VectorOperators.MAX, e.min());
            }
            if (hi) {
                sum = sum.lanewise(VectorOperators.MIN, e.max());
            }
            sum.intoMemorySegment(y, (yIndex + (long) r * n) * Float.BYTES, ORDER, cols);
        }
    }

    /** {@link #tile}'s 8 pixels × 3 vectors, into the tile at float r · 3V + q · V. */
    private static void tile3(int pairs, long[] a, float[] b, MemorySegment tile) {
        FloatVector zero = FloatVector.zero(S);
        FloatVector c00 = zero, c01 = zero, c02 = zero;
        FloatVector c10 = zero, c11 = zero, c12 = zero;
        FloatVector c20 = zero, c21 = zero, c22 = zero;
        FloatVector c30 = zero, c31 = zero, c32 = zero;
        FloatVector c40 = zero, c41 = zero, c42 = zero;
        FloatVector c50 = zero, c51 = zero, c52 = zero;
        FloatVector c60 = zero, c61 = zero, c62 = zero;
        FloatVector c70 = zero, c71 = zero, c72 = zero;
        for (int m = 0; m < pairs; m++) {
            FloatVector b0 = FloatVector.fromArray(S, b, m * 3 * V);
            FloatVector b1 = FloatVector.fromArray(S, b, m * 3 * V + V);
            FloatVector b2 = FloatVector.fromArray(S, b, m * 3 * V + 2 * V);
            FloatVector x0 = LongVector.broadcast(L, a[m]).reinterpretAsFloats();
            c00 = x0.fma(b0, c00);
            c01 = x0.fma(b1, c01);
            c02 = x0.fma(b2, c02);
            FloatVector x1 = LongVector.broadcast(L, a[m + pairs]).reinterpretAsFloats();
            c10 = x1.fma(b0, c10);
            c11 = x1.fma(b1, c11);
            c12 = x1.fma(b2, c12);
            FloatVector x2 = LongVector.broadcast(L, a[m + 2 * pairs]).reinterpretAsFloats();
            c20 = x2.fma(b0, c20);
            c21 = x2.fma(b1, c21);
            c22 = x2.fma(b2, c22);
            FloatVector x3 = LongVector.broadcast(L, a[m + 3 * pairs]).reinterpretAsFloats();
            c30 = x3.fma(b0, c30);
            c31 = x3.fma(b1, c31);
            c32 = x3.fma(b2, c32);
            FloatVector x4 = LongVector.broadcast(L, a[m + 4 * pairs]).reinterpretAsFloats();
            c40 = x4.fma(b0, c40);
            c41 = x4.fma(b1, c41);
            c42 = x4.fma(b2, c42);
            FloatVector x5 = LongVector.broadcast(L, a[m + 5 * pairs]).reinterpretAsFloats();
            c50 = x5.fma(b0, c50);
            c51 = x5.fma(b1, c51);
            c52 = x5.fma(b2, c52);
            FloatVector x6 = LongVector.broadcast(L, a[m + 6 * pairs]).reinterpretAsFloats();
            c60 = x6.fma(b0, c60);
            c61 = x6.fma(b1, c61);
            c62 = x6.fma(b2, c62);
            FloatVector x7 = LongVector.broadcast(L, a[m + 7 * pairs]).reinterpretAsFloats();
            c70 = x7.fma(b0, c70);
            c71 = x7.fma(b1, c71);
            c72 = x7.fma(b2, c72);
        }
        c00.intoMemorySegment(tile, 4L * 0, ORDER);
        c01.intoMemorySegment(tile, 4L * V, ORDER);
        c02.intoMemorySegment(tile, 4L * (2 * V), ORDER);
        c10.intoMemorySegment(tile, 4L * (3 * V), ORDER);
        c11.intoMemorySegment(tile, 4L * (4 * V), ORDER);
        c12.intoMemorySegment(tile, 4L * (5 * V), ORDER);
        c20.intoMemorySegment(tile, 4L * (6 * V), ORDER);
        c21.intoMemorySegment(tile, 4L * (7 * V), ORDER);
        c22.intoMemorySegment(tile, 4L * (8 * V), ORDER);
        c30.intoMemorySegment(tile, 4L * (9 * V), ORDER);
        c31.intoMemorySegment(tile, 4L * (10 * V), ORDER);
        c32.intoMemorySegment(tile, 4L * (11 * V), ORDER);
        c40.intoMemorySegment(tile, 4L * (12 * V), ORDER);
        c41.intoMemorySegment(tile, 4L * (13 * V), ORDER);
        c42.intoMemorySegment(tile, 4L * (14 * V), ORDER);
        c50.intoMemorySegment(tile, 4L * (15 * V), ORDER);
        c51.intoMemorySegment(tile, 4L * (16 * V), ORDER);
        c52.intoMemorySegment(tile, 4L * (17 * V), ORDER);
        c60.intoMemorySegment(tile, 4L * (18 * V), ORDER);
        c61.intoMemorySegment(tile, 4L * (19 * V), ORDER);
        c62.intoMemorySegment(tile, 4L * (20 * V), ORDER);
        c70.intoMemorySegment(tile, 4L * (21 * V), ORDER);
        c71.intoMemorySegment(tile, 4L * (22 * V), ORDER);
        c72.intoMemorySegment(tile, 4L * (23 * V), ORDER);
    }

    /**
     * {@link #store} for 3 vectors a row: outputs 0 .. V-1 from the first two, as there, and V .. n-1 from the
     * third, its pairs added within it.
     */
    private static void store3(MemorySegment tile, int count, MemorySegment y, long yIndex, int n, Epilogue epilogue) {
        Epilogue e = epilogue == null ? Epilogue.NONE : epilogue;
        float[] b = e.colBias();
        FloatVector bias0 = b == null ? FloatVector.zero(S)
            : FloatVector.fromArray(S, b, 0, S.indexInRange(0, b.length));
        FloatVector bias1 = b == null ? FloatVector.zero(S)
            : FloatVector.fromArray(S, b, V, S.indexInRange(V, b.length));
        VectorMask<Float> rest = S.indexInRange(V, n);
        boolean lo = e.min() != Float.NEGATIVE_INFINITY;
        boolean hi = e.max() != Float.POSITIVE_INFINITY;
        for (int r = 0; r < count; r++) {
            FloatVector v0 = FloatVector.fromMemorySegment(S, tile, 4L * (r * 3 * V), ORDER);
            FloatVector v1 = FloatVector.fromMemorySegment(S, tile, 4L * (r * 3 * V + V), ORDER);
            FloatVector v2 = FloatVector.fromMemorySegment(S, tile, 4L * (r * 3 * V + 2 * V), ORDER);
            FloatVector s0 = v0.rearrange(EVEN, v1).add(v0.rearrange(ODD, v1)).add(bias0);
            FloatVector s1 = v2.rearrange(EVEN, v2).add(v2.rearrange(ODD, v2)).add(bias1);
            if (lo) {
                s0 = s0.lanewise(VectorOperators.MAX, e.min());
                s1 = s1.lanewise(VectorOperators.MAX, e.min());
            }
            if (hi) {
                s0 = s0.lanewise(VectorOperators.MIN, e.max());
                s1 = s1.lanewise(VectorOperators.MIN, e.max());
            }
            long at = (yIndex + (long) r * n) * Float.BYTES;
            s0.intoMemorySegment(y, at, ORDER);
            s1.intoMemorySegment(y, at + (long) V * Float.BYTES, ORDER, rest);
        }
    }
}
