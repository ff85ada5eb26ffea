/* FP32 GEMM, C = A * B (row-major, beta 0), the comparison point for sparq's Java Vector API Sgemm and OpenBLAS.
 *
 * B is packed once (weights): K in blocks of SGEMM_KC rows, and within each block panels of 16 columns, each panel
 * kc x 16 contiguous, N padded with zeros to a multiple of 32 (so the AVX-512 micro-kernel can always take two
 * panels). The layout does not depend on the path, so forcing a path needs no repacking. A is read in place.
 *
 * Loops (Goto style, without packing A): K block (B block of KC x NC stays in L2) -> N block of SGEMM_NC columns
 * -> MR rows of A (their KC slice stays in L1 across the N block) -> one register tile of MR x TW. The first K block
 * stores, later ones add. Paths, each with its own target attribute, picked at run time:
 *   avx512-fma  12 x 32 (24 zmm accumulators)   avx2-fma  6 x 16 (12 ymm)   neon  6 x 16 (24 q)   scalar  4 x 16
 * Short row blocks (M % MR) run the same body instantiated for their row count, so M = 1 does no wasted work. */
#include "sparq_kernels.h"

#include <string.h>

#define SGEMM_KC 256
#define SGEMM_NC 512 /* a multiple of 32 */
#define PW 16        /* panel width */

static int64_t padded_n(int32_t n) {
    return ((int64_t)n + 31) / 32 * 32;
}

int64_t sparq_packed_b_f32_size(int32_t k, int32_t n) {
    return (int64_t)k * padded_n(n) * (int64_t)sizeof(float);
}

/* Start of panel p (16 columns) of the K block starting at k0, kcl rows long. */
static inline int64_t panel_at(int32_t k0, int32_t kcl, int64_t np, int32_t p) {
    return (int64_t)k0 * np + (int64_t)p * kcl * PW;
}

void sparq_pack_b_f32(const float *b, int32_t k, int32_t n, int32_t ldb, float *packed) {
    int64_t np = padded_n(n);
    for (int32_t k0 = 0; k0 < k; k0 += SGEMM_KC) {
        int32_t kcl = k - k0 < SGEMM_KC ? k - k0 : SGEMM_KC;
        for (int32_t p = 0; p < np / PW; p++) {
            float *dst = packed + panel_at(k0, kcl, np, p);
            for (int32_t kk = 0; kk < kcl; kk++) {
                for (int32_t j = 0; j < PW; j++) {
                    int32_t col = p * PW + j;
                    dst[(int64_t)kk * PW + j] = col < n ? b[(int64_t)(k0 + kk) * ldb + col] : 0.0f;
                }
            }
        }
    }
}

/* One register tile: rows [0, mr) of A (kc values each, row stride lda) times the panel(s) at b (the second panel,
   if the path takes two, at b + kc * 16) into C (cols valid columns); accumulate 0 stores, 1 adds. */
typedef void (*stile_fn)(int32_t kc, const float *a, int64_t lda, int32_t mr, const float *b, float *c, int64_t ldc,
                         int32_t cols, int32_t accumulate);

/* Stores a tile row of w floats held in `row` (cols of them valid). */
static inline void store_row(float *c, const float *row, int32_t cols, int32_t accumulate) {
    for (int32_t j = 0; j < cols; j++) {
        c[j] = accumulate ? c[j] + row[j] : row[j];
    }
}

#define SCALAR_MR 4
static void stile_scalar(int32_t kc, const float *a, int64_t lda, int32_t mr, const float *b, float *c, int64_t ldc,
                         int32_t cols, int32_t accumulate) {
    float acc[SCALAR_MR][PW];
    memset(acc, 0, sizeof acc);
    for (int32_t kk = 0; kk < kc; kk++) {
        const float *bk = b + (int64_t)kk * PW;
        for (int32_t i = 0; i < mr; i++) {
            float av = a[i * lda + kk];
            for (int32_t j = 0; j < PW; j++) {
                acc[i][j] += av * bk[j];
            }
        }
    }
    for (int32_t i = 0; i < mr; i++) {
        store_row(c + i * ldc, acc[i], cols, accumulate);
    }
}

#if defined(__x86_64__)
#include <immintrin.h>

