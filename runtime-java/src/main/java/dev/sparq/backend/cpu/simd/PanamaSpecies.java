package dev.sparq.backend.cpu.simd;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/** The one place that names a Vector API species; loaded only when the incubator module is present. */
final class PanamaSpecies {
    private PanamaSpecies() {
    }

    static int preferredBits() {
        return FloatVector.SPECIES_PREFERRED.vectorBitSize();
    }

    static VectorSpecies<Float> floats(int bits) {
        return VectorSpecies.of(float.class, VectorShape.forBitSize(bits));
    }

    static VectorSpecies<Long> longs(int bits) {
        return VectorSpecies.of(long.class, VectorShape.forBitSize(bits));
    }
}
