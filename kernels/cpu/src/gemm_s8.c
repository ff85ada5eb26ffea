/* int8 GEMM: C = (A - a_zero) * B with A uint8, B int8, C int32.
 *
 * Packed B layout (shared by every path): for each panel of 32 columns, for each group of 4 k, 32 x 4 bytes:
 * column j's four k values are adjacent, which is what vpdpbusd (u8 x s8, 4 products summed into each int32 lane)
 * and NEON sdot consume. The zero point of A is applied afterwards as -a_zero * column_sum(B), which keeps the
 * inner loop pure u8 x s8. Paths: AVX-512 VNNI, AVX-VNNI (VEX vpdpbusd on ymm: Alder Lake class CPUs without
 * AVX-512), AVX2 (exact: u8 and s8 widened to s16, vpmaddwd; and vpmaddubsw on the panels whose weights all lie in
 * [-64, 64], "7-bit"/reduce_range weights, where its saturating pair sum cannot saturate: 2 * 255 * 64 = 32640 <=
 * 32767; a per-call AVX2 scan of the packed panels decides, so the packed layout is unchanged), NEON sdot (on a - 128, with the +128 compensation), plain NEON (widening), scalar. One binary holds them all, each compiled with its own target attribute, and the
 * best one the CPU supports is picked at run time. */
#include "sparq_kernels.h"
#include "requant_common.h"

#include <stdlib.h>
#include <string.h>

#define NR 32
#define KG 4

int64_t sparq_packed_b_s8_size(int32_t k, int32_t n) {
    int64_t kp = ((int64_t)k + KG - 1) / KG * KG;
    int64_t np = ((int64_t)n + NR - 1) / NR * NR;
    return kp * np;
}

void sparq_pack_b_s8(const int8_t *b, int32_t k, int32_t n, int32_t ldb, int8_t *packed, int32_t *col_sums) {
    int32_t kp = (k + KG - 1) / KG * KG;
    int32_t panels = (n + NR - 1) / NR;
    for (int32_t p = 0; p < panels; p++) {
        int8_t *dst = packed + (int64_t)p * kp * NR;
        for (int32_t k4 = 0; k4 < kp; k4 += KG) {
            for (int32_t j = 0; j < NR; j++) {
                int32_t col = p * NR + j;
                for (int32_t q = 0; q < KG; q++) {
                    int32_t kk = k4 + q;
                    dst[(int64_t)k4 * NR + j * KG + q] = (col < n && kk < k) ? b[(int64_t)kk * ldb + col] : 0;
                }
            }
        }
    }
    for (int32_t col = 0; col < n; col++) {
        int32_t s = 0;
        for (int32_t kk = 0; kk < k; kk++) {
            s += b[(int64_t)kk * ldb + col];
        }
        col_sums[col] = s;
    }
}

/* One row panel of A is read as 4-byte groups; K is padded to 4 by copying rows into this zeroed scratch when needed. */
typedef void (*tile_fn)(int32_t rows, int32_t cols, int32_t kp, const uint8_t *a, int64_t lda, const int8_t *bp,
                        int32_t *c, int64_t ldc);

