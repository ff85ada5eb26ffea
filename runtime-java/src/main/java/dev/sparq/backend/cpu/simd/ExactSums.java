package dev.sparq.backend.cpu.simd;

import dev.sparq.tensor.DType;
import java.util.Arrays;

/**
 * Why the integer convolutions may run on the f32 GEMM and still match the reference bit for bit: the product of two
 * centered 8-bit values is an integer of magnitude at most 255², and every partial sum of a dot product, in any
 * order, is bounded by Σ|w|·max|x|. While that bound stays at or below 2^24 every f32 multiply-add is exact. K is
 * cut into chunks (at the GEMM's k-block boundaries) that keep the bound for every output channel; chunk sums are
 * then added in int32, which wraps like the reference. One k block always fits: 256·255·255 < 2^24.
 */
final class ExactSums {
    /** Integers up to 2^24 are exact in f32. */
    static final long LIMIT = 1L << 24;

    static {
        if ((long) Gemm.KC * 255 * 255 > LIMIT) {
            throw new ExceptionInInitializerError("Gemm.KC " + Gemm.KC + " is too deep for exact 8-bit sums in f32");
        }
    }

    private ExactSums() {
    }

    /** The largest |x − zero| an input of this type can give (null type: either 8-bit type). */
    static int maxMagnitude(DType type, int zero) {
        int unsigned = Math.max(Math.abs(zero), Math.abs(255 - zero));
        int signed = Math.max(Math.abs(zero + 128), Math.abs(127 - zero));
        return type == DType.U8 ? unsigned : type == DType.I8 ? signed : Math.max(unsigned, signed);
    }

    /** Whether every row of w [rows × depth] has Σ|w|·xMax within the limit, i.e. one f32 pass is exact. */
    static boolean fits(int[] w, int rows, int depth, int xMax) {
        for (int r = 0; r < rows; r++) {
            if (l1(w, r * depth, depth) * xMax > LIMIT) {
                return false;
            }
        }
        return true;
    }

    /**
     * Chunk boundaries {0, c1, ..., depth} over K for w [rows × depth]: each chunk is a run of whole k blocks of
     * {@link Gemm#KC} whose sums stay exact for every row; usually the whole of K is one chunk.
     */
    static int[] chunks(int[] w, int rows, int depth, int xMax) {
        int[] cuts = new int[depth / Gemm.KC + 2];
        int count = 1;
        long[] run = new long[rows];
        for (int k0 = 0; k0 < depth; k0 += Gemm.KC) {
            int kb = Math.min(Gemm.KC, depth - k0);
            long[] block = new long[rows];
            boolean fits = true;
            for (int r = 0; r < rows; r++) {
                block[r] = l1(w, r * depth + k0, kb);
                fits &= (run[r] + block[r]) * xMax <= LIMIT;
            }
            if (!fits) {
                cuts[count++] = k0;
                Arrays.fill(run, 0);
            }
            for (int r = 0; r < rows; r++) {
                run[r] += block[r];
            }
        }
        cuts[count++] = depth;
        return Arrays.copyOf(cuts, count);
    }

    private static long l1(int[] w, int from, int n) {
        long s = 0;
        for (int i = from; i < from + n; i++) {
            s += Math.abs(w[i]);
        }
        return s;
    }
}