#define AVX512_MR 12
/* MR rows x 32 columns (two panels); MR a compile-time constant after inlining. */
static inline __attribute__((always_inline, target("avx512f"))) void avx512_body(
    const int MR, int32_t kc, const float *a, int64_t lda, const float *b, float *c, int64_t ldc, int32_t cols,
    int32_t accumulate) {
    __m512 acc[AVX512_MR][2];
    for (int i = 0; i < MR; i++) {
        acc[i][0] = _mm512_setzero_ps();
        acc[i][1] = _mm512_setzero_ps();
    }
    const float *b1 = b + (int64_t)kc * PW;
    for (int32_t kk = 0; kk < kc; kk++) {
        __m512 v0 = _mm512_loadu_ps(b + (int64_t)kk * PW);
        __m512 v1 = _mm512_loadu_ps(b1 + (int64_t)kk * PW);
        for (int i = 0; i < MR; i++) {
            __m512 av = _mm512_set1_ps(a[i * lda + kk]);
            acc[i][0] = _mm512_fmadd_ps(av, v0, acc[i][0]);
            acc[i][1] = _mm512_fmadd_ps(av, v1, acc[i][1]);
        }
    }
    __mmask16 m0 = cols >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << cols) - 1);
    __mmask16 m1 = cols >= 32 ? (__mmask16)0xFFFF : cols <= 16 ? 0 : (__mmask16)((1u << (cols - 16)) - 1);
    for (int i = 0; i < MR; i++) {
        float *cr = c + i * ldc;
        if (accumulate) {
            acc[i][0] = _mm512_add_ps(acc[i][0], _mm512_maskz_loadu_ps(m0, cr));
            acc[i][1] = _mm512_add_ps(acc[i][1], _mm512_maskz_loadu_ps(m1, cr + 16));
        }
        _mm512_mask_storeu_ps(cr, m0, acc[i][0]);
        _mm512_mask_storeu_ps(cr + 16, m1, acc[i][1]);
    }
}

__attribute__((target("avx512f")))
static void stile_avx512(int32_t kc, const float *a, int64_t lda, int32_t mr, const float *b, float *c, int64_t ldc,
                         int32_t cols, int32_t accumulate) {
#define CASE512(R) case R: avx512_body(R, kc, a, lda, b, c, ldc, cols, accumulate); break;
    switch (mr) {
        CASE512(1) CASE512(2) CASE512(3) CASE512(4) CASE512(5) CASE512(6)
        CASE512(7) CASE512(8) CASE512(9) CASE512(10) CASE512(11) CASE512(12)
        default: break;
    }
#undef CASE512
}

#define AVX2_MR 6
/* MR rows x 16 columns (one panel): 2 ymm accumulators per row. */
static inline __attribute__((always_inline, target("avx2,fma"))) void avx2_body(
    const int MR, int32_t kc, const float *a, int64_t lda, const float *b, float *c, int64_t ldc, int32_t cols,
    int32_t accumulate) {
    __m256 acc[AVX2_MR][2];
    for (int i = 0; i < MR; i++) {
        acc[i][0] = _mm256_setzero_ps();
        acc[i][1] = _mm256_setzero_ps();
    }
    for (int32_t kk = 0; kk < kc; kk++) {
        __m256 v0 = _mm256_loadu_ps(b + (int64_t)kk * PW);
        __m256 v1 = _mm256_loadu_ps(b + (int64_t)kk * PW + 8);
        for (int i = 0; i < MR; i++) {
            __m256 av = _mm256_broadcast_ss(a + i * lda + kk);
            acc[i][0] = _mm256_fmadd_ps(av, v0, acc[i][0]);
            acc[i][1] = _mm256_fmadd_ps(av, v1, acc[i][1]);
        }
    }
    for (int i = 0; i < MR; i++) {
        float *cr = c + i * ldc;
        if (cols == PW) {
            if (accumulate) {
                acc[i][0] = _mm256_add_ps(acc[i][0], _mm256_loadu_ps(cr));
                acc[i][1] = _mm256_add_ps(acc[i][1], _mm256_loadu_ps(cr + 8));
            }
            _mm256_storeu_ps(cr, acc[i][0]);
            _mm256_storeu_ps(cr + 8, acc[i][1]);
        } else {
            float row[PW];
            _mm256_storeu_ps(row, acc[i][0]);
            _mm256_storeu_ps(row + 8, acc[i][1]);
            store_row(cr, row, cols, accumulate);
        }
    }
}

__attribute__((target("avx2,fma")))
static void stile_avx2(int32_t kc, const float *a, int64_t lda, int32_t mr, const float *b, float *c, int64_t ldc,
                       int32_t cols, int32_t accumulate) {
#define CASE2(R) case R: avx2_body(R, kc, a, lda, b, c, ldc, cols, accumulate); break;
    switch (mr) {
        CASE2(1) CASE2(2) CASE2(3) CASE2(4) CASE2(5) CASE2(6)
        default: break;
    }
#undef CASE2
}
#endif

#if defined(__aarch64__)
#include <arm_neon.h>