static inline uint32_t load_u32(const uint8_t *p) {
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static void tile_scalar(int32_t rows, int32_t cols, int32_t kp, const uint8_t *a, int64_t lda, const int8_t *bp,
                        int32_t *c, int64_t ldc) {
    for (int32_t r = 0; r < rows; r++) {
        for (int32_t j = 0; j < cols; j++) {
            uint32_t acc = 0; /* unsigned: wraps modulo 2^32 like int32 two's complement, without UB */
            for (int32_t k4 = 0; k4 < kp; k4 += KG) {
                for (int32_t q = 0; q < KG; q++) {
                    acc += (uint32_t)((int32_t)a[r * lda + k4 + q] * (int32_t)bp[(int64_t)k4 * NR + j * KG + q]);
                }
            }
            c[r * ldc + j] = (int32_t)acc;
        }
    }
}

/* Fused epilogue, one tile row of up to 32 columns: out = requantize(acc + addend), addend = bias + zero-point
   correction per column. Each tile path has its epilogue (the vector ones give the same bytes: IEEE double multiply
   and add, then round to nearest even); forcing the scalar path tests the scalar one. */
typedef void (*epi_fn)(const int32_t *acc, int32_t cols, const int32_t *addend, const float *mult, int32_t zp,
                       int32_t qmin, int32_t qmax, int32_t out_signed, uint8_t *out);

static void epi_scalar(const int32_t *acc, int32_t cols, const int32_t *addend, const float *mult, int32_t zp,
                       int32_t qmin, int32_t qmax, int32_t out_signed, uint8_t *out) {
    (void)out_signed; /* the low byte of the saturated value is the uint8 or int8 encoding alike */
    for (int32_t j = 0; j < cols; j++) {
        int32_t a = (int32_t)((uint32_t)acc[j] + (uint32_t)addend[j]);
        out[j] = (uint8_t)sparq_requant_one(a, mult[j], zp, qmin, qmax);
    }
}

#if defined(__x86_64__)
#include <immintrin.h>

/* 16 columns at a time in double, tails masked (byte mask stores need BW and VL, which every AVX512-VNNI CPU has). */
__attribute__((target("avx512f,avx512bw,avx512vl")))
static void epi_avx512(const int32_t *acc, int32_t cols, const int32_t *addend, const float *mult, int32_t zp,
                       int32_t qmin, int32_t qmax, int32_t out_signed, uint8_t *out) {
    (void)out_signed;
    const __m512d vzp = _mm512_set1_pd((double)zp), lo = _mm512_set1_pd((double)qmin), hi = _mm512_set1_pd((double)qmax);
    for (int32_t j = 0; j < cols; j += 16) {
        __mmask16 m = cols - j >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (cols - j)) - 1);
        __m512i a = _mm512_add_epi32(_mm512_maskz_loadu_epi32(m, acc + j), _mm512_maskz_loadu_epi32(m, addend + j));
        __m512 f = _mm512_maskz_loadu_ps(m, mult + j);
        __m512d v0 = _mm512_mul_pd(_mm512_cvtepi32_pd(_mm512_castsi512_si256(a)),
                                   _mm512_cvtps_pd(_mm512_castps512_ps256(f)));
        __m512d v1 = _mm512_mul_pd(_mm512_cvtepi32_pd(_mm512_extracti64x4_epi64(a, 1)),
                                   _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(f), 1))));
        v0 = _mm512_roundscale_pd(_mm512_add_pd(v0, vzp), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        v1 = _mm512_roundscale_pd(_mm512_add_pd(v1, vzp), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        v0 = _mm512_min_pd(_mm512_max_pd(v0, lo), hi);
        v1 = _mm512_min_pd(_mm512_max_pd(v1, lo), hi);
        __m512i q = _mm512_inserti64x4(_mm512_castsi256_si512(_mm512_cvtpd_epi32(v0)), _mm512_cvtpd_epi32(v1), 1);
        _mm_mask_storeu_epi8(out + j, m, _mm512_cvtepi32_epi8(q));
    }
}

