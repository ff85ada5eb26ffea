package dev.sparq.backend.cpu.simd;

/**
 * The inner loop of the pruned integer kernels: acc[i] = Σ_e w[e]·x[base[e] + i] for i in [0, n), e in [e0, e1):
 * each nonzero weight broadcast against a run of n consecutive input values (output pixels or matmul rows). Exact
 * int32 arithmetic (wrapping as the reference). Vector API or scalar, picked at startup like {@link SimdOps}; x must
 * hold {@link #SLACK} readable values past every run, acc {@code n} rounded up to {@link #SLACK}.
 */
abstract class SparseIntLoop {
    /** Values read (and acc written) past n: four vectors of the widest species. */
    static final int SLACK = 64;

    abstract void accumulate(int[] x, int[] base, int[] w, int e0, int e1, int n, int[] acc);

    static SparseIntLoop get() {
        return Holder.INSTANCE;
    }

    private static final class Holder {
        static final SparseIntLoop INSTANCE = SimdConfig.BITS == 0 ? new Scalar() : new PanamaSparseIntLoop();
    }

    static final class Scalar extends SparseIntLoop {
        @Override
        void accumulate(int[] x, int[] base, int[] w, int e0, int e1, int n, int[] acc) {
            java.util.Arrays.fill(acc, 0, n, 0);
            for (int e = e0; e < e1; e++) {
                int b = base[e];
                int v = w[e];
                for (int i = 0; i < n; i++) {
                    acc[i] += v * x[b + i];
                }
            }
        }
    }
}