#define NEON_MR 6
/* MR rows x 16 columns: 4 q accumulators per row (24 of the 32 registers at MR 6). */
static inline __attribute__((always_inline)) void neon_body(const int MR, int32_t kc, const float *a, int64_t lda,
                                                            const float *b, float *c, int64_t ldc, int32_t cols,
                                                            int32_t accumulate) {
    float32x4_t acc[NEON_MR][4];
    for (int i = 0; i < MR; i++) {
        for (int h = 0; h < 4; h++) acc[i][h] = vdupq_n_f32(0.0f);
    }
    for (int32_t kk = 0; kk < kc; kk++) {
        const float *bk = b + (int64_t)kk * PW;
        float32x4_t v0 = vld1q_f32(bk), v1 = vld1q_f32(bk + 4), v2 = vld1q_f32(bk + 8), v3 = vld1q_f32(bk + 12);
        for (int i = 0; i < MR; i++) {
            float av = a[i * lda + kk];
            acc[i][0] = vfmaq_n_f32(acc[i][0], v0, av);
            acc[i][1] = vfmaq_n_f32(acc[i][1], v1, av);
            acc[i][2] = vfmaq_n_f32(acc[i][2], v2, av);
            acc[i][3] = vfmaq_n_f32(acc[i][3], v3, av);
        }
    }
    for (int i = 0; i < MR; i++) {
        float row[PW];
        for (int h = 0; h < 4; h++) vst1q_f32(row + 4 * h, acc[i][h]);
        store_row(c + i * ldc, row, cols, accumulate);
    }
}

static void stile_neon(int32_t kc, const float *a, int64_t lda, int32_t mr, const float *b, float *c, int64_t ldc,
                       int32_t cols, int32_t accumulate) {
#define CASEN(R) case R: neon_body(R, kc, a, lda, b, c, ldc, cols, accumulate); break;
    switch (mr) {
        CASEN(1) CASEN(2) CASEN(3) CASEN(4) CASEN(5) CASEN(6)
        default: break;
    }
#undef CASEN
}
#endif

typedef struct {
    const char *name;
    stile_fn tile;
    int32_t mr; /* rows per register tile */
    int32_t tw; /* columns per register tile: 16 or 32 (a multiple of the panel width) */
} spath;

static const spath SCALAR = {"scalar", stile_scalar, SCALAR_MR, 16};
#if defined(__x86_64__)
static const spath AVX512 = {"avx512-fma", stile_avx512, AVX512_MR, 32};
static const spath AVX2 = {"avx2-fma", stile_avx2, AVX2_MR, 16};
#endif
#if defined(__aarch64__)
static const spath NEON = {"neon", stile_neon, NEON_MR, 16};
#endif

static const spath *chosen = NULL;

static const spath *best(void) {
    uint32_t f = sparq_cpu_features();
#if defined(__x86_64__)
    if (f & SPARQ_CPU_AVX512F) return &AVX512;
    if ((f & SPARQ_CPU_AVX2) && (f & SPARQ_CPU_FMA)) return &AVX2;
#elif defined(__aarch64__)
    if (f & SPARQ_CPU_NEON) return &NEON;
#endif
    (void)f;
    return &SCALAR;
}

const char *sparq_sgemm_path(void) {
    if (chosen == NULL) chosen = best();
    return chosen->name;
}

int32_t sparq_sgemm_force(const char *path) {
    uint32_t f = sparq_cpu_features();
    const spath *p = NULL;
    if (strcmp(path, "scalar") == 0) p = &SCALAR;
#if defined(__x86_64__)
    if (strcmp(path, "avx512-fma") == 0 && (f & SPARQ_CPU_AVX512F)) p = &AVX512;
    if (strcmp(path, "avx2-fma") == 0 && (f & SPARQ_CPU_AVX2) && (f & SPARQ_CPU_FMA)) p = &AVX2;
#elif defined(__aarch64__)
    if (strcmp(path, "neon") == 0 && (f & SPARQ_CPU_NEON)) p = &NEON;
#endif
    (void)f;
    if (p == NULL) return 0;
    chosen = p;
    return 1;
}

void sparq_sgemm(int32_t m, int32_t n, int32_t k, const float *a, int32_t lda, const float *packed_b, float *c,
                 int32_t ldc) {
    if (chosen == NULL) chosen = best();
    const spath *p = chosen;
    int64_t np = padded_n(n);
    for (int32_t k0 = 0; k0 < k; k0 += SGEMM_KC) {
        int32_t kcl = k - k0 < SGEMM_KC ? k - k0 : SGEMM_KC;
        for (int32_t n0 = 0; n0 < n; n0 += SGEMM_NC) {
            int32_t n1 = n - n0 < SGEMM_NC ? n : n0 + SGEMM_NC;
            for (int32_t r0 = 0; r0 < m; r0 += p->mr) {
                int32_t mr = m - r0 < p->mr ? m - r0 : p->mr;
                const float *ar = a + (int64_t)r0 * lda + k0;
                for (int32_t j0 = n0; j0 < n1; j0 += p->tw) {
                    int32_t cols = n1 - j0 < p->tw ? n1 - j0 : p->tw;
                    p->tile(kcl, ar, lda, mr, packed_b + panel_at(k0, kcl, np, j0 / PW), c + (int64_t)r0 * ldc + j0,
                            ldc, cols, k0 > 0);
                }
            }
        }
    }
}