/* 8 columns at a time in double; the tail goes to the scalar epilogue (same bytes). */
__attribute__((target("avx2")))
static void epi_avx2(const int32_t *acc, int32_t cols, const int32_t *addend, const float *mult, int32_t zp,
                     int32_t qmin, int32_t qmax, int32_t out_signed, uint8_t *out) {
    const __m256d vzp = _mm256_set1_pd((double)zp), lo = _mm256_set1_pd((double)qmin), hi = _mm256_set1_pd((double)qmax);
    int32_t j = 0;
    for (; j + 8 <= cols; j += 8) {
        __m256i a = _mm256_add_epi32(_mm256_loadu_si256((const __m256i *)(acc + j)),
                                     _mm256_loadu_si256((const __m256i *)(addend + j)));
        __m256 f = _mm256_loadu_ps(mult + j);
        __m256d v0 = _mm256_mul_pd(_mm256_cvtepi32_pd(_mm256_castsi256_si128(a)), _mm256_cvtps_pd(_mm256_castps256_ps128(f)));
        __m256d v1 = _mm256_mul_pd(_mm256_cvtepi32_pd(_mm256_extracti128_si256(a, 1)), _mm256_cvtps_pd(_mm256_extractf128_ps(f, 1)));
        v0 = _mm256_round_pd(_mm256_add_pd(v0, vzp), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        v1 = _mm256_round_pd(_mm256_add_pd(v1, vzp), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        v0 = _mm256_min_pd(_mm256_max_pd(v0, lo), hi);
        v1 = _mm256_min_pd(_mm256_max_pd(v1, lo), hi);
        /* values in [-128, 255]: int32 -> int16 never saturates; then to bytes by the output's signedness */
        __m128i w = _mm_packs_epi32(_mm256_cvtpd_epi32(v0), _mm256_cvtpd_epi32(v1));
        __m128i b = out_signed ? _mm_packs_epi16(w, w) : _mm_packus_epi16(w, w);
        _mm_storel_epi64((__m128i *)(out + j), b);
    }
    epi_scalar(acc + j, cols - j, addend + j, mult + j, zp, qmin, qmax, out_signed, out + j);
}

#define MR_VNNI 8
__attribute__((target("avx512f,avx512bw,avx512vnni")))
static void tile_vnni(int32_t rows, int32_t cols, int32_t kp, const uint8_t *a, int64_t lda, const int8_t *bp,
                      int32_t *c, int64_t ldc) {
    for (int32_t r0 = 0; r0 < rows; r0 += MR_VNNI) {
        int32_t mr = rows - r0 < MR_VNNI ? rows - r0 : MR_VNNI;
        __m512i acc[MR_VNNI][2];
        for (int i = 0; i < MR_VNNI; i++) {
            acc[i][0] = _mm512_setzero_si512();
            acc[i][1] = _mm512_setzero_si512();
        }
        const uint8_t *ar = a + r0 * lda;
        for (int32_t k4 = 0; k4 < kp; k4 += KG) {
            __m512i b0 = _mm512_loadu_si512((const void *)(bp + (int64_t)k4 * NR));
            __m512i b1 = _mm512_loadu_si512((const void *)(bp + (int64_t)k4 * NR + 64));
            for (int i = 0; i < MR_VNNI; i++) {
                if (i < mr) {
                    __m512i av = _mm512_set1_epi32((int32_t)load_u32(ar + i * lda + k4));
                    acc[i][0] = _mm512_dpbusd_epi32(acc[i][0], av, b0);
                    acc[i][1] = _mm512_dpbusd_epi32(acc[i][1], av, b1);
                }
            }
        }
        for (int i = 0; i < mr; i++) {
            int32_t *cr = c + (r0 + i) * ldc;
            __mmask16 m0 = cols >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << cols) - 1);
            __mmask16 m1 = cols >= 32 ? (__mmask16)0xFFFF : cols <= 16 ? 0 : (__mmask16)((1u << (cols - 16)) - 1);
            _mm512_mask_storeu_epi32(cr, m0, acc[i][0]);
            _mm512_mask_storeu_epi32(cr + 16, m1, acc[i][1]);
        }
    }
}

/* AVX-VNNI (Alder Lake class, and Sapphire Rapids alongside AVX-512 VNNI): the VEX-encoded vpdpbusd on ymm, 32
   columns as four ymm accumulators per row. Three rows at a time: 12 accumulators + 4 B vectors fill the 16 ymm
   registers (the A broadcast is folded into a memory operand or reuses a spilled slot). */
#define MR_AVXVNNI 3
__attribute__((target("avx2,avxvnni")))
static void tile_avxvnni(int32_t rows, int32_t cols, int32_t kp, const uint8_t *a, int64_t lda, const int8_t *bp,
                         int32_t *c, int64_t ldc) {
    for (int32_t r0 = 0; r0 < rows; r0 += MR_AVXVNNI) {
        int32_t mr = rows - r0 < MR_AVXVNNI ? rows - r0 : MR_AVXVNNI;
        /* missing rows of a short block re-read the block's last row; their sums are never stored (branch-free loop) */
        const uint8_t *ar[MR_AVXVNNI];
        for (int i = 0; i < MR_AVXVNNI; i++) {
            ar[i] = a + (r0 + (i < mr ? i : mr - 1)) * lda;
        }
        __m256i acc[MR_AVXVNNI][4];
        for (int i = 0; i < MR_AVXVNNI; i++) {
            for (int h = 0; h < 4; h++) {
                acc[i][h] = _mm256_setzero_si256();
            }
        }
        for (int32_t k4 = 0; k4 < kp; k4 += KG) {
            const int8_t *bk = bp + (int64_t)k4 * NR;
            __m256i b0 = _mm256_loadu_si256((const __m256i *)bk);
            __m256i b1 = _mm256_loadu_si256((const __m256i *)(bk + 32));
            __m256i b2 = _mm256_loadu_si256((const __m256i *)(bk + 64));
            __m256i b3 = _mm256_loadu_si256((const __m256i *)(bk + 96));
            for (int i = 0; i < MR_AVXVNNI; i++) {
                __m256i av = _mm256_set1_epi32((int32_t)load_u32(ar[i] + k4));
                acc[i][0] = _mm256_dpbusd_avx_epi32(acc[i][0], av, b0);
                acc[i][1] = _mm256_dpbusd_avx_epi32(acc[i][1], av, b1);
                acc[i][2] = _mm256_dpbusd_avx_epi32(acc[i][2], av, b2);
                acc[i][3] = _mm256_dpbusd_avx_epi32(acc[i][3], av, b3);
            }
        }
        for (int i = 0; i < mr; i++) {
            int32_t *cr = c + (r0 + i) * ldc;
            if (cols == NR) {
                for (int h = 0; h < 4; h++) {
                    _mm256_storeu_si256((__m256i *)(cr + h * 8), acc[i][h]);
                }
            } else {
                int32_t out[NR];
                for (int h = 0; h < 4; h++) {
                    _mm256_storeu_si256((__m256i *)(out + h * 8), acc[i][h]);
                }
                memcpy(cr, out, (size_t)cols * sizeof(int32_t));
            }
        }
    }
}

