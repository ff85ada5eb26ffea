/* C harness for the int8 GEMM: every available path against a plain reference on awkward shapes.
 * Prints "N passed, M failed" and exits non-zero on failure (run by the Maven build, and under qemu for aarch64). */
#include "sparq_kernels.h"

#include <stdio.h>
#include <stdlib.h>

static uint32_t seed = 12345;
static uint32_t next(void) {
    seed = seed * 1664525u + 1013904223u;
    return seed >> 8;
}

static int check(const char *path, int m, int n, int k, int a_zero) {
    uint8_t *a = malloc((size_t)m * k + 1);
    int8_t *b = malloc((size_t)k * n + 1);
    for (int i = 0; i < m * k; i++) a[i] = (uint8_t)next();
    for (int i = 0; i < k * n; i++) b[i] = (int8_t)next();
    int8_t *packed = malloc((size_t)sparq_packed_b_s8_size(k, n) + 1);
    int32_t *sums = malloc(sizeof(int32_t) * (size_t)n + 4);
    int32_t *c = malloc(sizeof(int32_t) * (size_t)m * n + 4);
    sparq_pack_b_s8(b, k, n, n, packed, sums);
    sparq_gemm_u8s8s32(m, n, k, a, k, a_zero, packed, sums, c, n);
    int bad = 0;
    for (int r = 0; r < m && !bad; r++) {
        for (int j = 0; j < n; j++) {
            int32_t want = 0;
            for (int q = 0; q < k; q++) want += ((int32_t)a[r * k + q] - a_zero) * (int32_t)b[q * n + j];
            if (c[r * n + j] != want) {
                printf("FAIL %s m=%d n=%d k=%d zp=%d at (%d,%d): got %d want %d\n", path, m, n, k, a_zero, r, j,
                       c[r * n + j], want);
                bad = 1;
                break;
            }
        }
    }
    free(a); free(b); free(packed); free(sums); free(c);
    return bad;
}

int main(void) {
    const char *paths[] = {"scalar", "avx2", "avx512-vnni", "neon", "neon-dotprod"};
    int sizes[][3] = {{1, 1, 1}, {1, 33, 7}, {8, 32, 4}, {9, 31, 5}, {17, 65, 129}, {64, 64, 64}, {3, 100, 300},
                      {33, 17, 1000}};
    int passed = 0, failed = 0, skipped = 0;
    for (unsigned p = 0; p < sizeof(paths) / sizeof(paths[0]); p++) {
        if (!sparq_gemm_s8_force(paths[p])) {
            printf("skipped %s: not supported on this CPU\n", paths[p]);
            skipped++;
            continue;
        }
        for (unsigned s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
            for (int zp = 0; zp <= 128; zp += 128) {
                if (check(paths[p], sizes[s][0], sizes[s][1], sizes[s][2], zp)) failed++; else passed++;
            }
        }
    }
    printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
    return failed == 0 ? 0 : 1;
}
