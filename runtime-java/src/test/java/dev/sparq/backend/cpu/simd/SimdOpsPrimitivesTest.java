package dev.sparq.backend.cpu.simd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The strided-load primitives of the pools and depthwise convolutions, at the running vector width, against the
 * scalar implementation on every length from 0 to 100 (tails shorter than a vector, odd counts, whole steps) and
 * at offsets: outputs equal, and nothing written outside them.
 */
class SimdOpsPrimitivesTest {
    private static final SimdOps SIMD = SimdOps.get();
    private static final SimdOps SCALAR = new ScalarOps();
    private final Random rnd = new Random(3);

    @Test
    void deinterleaveFromArraysAndSegments() {
        for (int n = 0; n <= 100; n++) {
            float[] src = new float[n + 7];
            for (int i = 0; i < src.length; i++) {
                src[i] = rnd.nextFloat();
            }
            float[][] got = run(SIMD, src, n, false);
            float[][] want = run(SCALAR, src, n, false);
            assertArrayEquals(want[0], got[0], "even, n=" + n);
            assertArrayEquals(want[1], got[1], "odd, n=" + n);
            float[][] fromSegment = run(SIMD, src, n, true);
            assertArrayEquals(want[0], fromSegment[0], "even from a segment, n=" + n);
            assertArrayEquals(want[1], fromSegment[1], "odd from a segment, n=" + n);
            // the guard values around the outputs stay as they were
            assertEquals(-1f, got[0][2], "before even, n=" + n);
            assertEquals(-1f, got[0][3 + (n + 1) / 2], "after even, n=" + n);
            assertEquals(-1f, got[1][3 + n / 2], "after odd, n=" + n);
        }
    }

    @Test
    void subsampleReadsNoFurtherThanItsLastValue() {
        for (int step = 1; step <= 3; step++) {
            for (int n = 0; n <= 100; n++) {
                // the source ends at the last value read: an over-read fails on the segment's bounds
                int last = 5 + Math.max(0, n - 1) * step;
                float[] src = new float[last + 1];
                for (int i = 0; i < src.length; i++) {
                    src[i] = rnd.nextFloat();
                }
                float[] want = new float[n + 6];
                java.util.Arrays.fill(want, -1f);
                for (int i = 0; i < n; i++) {
                    want[3 + i] = src[5 + i * step];
                }
                float[] got = new float[n + 6];
                java.util.Arrays.fill(got, -1f);
                MemorySegment dst = MemorySegment.ofArray(got);
                SIMD.subsample(MemorySegment.ofArray(src), 5, n, step, dst, 3);
                assertArrayEquals(want, got, "step=" + step + " n=" + n);
            }
        }
    }

    /** Deinterleaves src[5 .. 5+n) into arrays guarded with -1 on both sides, outputs from index 3. */
    private static float[][] run(SimdOps ops, float[] src, int n, boolean segment) {
        float[] even = new float[n / 2 + 8];
        float[] odd = new float[n / 2 + 8];
        java.util.Arrays.fill(even, -1f);
        java.util.Arrays.fill(odd, -1f);
        if (segment) {
            // a segment that ends at the last element read: no over-read is allowed
            MemorySegment s = MemorySegment.ofArray(java.util.Arrays.copyOf(src, 5 + n));
            ops.deinterleave2(s, 5, n, even, 3, odd, 3);
        } else {
            ops.deinterleave2(src, 5, n, even, 3, odd, 3);
        }
        return new float[][] {even, odd};
    }

    @Test
    void interleavedRowsMatchTheScalarPanel() {
        for (int width : new int[] {1, 3, 7, 8, 12, 16, 32}) {
            for (int kb : new int[] {1, 2, 3, 5, 17, 256}) {
                float[] src = new float[width * kb];
                for (int i = 0; i < src.length; i++) {
                    src[i] = rnd.nextFloat();
                }
                float[] want = new float[width * kb + 6];
                float[] got = new float[width * kb + 6];
                java.util.Arrays.fill(want, -1f);
                java.util.Arrays.fill(got, -1f);
                SCALAR.interleaveRows(src, width, kb, want, 3);
                SIMD.interleaveRows(src, width, kb, got, 3);
                assertEquals(src[src.length - 1], want[3 + width * kb - 1], "scalar last, width=" + width);
                assertArrayEquals(want, got, "width=" + width + " kb=" + kb);
            }
        }
    }