/* AVX2, exact: widen to 16 bits and use vpmaddwd (s16 x s16 pairs into s32), 16 columns per half. */
__attribute__((target("avx2")))
static void tile_avx2(int32_t rows, int32_t cols, int32_t kp, const uint8_t *a, int64_t lda, const int8_t *bp,
                      int32_t *c, int64_t ldc) {
    for (int32_t r = 0; r < rows; r++) {
        __m256i acc[4] = {_mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256(),
                          _mm256_setzero_si256()};
        const uint8_t *ar = a + r * lda;
        for (int32_t k4 = 0; k4 < kp; k4 += KG) {
            /* the row's 4 values as s16 pairs (a0,a1),(a2,a3) alternating per 32-bit lane, matching each column's
               k0..k3 after widening */
            int32_t lo = (int32_t)ar[k4] | ((int32_t)ar[k4 + 1] << 16);
            int32_t hi = (int32_t)ar[k4 + 2] | ((int32_t)ar[k4 + 3] << 16);
            __m256i apair = _mm256_unpacklo_epi32(_mm256_set1_epi32(lo), _mm256_set1_epi32(hi));
            for (int h = 0; h < 4; h++) {
                /* 8 columns x 4 k = 32 bytes of the panel */
                __m256i b8 = _mm256_loadu_si256((const __m256i *)(bp + (int64_t)k4 * NR + h * 32));
                __m256i b16lo = _mm256_cvtepi8_epi16(_mm256_castsi256_si128(b8));     /* cols 0-3: k0..k3 */
                __m256i b16hi = _mm256_cvtepi8_epi16(_mm256_extracti128_si256(b8, 1)); /* cols 4-7 */
                /* per column: (k0,k1) pair then (k2,k3) pair; regroup so lanes hold one column's pair */
                /* lanes: [c0 k01, c0 k23, c1 k01, c1 k23 | c2 k01, c2 k23, c3 k01, c3 k23]; add adjacent pairs */
                __m256i first = _mm256_madd_epi16(b16lo, apair);
                __m256i second = _mm256_madd_epi16(b16hi, apair);
                __m256i s = _mm256_hadd_epi32(first, second); /* [c0 c1 c4 c5 | c2 c3 c6 c7] */
                s = _mm256_permute4x64_epi64(s, 0xD8);    /* [c0 c1 c2 c3 c4 c5 c6 c7] */
                acc[h] = _mm256_add_epi32(acc[h], s);
            }
        }
        int32_t out[32];
        for (int h = 0; h < 4; h++) {
            _mm256_storeu_si256((__m256i *)(out + h * 8), acc[h]);
        }
        memcpy(c + r * ldc, out, (size_t)cols * sizeof(int32_t));
    }
}

/* AVX2 with vpmaddubsw, exact only when every weight of the panel lies in [-64, 64] (see panel_fits_maddubs): each
   u8 x s8 pair sum is at most 2 * 255 * 64 = 32640 in magnitude, so the s16 saturation never triggers; vpmaddwd with
   ones then sums each column's two pairs into s32, already in column order. Three rows share each B load. */
