package dev.sparq.sparse;

import dev.sparq.tensor.Tensor;

/**
 * How sparse one weight tensor is, seen as rows (output channels) by a reduction axis: density, whether every group
 * of 4 along the reduction axis has at most 2 nonzeros (the 2:4 pattern sparse tensor cores and packed 2:4 kernels
 * use), and how many output channels are all zero (prunable outright).
 *
 * @param rows        output channels (dim 0)
 * @param depth       reduction length (all other dims, flattened)
 * @param nonzeros    nonzero elements
 * @param twoOfFour   every aligned group of 4 along the reduction axis has ≤ 2 nonzeros (and depth % 4 == 0)
 * @param zeroRows    output channels whose weights are all zero
 */
public record WeightSparsity(long rows, long depth, long nonzeros, boolean twoOfFour, long zeroRows) {
    /** Sparsity of a weight whose dim 0 is the output channel (Conv [Cout, ...], Gemm with transB=1 [N, K]). */
    public static WeightSparsity rowMajor(Tensor w) {
        long rows = w.rank() == 0 ? 1 : w.dim(0);
        long depth = rows == 0 ? 0 : w.size() / rows;
        long nonzeros = 0;
        long zeroRows = 0;
        boolean twoOfFour = depth % 4 == 0 && depth > 0;
        for (long r = 0; r < rows; r++) {
            long rowNz = 0;
            for (long k = 0; k < depth; k += 4) {
                int groupNz = 0;
                for (long q = k; q < Math.min(depth, k + 4); q++) {
                    if (w.getDouble(r * depth + q) != 0) {
                        groupNz++;
                    }
                }
                twoOfFour &= groupNz <= 2;
                rowNz += groupNz;
            }
            nonzeros += rowNz;
            zeroRows += rowNz == 0 ? 1 : 0;
        }
        return new WeightSparsity(rows, depth, nonzeros, twoOfFour, zeroRows);
    }

    public double density() {
        return rows * depth == 0 ? 1 : (double) nonzeros / (rows * depth);
    }

    @Override
    public String toString() {
        return String.format(java.util.Locale.ROOT, "density %.1f%%%s%s", 100 * density(), twoOfFour ? ", 2:4" : "",
            zeroRows > 0 ? ", " + zeroRows + " zero output channels" : "");
    }
}