    @Test
    void nineTapsMatchTheScalarSums() {
        float[] x = new float[400];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        float[] w = new float[12];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) rnd.nextGaussian();
        }
        int[] starts = {0, 1, 2, 40, 41, 42, 80, 81, 83};
        for (boolean accumulate : new boolean[] {false, true}) {
            for (int n : new int[] {0, 1, 7, 15, 16, 17, 33, 100, 301}) {
                float[] got = new float[n + 2];
                float[] want = new float[n + 2];
                for (int i = 1; i <= n; i++) {
                    got[i] = want[i] = i * 0.25f;
                }
                SIMD.taps9(got, 1, w, 3, x, starts, n, accumulate);
                SCALAR.taps9(want, 1, w, 3, x, starts, n, accumulate);
                for (int i = 0; i < n; i++) {
                    assertEquals(want[1 + i], got[1 + i], 1e-5f * (1 + Math.abs(want[1 + i])),
                        "n=" + n + " i=" + i + " accumulate=" + accumulate);
                }
                assertEquals(0f, got[0]);
                assertEquals(0f, got[n + 1]);
            }
        }
    }

    @Test
    void fourChannelDotsMatchTheScalarSums() {
        float[] x = new float[500];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) rnd.nextGaussian();
        }
        for (int k : new int[] {1, 9, 27}) {
            float[] w = new float[2 + 4 * k];
            for (int i = 0; i < w.length; i++) {
                w[i] = (float) rnd.nextGaussian();
            }
            int[] starts = new int[k];
            for (int j = 0; j < k; j++) {
                starts[j] = (j * 37) % 150;
            }
            // lengths around whole 2-vector steps at every width, and the last run ending at x's last element
            for (int n : new int[] {0, 1, 7, 15, 16, 17, 31, 32, 33, 63, 65, 100, 350}) {
                int stride = n + 3;
                float[] got = new float[2 + 4 * stride];
                float[] want = new float[2 + 4 * stride];
                java.util.Arrays.fill(got, 7f);
                java.util.Arrays.fill(want, 7f);
                SIMD.dotRuns4(got, 1, stride, w, 2, k, x, starts, n);
                SCALAR.dotRuns4(want, 1, stride, w, 2, k, x, starts, n);
                assertArrayEquals(want, got, 1e-4f, "k=" + k + " n=" + n);
            }
        }
    }

    @Test
    void transposeIntoASegmentMatchesTheLoopAndWritesNothingElse() {
        // whole blocks at every width (16, 8, 4 lanes), edges of rows and of columns, both, and a 1 × 1
        for (int[] rc : new int[][] {{32, 48}, {35, 16}, {16, 21}, {37, 29}, {1, 1}, {3, 70}}) {
            int rows = rc[0];
            int cols = rc[1];
            int srcStride = cols + 3;
            long dstStride = rows + 5;
            float[] src = new float[rows * srcStride + 2];
            for (int i = 0; i < src.length; i++) {
                src[i] = rnd.nextFloat();
            }
            int size = (int) (2 + cols * dstStride + 4);
            for (SimdOps ops : new SimdOps[] {SIMD, SCALAR}) {
                try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
                    MemorySegment dst = arena.allocate((long) size * Float.BYTES);
                    dst.fill((byte) 0xFF); // NaN guards
                    ops.transpose(src, 2, srcStride, rows, cols, dst, 2, dstStride);
                    for (int k = 0; k < size; k++) {
                        long c = (k - 2) / dstStride;
                        long r = (k - 2) % dstStride;
                        float got = dst.getAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, k);
                        if (k >= 2 && c < cols && r < rows) {
                            assertEquals(src[(int) (2 + r * srcStride + c)], got, rows + "x" + cols + " at " + k);
                        } else {
                            assertEquals(Float.NaN, got, rows + "x" + cols + " guard at " + k);
                        }
                    }
                }
                // the heap form, same guards
                float[] heap = new float[size];
                java.util.Arrays.fill(heap, Float.NaN);
                ops.transpose(src, 2, srcStride, rows, cols, heap, 2, (int) dstStride);
                for (int k = 0; k < size; k++) {
                    long c = (k - 2) / dstStride;
                    long r = (k - 2) % dstStride;
                    float want = k >= 2 && c < cols && r < rows ? src[(int) (2 + r * srcStride + c)] : Float.NaN;
                    assertEquals(want, heap[k], rows + "x" + cols + " (heap) at " + k);
                }
            }
        }
    }

    @Test
    void transposedStoresClampEveryChannelAndWriteNothingElse() {
        // whole 16 × 16 blocks, a pixel tail (the repeated rows of the last block must not reach memory), a channel
        // range not starting at 0 with a tail, 1 × 1; bounds none, Relu's, Relu6's and ones the blend cannot take
        float[][] bounds = {{Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY}, {0f, Float.POSITIVE_INFINITY},
            {0f, 6f}, {-0.25f, 0.5f}};
        for (int[] shape : new int[][] {{32, 0, 48}, {35, 0, 16}, {16, 5, 26}, {37, 3, 40}, {1, 0, 1}, {3, 16, 70}}) {
            int pixels = shape[0];
            int c0 = shape[1];
            int c1 = shape[2];
            int srcStride = c1 + 3;
            long outStride = pixels + 5;
            float[] src = new float[pixels * srcStride + 2];
            for (int i = 0; i < src.length; i++) {
                src[i] = rnd.nextFloat() * 2 - 1;
            }
            src[2] = -0.0f;
            float[] bias = new float[c1];
            for (int c = 0; c < c1; c++) {
                bias[c] = rnd.nextFloat() - 0.5f;
            }
            int size = (int) (2 + c1 * outStride + 4);
            for (float[] b : bounds) {
                String what = pixels + " pixels, channels " + c0 + ".." + c1 + ", clamp " + b[0] + ".." + b[1];
                float[] want = transposedStore(SCALAR, src, srcStride, pixels, c0, c1, bias, b, outStride, size);
                float[] got = transposedStore(SIMD, src, srcStride, pixels, c0, c1, bias, b, outStride, size);
                assertArrayEquals(want, got, what);
                for (int k = 0; k < size; k++) {
                    long c = (k - 2) / outStride;
                    long p = (k - 2) % outStride;
                    boolean inside = k >= 2 && c >= c0 && c < c1 && p < pixels;
                    float expect = inside ? Math.min(Math.max(src[(int) (2 + p * srcStride + c)] + bias[(int) c],
                        b[0]), b[1]) : Float.NaN;
                    assertEquals(expect, got[k], what + " at " + k);
                }
            }
        }
    }

    @Test
    void pooledRowsTakeTheMaximumOfTheirWindowsAndWriteNothingElse() {
        // channels of one lane, part vectors and whole ones; images of 1, 2, odd and even widths (the last window
        // with and without its right column); all three rows present, and the top or bottom missing (given as mid)
        for (int width : new int[] {1, 5, 16, 37, 64}) {
            for (int ow : new int[] {1, 2, 7, 8, 112}) {
                int pw = (ow - 1) / 2 + 1;
                int rowFloats = ow * width + 3;
                float[] src = new float[3 * rowFloats + 2];
                for (int i = 0; i < src.length; i++) {
                    src[i] = rnd.nextFloat() * 2 - 1;
                }
                int[][] rows = {{2, 2 + rowFloats, 2 + 2 * rowFloats}, {2 + rowFloats, 2 + rowFloats, 2},
                    {2, 2 + rowFloats, 2 + rowFloats}};
                for (int[] r : rows) {
                    String what = width + " channels, " + ow + " wide, rows " + java.util.Arrays.toString(r);
                    float[] got = new float[pw * width + 4];
                    java.util.Arrays.fill(got, Float.NaN);
                    SIMD.maxPoolRow3x3Stride2(src, r[0], r[1], r[2], width, ow, pw, got, 2);
                    float[] scalar = new float[pw * width + 4];
                    java.util.Arrays.fill(scalar, Float.NaN);
                    SCALAR.maxPoolRow3x3Stride2(src, r[0], r[1], r[2], width, ow, pw, scalar, 2);
                    assertArrayEquals(scalar, got, what);
                    for (int k = 0; k < got.length; k++) {
                        float want = Float.NaN;
                        if (k >= 2 && k < 2 + pw * width) {
                            int p = (k - 2) / width;
                            int c = (k - 2) % width;
                            want = Float.NEGATIVE_INFINITY;
                            for (int x = 2 * p - 1; x <= 2 * p + 1; x++) {
                                for (int row : r) {
                                    want = x < 0 || x >= ow ? want : Math.max(want, src[row + x * width + c]);
                                }
                            }
                        }
                        assertEquals(want, got[k], what + " at " + k);
                    }
                }
            }
        }
    }

    /** {@link SimdOps#storeTransposed} into a segment of NaN guards, from element 2 on. */
    private static float[] transposedStore(SimdOps ops, float[] src, int srcStride, int pixels, int c0, int c1,
                                           float[] bias, float[] bounds, long outStride, int size) {
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            MemorySegment out = arena.allocate((long) size * Float.BYTES);
            out.fill((byte) 0xFF);
            ops.storeTransposed(src, 2, srcStride, pixels, c0, c1, bias, bounds[0], bounds[1], out, 2, outStride);
            return out.toArray(java.lang.foreign.ValueLayout.JAVA_FLOAT);
        }
    }
}