#define MR_MADDUBS 3
__attribute__((target("avx2")))
static void tile_avx2_maddubs(int32_t rows, int32_t cols, int32_t kp, const uint8_t *a, int64_t lda,
                              const int8_t *bp, int32_t *c, int64_t ldc) {
    const __m256i ones = _mm256_set1_epi16(1);
    for (int32_t r0 = 0; r0 < rows; r0 += MR_MADDUBS) {
        int32_t mr = rows - r0 < MR_MADDUBS ? rows - r0 : MR_MADDUBS;
        const uint8_t *ar[MR_MADDUBS];
        for (int i = 0; i < MR_MADDUBS; i++) {
            ar[i] = a + (r0 + (i < mr ? i : mr - 1)) * lda; /* short block: re-read the last row, never stored */
        }
        __m256i acc[MR_MADDUBS][4];
        for (int i = 0; i < MR_MADDUBS; i++) {
            for (int h = 0; h < 4; h++) {
                acc[i][h] = _mm256_setzero_si256();
            }
        }
        for (int32_t k4 = 0; k4 < kp; k4 += KG) {
            const int8_t *bk = bp + (int64_t)k4 * NR;
            __m256i b[4];
            for (int h = 0; h < 4; h++) {
                b[h] = _mm256_loadu_si256((const __m256i *)(bk + h * 32));
            }
            for (int i = 0; i < MR_MADDUBS; i++) {
                __m256i av = _mm256_set1_epi32((int32_t)load_u32(ar[i] + k4));
                for (int h = 0; h < 4; h++) {
                    __m256i pairs = _mm256_maddubs_epi16(av, b[h]);
                    acc[i][h] = _mm256_add_epi32(acc[i][h], _mm256_madd_epi16(pairs, ones));
                }
            }
        }
        for (int i = 0; i < mr; i++) {
            int32_t out[NR];
            for (int h = 0; h < 4; h++) {
                _mm256_storeu_si256((__m256i *)(out + h * 8), acc[i][h]);
            }
            memcpy(c + (r0 + i) * ldc, out, (size_t)cols * sizeof(int32_t));
        }
    }
}

/* Whether every byte of one packed panel (a multiple of 128 bytes) lies in [-64, 64]: |b| as unsigned bytes
   (|-128| stays 0x80 = 128), their maximum, compared with 64 every 128 bytes so full-range weights stop the scan at
   once. 7-bit weights are read in full: ~3.1 us for a 512 x 512 B, 0.2% of the 512^3 GEMM it speeds up. */
__attribute__((target("avx2")))
static int panel_fits_maddubs(const int8_t *bp, int64_t bytes) {
    const __m256i limit = _mm256_set1_epi8(64);
    for (int64_t i = 0; i < bytes; i += 128) {
        __m256i m0 = _mm256_max_epu8(_mm256_abs_epi8(_mm256_loadu_si256((const __m256i *)(bp + i))),
                                     _mm256_abs_epi8(_mm256_loadu_si256((const __m256i *)(bp + i + 32))));
        __m256i m1 = _mm256_max_epu8(_mm256_abs_epi8(_mm256_loadu_si256((const __m256i *)(bp + i + 64))),
                                     _mm256_abs_epi8(_mm256_loadu_si256((const __m256i *)(bp + i + 96))));
        __m256i mx = _mm256_max_epu8(m0, m1);
        if (_mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_min_epu8(mx, limit), mx)) != -1) {
            return 0;
        }
    }
    return 1;
}
#endif

#if defined(__aarch64__)
#include <arm_neon.h>

