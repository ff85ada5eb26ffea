/* Output bounds for the kernel tests: every third call keeps the type's range (*lo, *hi on entry), every third
 * clamps from the zero point (a fused Relu), the rest to a band around it (a fused Clip), so each kernel path meets
 * all three. */
#ifndef SPARQ_TEST_OUTPUT_BOUNDS_H
#define SPARQ_TEST_OUTPUT_BOUNDS_H

#include <stdint.h>

static void output_bounds(int32_t zero, int32_t *lo, int32_t *hi) {
    static int calls;
    int kind = calls++ % 3;
    if (kind == 1) {
        *lo = zero;
    } else if (kind == 2) {
        *lo = zero - 9 < *lo ? *lo : zero - 9;
        *hi = zero + 17 > *hi ? *hi : zero + 17;
    }
}

#endif
