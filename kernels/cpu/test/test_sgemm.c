/* C harness for the FP32 GEMM: every available path against a naive double-precision loop on awkward shapes
 * (tails shorter than a vector, K across several 256-row blocks, N across 512-column blocks, row strides wider than
 * the matrix). Tolerance: 1e-5 of sum |a||b| per element (float rounding of a K-long sum, any order).
 * Prints "N passed, M failed" and exits non-zero on failure (run by the Maven build, and under qemu for aarch64). */
#include "sparq_kernels.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static uint32_t seed = 777;
static float next(void) {
    seed = seed * 1664525u + 1013904223u;
    return (float)(seed >> 8) / (float)(1u << 24) - 0.5f;
}

static int check(const char *path, int m, int n, int k, int pad) {
    int lda = k + pad, ldb = n + pad, ldc = n + pad;
    float *a = malloc(sizeof(float) * (size_t)m * lda);
    float *b = malloc(sizeof(float) * (size_t)k * ldb);
    float *c = malloc(sizeof(float) * (size_t)m * ldc);
    float *packed = malloc((size_t)sparq_packed_b_f32_size(k, n));
    for (int i = 0; i < m * lda; i++) a[i] = next();
    for (int i = 0; i < k * ldb; i++) b[i] = next();
    for (int i = 0; i < m * ldc; i++) c[i] = 12345.0f; /* C's previous contents must not leak in */
    sparq_pack_b_f32(b, k, n, ldb, packed);
    sparq_sgemm(m, n, k, a, lda, packed, c, ldc);
    int bad = 0;
    for (int r = 0; r < m && !bad; r++) {
        for (int j = 0; j < ldc; j++) {
            double want = 0, mag = 0;
            for (int q = 0; q < k; q++) {
                want += (double)a[r * lda + q] * b[q * ldb + j % ldb];
                mag += fabs((double)a[r * lda + q] * b[q * ldb + j % ldb]);
            }
            if (j >= n) {
                want = 12345.0; /* past N: untouched */
                mag = 0;
            }
            double got = c[r * ldc + j];
            if (!(fabs(got - want) <= 1e-5 * mag + 1e-30)) {
                printf("FAIL sgemm %s m=%d n=%d k=%d pad=%d at (%d,%d): got %.9g want %.9g\n", path, m, n, k, pad, r, j,
                       got, want);
                bad = 1;
                break;
            }
        }
    }
    free(a); free(b); free(c); free(packed);
    return bad;
}

/* sparq_prefetch_l2 only asks the caches: the buffer stays as it was, whatever the offset and length (tails shorter
 * than a line, zero bytes, a start inside a line). */
static int check_prefetch(void) {
    enum { N = 4099 };
    unsigned char *buf = malloc(N);
    for (int i = 0; i < N; i++) buf[i] = (unsigned char)(i * 7);
    int64_t cases[][2] = {{0, N}, {1, N - 1}, {63, 65}, {4096, 3}, {17, 0}};
    for (unsigned c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        sparq_prefetch_l2(buf, cases[c][0], cases[c][1]);
    }
    int bad = 0;
    for (int i = 0; i < N; i++) bad |= buf[i] != (unsigned char)(i * 7);
    free(buf);
    if (bad) printf("FAIL prefetch changed the buffer\n");
    return bad;
}

int main(void) {
    const char *paths[] = {"scalar", "avx2-fma", "avx512-fma", "neon"};
    int sizes[][3] = {{1, 1, 1}, {1, 1000, 512}, {1, 17, 3}, {2, 15, 7}, {5, 16, 16}, {6, 31, 33}, {7, 32, 257},
                      {12, 33, 100}, {13, 47, 255}, {25, 600, 300}, {64, 64, 64}, {97, 13, 513}, {3, 1030, 31}};
    int passed = 0, failed = 0, skipped = 0;
    for (unsigned p = 0; p < sizeof(paths) / sizeof(paths[0]); p++) {
        if (!sparq_sgemm_force(paths[p])) {
            printf("skipped sgemm %s: not supported on this CPU\n", paths[p]);
            skipped++;
            continue;
        }
        for (unsigned s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
            for (int pad = 0; pad <= 3; pad += 3) {
                if (check(paths[p], sizes[s][0], sizes[s][1], sizes[s][2], pad)) failed++; else passed++;
            }
        }
    }
    if (check_prefetch()) failed++; else passed++;
    if (sparq_abi_version() != 8) {
        printf("FAIL abi version %d\n", sparq_abi_version());
        failed++;
    } else {
        passed++;
    }
    printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
    return failed == 0 ? 0 : 1;
}