/* Plain NEON, exact: u8 and s8 widened to 16 bits, 16x16 -> 32-bit products, pairwise adds per column. */
static void tile_neon(int32_t rows, int32_t cols, int32_t kp, const uint8_t *a, int64_t lda, const int8_t *bp,
                      int32_t *c, int64_t ldc) {
    for (int32_t r = 0; r < rows; r++) {
        int32x4_t acc[8];
        for (int i = 0; i < 8; i++) acc[i] = vdupq_n_s32(0);
        const uint8_t *ar = a + r * lda;
        for (int32_t k4 = 0; k4 < kp; k4 += KG) {
            int16x4_t a4 = vreinterpret_s16_u16(vget_low_u16(vmovl_u8(vcreate_u8((uint64_t)load_u32(ar + k4)))));
            for (int h = 0; h < 8; h++) { /* 4 columns x 4 k = 16 bytes */
                int8x16_t b = vld1q_s8(bp + (int64_t)k4 * NR + h * 16);
                int16x8_t blo = vmovl_s8(vget_low_s8(b));   /* cols 0,1 */
                int16x8_t bhi = vmovl_s8(vget_high_s8(b));  /* cols 2,3 */
                int32x4_t p0 = vmull_s16(vget_low_s16(blo), a4);
                int32x4_t p1 = vmull_s16(vget_high_s16(blo), a4);
                int32x4_t p2 = vmull_s16(vget_low_s16(bhi), a4);
                int32x4_t p3 = vmull_s16(vget_high_s16(bhi), a4);
                acc[h] = vaddq_s32(acc[h], vpaddq_s32(vpaddq_s32(p0, p1), vpaddq_s32(p2, p3)));
            }
        }
        int32_t out[32];
        for (int h = 0; h < 8; h++) vst1q_s32(out + h * 4, acc[h]);
        memcpy(c + r * ldc, out, (size_t)cols * sizeof(int32_t));
    }
}

/* NEON sdot (ARMv8.2 dot product): s8 x s8 only, so A is shifted to s8 by flipping its top bit (a - 128); the
   wrapper adds the +128 x column-sum compensation back. */
__attribute__((target("arch=armv8.2-a+dotprod")))
static void tile_dotprod(int32_t rows, int32_t cols, int32_t kp, const uint8_t *a, int64_t lda, const int8_t *bp,
                         int32_t *c, int64_t ldc) {
    for (int32_t r0 = 0; r0 < rows; r0 += 2) {
        int two = rows - r0 >= 2;
        int32x4_t acc0[8], acc1[8];
        for (int i = 0; i < 8; i++) {
            acc0[i] = vdupq_n_s32(0);
            acc1[i] = vdupq_n_s32(0);
        }
        const uint8_t *ar0 = a + r0 * lda;
        const uint8_t *ar1 = two ? ar0 + lda : ar0;
        for (int32_t k4 = 0; k4 < kp; k4 += KG) {
            int8x16_t a0 = vreinterpretq_s8_u32(vdupq_n_u32(load_u32(ar0 + k4) ^ 0x80808080u));
            int8x16_t a1 = vreinterpretq_s8_u32(vdupq_n_u32(load_u32(ar1 + k4) ^ 0x80808080u));
            for (int h = 0; h < 8; h++) {
                int8x16_t b = vld1q_s8(bp + (int64_t)k4 * NR + h * 16);
                acc0[h] = vdotq_s32(acc0[h], a0, b);
                acc1[h] = vdotq_s32(acc1[h], a1, b);
            }
        }
        int32_t out[32];
        for (int h = 0; h < 8; h++) vst1q_s32(out + h * 4, acc0[h]);
        memcpy(c + r0 * ldc, out, (size_t)cols * sizeof(int32_t));
        if (two) {
            for (int h = 0; h < 8; h++) vst1q_s32(out + h * 4, acc1[h]);
            memcpy(c + (r0 + 1) * ldc, out, (size_t)cols * sizeof(int32_t));
        }
    }
}
#endif

static tile_fn chosen = NULL;
static epi_fn chosen_epi = epi_scalar;
static const char *chosen_name = "scalar";
/* What the chosen path adds to every A value (dotprod works on a - 128): corrected with the column sums. */
static int32_t chosen_shift = 0;
/* AVX2 only: panels whose weights fit [-64, 64] run tile_avx2_maddubs instead of chosen (same shift, same epilogue). */
static int chosen_maddubs = 0;

