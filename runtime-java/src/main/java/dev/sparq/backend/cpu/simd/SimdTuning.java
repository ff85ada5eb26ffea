package dev.sparq.backend.cpu.simd;

import dev.sparq.backend.KernelRequest;
import dev.sparq.graph.Dim;
import dev.sparq.graph.ValueType;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.function.Supplier;

/** What cpu-simd's kernel factories share when they offer candidates to the tuner. */
final class SimdTuning {
    /**
     * Sparse formats are offered only at or below this density: above it even a perfect sparse kernel cannot beat a
     * dense one that does 1/density as many multiply-adds at higher efficiency, so timing them only wastes load time.
     */
    static final double SPARSE_CANDIDATE_DENSITY = 0.75;

    private SimdTuning() {
    }

    /** The backend and vector width: part of the device a timing is valid for. */
    static String backend() {
        return SimdBackend.ID + " " + SimdConfig.describe();
    }

    /** A tensor of normally distributed values (fixed seed): the synthetic input a candidate is timed on. */
    static Tensor random(long... shape) {
        Tensor t = Tensor.allocate(DType.F32, shape);
        Random r = new Random(42);
        for (long i = 0; i < t.size(); i++) {
            t.setFloat(i, (float) r.nextGaussian());
        }
        return t;
    }

    /**
     * The shape of input {@code i} as known at load, with an unknown leading (batch) dim replaced by
     * {@code batch}; null if the rank or any other dim is unknown.
     */
    static long[] shape(KernelRequest r, int i, long batch) {
        ValueType t = r.inputType(i);
        if (!t.hasRank() || t.rank() == 0) {
            return null;
        }
        List<Dim> dims = t.dims();
        long[] s = new long[dims.size()];
        for (int d = 0; d < s.length; d++) {
            if (dims.get(d).isKnown()) {
                s[d] = dims.get(d).value();
            } else if (d == 0) {
                s[d] = batch;
            } else {
                return null;
            }
        }
        return s;
    }

    static boolean batchSymbolic(KernelRequest r, int i) {
        ValueType t = r.inputType(i);
        return t.hasRank() && t.rank() > 0 && !t.dims().get(0).isKnown();
    }

    static int nonzeros(float[] w) {
        int n = 0;
        for (float v : w) {
            n += v != 0 ? 1 : 0;
        }
        return n;
    }

    static int nonzeros(int[] w) {
        int n = 0;
        for (int v : w) {
            n += v != 0 ? 1 : 0;
        }
        return n;
    }

    /** "90.0% zeros[, 2:4]" for inspect. */
    static String zeros(double density, boolean twoFour) {
        return String.format(Locale.ROOT, "%.1f%% zeros%s", 100 * (1 - density), twoFour ? ", 2:4" : "");
    }

    /**
     * A hash of where the zeros are: part of the cache key when sparse formats compete, since which format wins
     * depends on the pattern (blocks left whole or not), not only on the density.
     */
    static String patternHash(float[] w) {
        long h = 1125899906842597L;
        for (int i = 0; i < w.length; i++) {
            if (w[i] != 0) {
                h = 31 * h + i;
            }
        }
        return Long.toHexString(h);
    }

    /** Builds once, on first use: two choices (e.g. small and large batches) may pick the same candidate. */
    static <T> Supplier<T> once(Supplier<T> build) {
        return new Supplier<>() {
            private T value;

            @Override
            public synchronized T get() {
                if (value == null) {
                    value = build.get();
                }
                return value;
            }
        };
    }
}
