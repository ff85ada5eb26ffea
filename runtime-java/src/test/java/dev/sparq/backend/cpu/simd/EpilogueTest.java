package dev.sparq.backend.cpu.simd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import org.junit.jupiter.api.Test;

class EpilogueTest {
    private static final float[] VALUES = {Float.NaN, Float.NEGATIVE_INFINITY, -6f, -1f, -Float.MIN_VALUE, -0.0f, 0.0f,
        Float.MIN_VALUE, 1f, 6f, Float.POSITIVE_INFINITY};

    @Test
    void blendingInABoundIsJavasMaxAndMinWhereThePredicatesSaySo() {
        int exact = 0;
        for (float bound : VALUES) {
            for (float x : VALUES) {
                if (Epilogue.blendsMin(bound)) {
                    exact++;
                    float blended = x <= bound ? bound : x;
                    assertEquals(Float.floatToIntBits(Math.max(x, bound)), Float.floatToIntBits(blended),
                        "max(" + x + ", " + bound + ")");
                }
                if (Epilogue.blendsMax(bound)) {
                    exact++;
                    float blended = x >= bound ? bound : x;
                    assertEquals(Float.floatToIntBits(Math.min(x, bound)), Float.floatToIntBits(blended),
                        "min(" + x + ", " + bound + ")");
                }
            }
        }
        // every bound but NaN blends on one side at least; the signed zeros only on their own side
        assertEquals((2 * (VALUES.length - 1) - 2) * VALUES.length, exact);
        assertFalse(Epilogue.blendsMin(-0.0f));
        assertFalse(Epilogue.blendsMax(0.0f));
        assertFalse(Epilogue.blendsMin(Float.NaN) || Epilogue.blendsMax(Float.NaN));
    }

    @Test
    void addingNegativeZeroChangesNoValue() {
        // the bias of an epilogue without one, in the branch-free store
        for (float x : VALUES) {
            assertEquals(Float.floatToIntBits(x), Float.floatToIntBits(x + -0.0f), String.valueOf(x));
        }
    }
}