static void choose(void) {
    if (chosen != NULL) {
        return;
    }
    uint32_t f = sparq_cpu_features();
    chosen = tile_scalar;
    chosen_epi = epi_scalar;
    chosen_name = "scalar";
    chosen_shift = 0;
    chosen_maddubs = 0;
#if defined(__x86_64__)
    if ((f & SPARQ_CPU_AVX512VNNI) && (f & SPARQ_CPU_AVX512BW)) {
        chosen = tile_vnni;
        chosen_epi = epi_avx512;
        chosen_name = "avx512-vnni";
    } else if ((f & SPARQ_CPU_AVXVNNI) && (f & SPARQ_CPU_AVX2)) {
        chosen = tile_avxvnni;
        chosen_epi = epi_avx2;
        chosen_name = "avx-vnni";
    } else if (f & SPARQ_CPU_AVX2) {
        chosen = tile_avx2;
        chosen_epi = epi_avx2;
        chosen_name = "avx2";
        chosen_maddubs = 1;
    }
#elif defined(__aarch64__)
    if (f & SPARQ_CPU_DOTPROD) {
        chosen = tile_dotprod;
        chosen_epi = epi_scalar;
        chosen_name = "neon-dotprod";
        chosen_shift = -128;
    } else {
        chosen = tile_neon;
        chosen_epi = epi_scalar;
        chosen_name = "neon";
    }
#else
    (void)f;
#endif
}

const char *sparq_gemm_s8_path(void) {
    choose();
    return chosen_name;
}

int32_t sparq_gemm_s8_force(const char *path) {
    uint32_t f = sparq_cpu_features();
    chosen_maddubs = 0;
    if (strcmp(path, "scalar") == 0) {
        chosen = tile_scalar;
        chosen_epi = epi_scalar;
        chosen_name = "scalar";
        chosen_shift = 0;
        return 1;
    }
#if defined(__aarch64__)
    if (strcmp(path, "neon") == 0) {
        chosen = tile_neon;
        chosen_epi = epi_scalar;
        chosen_name = "neon";
        chosen_shift = 0;
        return 1;
    }
    if (strcmp(path, "neon-dotprod") == 0 && (f & SPARQ_CPU_DOTPROD)) {
        chosen = tile_dotprod;
        chosen_epi = epi_scalar;
        chosen_name = "neon-dotprod";
        chosen_shift = -128;
        return 1;
    }
#endif
#if defined(__x86_64__)
    if (strcmp(path, "avx512-vnni") == 0 && (f & SPARQ_CPU_AVX512VNNI) && (f & SPARQ_CPU_AVX512BW)) {
        chosen = tile_vnni;
        chosen_epi = epi_avx512;
        chosen_name = "avx512-vnni";
        chosen_shift = 0;
        return 1;
    }
    if (strcmp(path, "avx-vnni") == 0 && (f & SPARQ_CPU_AVXVNNI) && (f & SPARQ_CPU_AVX2)) {
        chosen = tile_avxvnni;
        chosen_epi = epi_avx2;
        chosen_name = "avx-vnni";
        chosen_shift = 0;
        return 1;
    }
    /* "avx2" as picked automatically (vpmaddubsw on the panels that fit, widening elsewhere); "avx2-maddubs" the same
       under its own name, for tests and benchmarks; "avx2-widen" the exact widening tile everywhere */
    int avx2_auto = strcmp(path, "avx2") == 0, avx2_maddubs = strcmp(path, "avx2-maddubs") == 0;
    if ((avx2_auto || avx2_maddubs || strcmp(path, "avx2-widen") == 0) && (f & SPARQ_CPU_AVX2)) {
        chosen = tile_avx2;
        chosen_epi = epi_avx2;
        chosen_name = avx2_auto ? "avx2" : avx2_maddubs ? "avx2-maddubs" : "avx2-widen";
        chosen_shift = 0;
        chosen_maddubs = avx2_auto || avx2_maddubs;
        return 1;
    }
#else
    (void)f;
#endif
    return 0;
}

/* Per panel, the tile to run: tile_avx2_maddubs where the path allows it and the panel's weights fit, else chosen.
   NULL when every panel runs chosen. */
static tile_fn *panel_tiles(const int8_t *packed_b, int32_t kp, int32_t panels) {
#if defined(__x86_64__)
    if (chosen_maddubs) {
        tile_fn *t = (tile_fn *)malloc(sizeof(tile_fn) * (size_t)panels);
        for (int32_t p = 0; p < panels; p++) {
            t[p] = panel_fits_maddubs(packed_b + (int64_t)p * kp * NR, (int64_t)kp * NR) ? tile_avx2_maddubs : chosen;
        }
        return t;
    }
#else
    (void)packed_b;
    (void)kp;
    (void)panels;
#endif
    return NULL;
}

/* A's rows as the tiles read them: in place when K is a multiple of 4, else copied with K padded by zeros so every
   4-byte group is readable (*padded is that copy, for the caller to free; NULL when none was made). */
