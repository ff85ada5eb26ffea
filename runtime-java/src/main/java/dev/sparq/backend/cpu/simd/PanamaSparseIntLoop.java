package dev.sparq.backend.cpu.simd;

import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link SparseIntLoop} on int vectors: four vectors of acc stay in registers while every nonzero of the row is
 * broadcast against them, then the next four.
 */
final class PanamaSparseIntLoop extends SparseIntLoop {
    private static final VectorSpecies<Integer> S = IntVector.SPECIES_PREFERRED.vectorBitSize() > SimdConfig.BITS
        ? VectorSpecies.of(int.class, jdk.incubator.vector.VectorShape.forBitSize(SimdConfig.BITS))
        : IntVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    @Override
    void accumulate(int[] x, int[] base, int[] w, int e0, int e1, int n, int[] acc) {
        for (int i = 0; i < n; i += 4 * L) {
            IntVector a0 = IntVector.zero(S);
            IntVector a1 = IntVector.zero(S);
            IntVector a2 = IntVector.zero(S);
            IntVector a3 = IntVector.zero(S);
            for (int e = e0; e < e1; e++) {
                int b = base[e] + i;
                int v = w[e];
                a0 = a0.add(IntVector.fromArray(S, x, b).mul(v));
                a1 = a1.add(IntVector.fromArray(S, x, b + L).mul(v));
                a2 = a2.add(IntVector.fromArray(S, x, b + 2 * L).mul(v));
                a3 = a3.add(IntVector.fromArray(S, x, b + 3 * L).mul(v));
            }
            a0.intoArray(acc, i);
            a1.intoArray(acc, i + L);
            a2.intoArray(acc, i + 2 * L);
            a3.intoArray(acc, i + 3 * L);
        }
    }
}