static const uint8_t *rows_padded_to_kp(int32_t m, int32_t k, int32_t kp, const uint8_t *a, int32_t lda,
                                        int64_t *astride, uint8_t **padded) {
    *padded = NULL;
    *astride = lda;
    if (kp == k) {
        return a;
    }
    *padded = (uint8_t *)calloc((size_t)m * (size_t)kp, 1);
    for (int32_t r = 0; r < m; r++) {
        memcpy(*padded + (int64_t)r * kp, a + (int64_t)r * lda, (size_t)k);
    }
    *astride = kp;
    return *padded;
}

void sparq_gemm_u8s8s32(int32_t m, int32_t n, int32_t k, const uint8_t *a, int32_t lda, int32_t a_zero,
                        const int8_t *packed_b, const int32_t *col_sums, int32_t *c, int32_t ldc) {
    choose();
    int32_t kp = (k + KG - 1) / KG * KG;
    int64_t astride;
    uint8_t *padded;
    const uint8_t *arows = rows_padded_to_kp(m, k, kp, a, lda, &astride, &padded);
    int32_t panels = (n + NR - 1) / NR;
    tile_fn *tiles = panel_tiles(packed_b, kp, panels);
    for (int32_t p = 0; p < panels; p++) {
        int32_t cols = n - p * NR < NR ? n - p * NR : NR;
        (tiles ? tiles[p] : chosen)(m, cols, kp, arows, astride, packed_b + (int64_t)p * kp * NR, c + p * NR, ldc);
    }
    free(tiles);
    free(padded);
    /* the tiles computed sum (a + shift) * b; (a - a_zero) * b needs -(shift + a_zero) * column_sum more */
    int32_t correction = -(chosen_shift + a_zero);
    if (correction != 0) {
        for (int32_t r = 0; r < m; r++) {
            for (int32_t j = 0; j < n; j++) {
                c[(int64_t)r * ldc + j] = (int32_t)((uint32_t)c[(int64_t)r * ldc + j]
                    + (uint32_t)correction * (uint32_t)col_sums[j]);
            }
        }
    }
}

/* Rows per block of the fused GEMM: its int32 tile (48 x 32) stays in L1 between the GEMM and the epilogue. */
#define RB 48

void sparq_gemm_u8s8_requant(int32_t m, int32_t n, int32_t k, const uint8_t *a, int32_t lda, int32_t a_zero,
                             const int8_t *packed_b, const int32_t *col_sums, const int32_t *bias,
                             const float *multiplier, int32_t zero_point, int32_t qmin, int32_t qmax,
                             int32_t out_signed, void *out, int32_t ldo) {
    choose();
    int32_t kp = (k + KG - 1) / KG * KG;
    int64_t astride;
    uint8_t *padded;
    const uint8_t *arows = rows_padded_to_kp(m, k, kp, a, lda, &astride, &padded);
    /* per column: bias and the zero-point correction -(shift + a_zero) * column_sum, wrapping like int32 */
    int32_t panels = (n + NR - 1) / NR;
    int32_t *addend = (int32_t *)malloc(sizeof(int32_t) * (size_t)panels * NR);
    uint32_t correction = (uint32_t)(-(chosen_shift + a_zero));
    for (int32_t j = 0; j < n; j++) {
        addend[j] = (int32_t)(correction * (uint32_t)col_sums[j] + (uint32_t)(bias ? bias[j] : 0));
    }
    tile_fn *tiles = panel_tiles(packed_b, kp, panels);
    int32_t tile[RB * NR];
    for (int32_t r0 = 0; r0 < m; r0 += RB) {
        int32_t rows = m - r0 < RB ? m - r0 : RB;
        for (int32_t p = 0; p < panels; p++) {
            int32_t cols = n - p * NR < NR ? n - p * NR : NR;
            (tiles ? tiles[p] : chosen)(rows, cols, kp, arows + r0 * astride, astride, packed_b + (int64_t)p * kp * NR,
                                        tile, NR);
            for (int32_t i = 0; i < rows; i++) {
                chosen_epi(tile + i * NR, cols, addend + p * NR, multiplier + p * NR, zero_point, qmin, qmax,
                           out_signed, (uint8_t *)out + (int64_t)(r0 + i) * ldo + p * NR);
            }
        }
    }
    free(tiles);
    free(addend);
    free(padded);
}
