/* com.microsoft QLinearAdd of two same-shape 8-bit tensors, as sparq's cpu-ref defines it (and ONNX Runtime up to
 * its fixed-point shortcuts): every step in float32, separately rounded, no fused multiply-add —
 * v = (float)(a - za) * sa + (float)(b - zb) * sb;  c = clamp(rint(v / sc) + zc, qmin, qmax). */
#include "sparq_kernels.h"
#include "requant_common.h"

#include <math.h>

static inline int32_t load8(const uint8_t *p, int64_t i, int32_t is_signed) {
    return is_signed ? (int32_t)(int8_t)p[i] : (int32_t)p[i];
}

static void qadd_scalar(const uint8_t *a, const uint8_t *b, int64_t i0, int64_t i1, int32_t za, float sa, int32_t zb,
                        float sb, float sc, int32_t zc, int32_t is_signed, int32_t qmin, int32_t qmax, uint8_t *c) {
    for (int64_t i = i0; i < i1; i++) {
        volatile float x = (float)(load8(a, i, is_signed) - za) * sa; /* volatile: one rounding per step */
        volatile float y = (float)(load8(b, i, is_signed) - zb) * sb;
        volatile float v = x + y;
        volatile float q = v / sc;
        double r = sparq_round_half_even((double)q) + zc;
        c[i] = (uint8_t)(r <= qmin ? qmin : r >= qmax ? qmax : (int32_t)r);
    }
}

#if defined(__x86_64__)
#include <immintrin.h>

__attribute__((target("avx512f,avx512bw,avx512vl")))
static void qadd_avx512(const uint8_t *a, const uint8_t *b, int64_t i0, int64_t i1, int32_t za, float sa, int32_t zb,
                        float sb, float sc, int32_t zc, int32_t is_signed, int32_t qmin, int32_t qmax, uint8_t *c) {
    const __m512i vza = _mm512_set1_epi32(za), vzb = _mm512_set1_epi32(zb);
    const __m512 vsa = _mm512_set1_ps(sa), vsb = _mm512_set1_ps(sb), vsc = _mm512_set1_ps(sc);
    const __m512 vzc = _mm512_set1_ps((float)zc);
    const __m512 lo = _mm512_set1_ps((float)qmin), hi = _mm512_set1_ps((float)qmax);
    for (int64_t i = i0; i < i1; i += 16) {
        int64_t n = i1 - i < 16 ? i1 - i : 16;
        __mmask16 k = (__mmask16)(n == 16 ? 0xFFFF : (1u << n) - 1);
        __m128i ra = _mm_maskz_loadu_epi8(k, a + i), rb = _mm_maskz_loadu_epi8(k, b + i);
        __m512i ia = is_signed ? _mm512_cvtepi8_epi32(ra) : _mm512_cvtepu8_epi32(ra);
        __m512i ib = is_signed ? _mm512_cvtepi8_epi32(rb) : _mm512_cvtepu8_epi32(rb);
        __m512 x = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(ia, vza)), vsa);
        __m512 y = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(ib, vzb)), vsb);
        __m512 q = _mm512_div_ps(_mm512_add_ps(x, y), vsc);
        q = _mm512_roundscale_ps(q, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        /* + zc: exact below 2^24, and beyond that the value saturates either way */
        q = _mm512_min_ps(_mm512_max_ps(_mm512_add_ps(q, vzc), lo), hi);
        _mm_mask_storeu_epi8(c + i, k, _mm512_cvtepi32_epi8(_mm512_cvtps_epi32(q)));
    }
}
#endif

void sparq_qlinear_add_8(const uint8_t *a, const uint8_t *b, int64_t i0, int64_t i1, int32_t za, float sa, int32_t zb,
                         float sb, float sc, int32_t zc, int32_t is_signed, int32_t qmin, int32_t qmax, uint8_t *c) {
#if defined(__x86_64__)
    static int avx512 = -1; /* cpuid once: in a VM it traps to the hypervisor */
    if (avx512 < 0) {
        uint32_t f = sparq_cpu_features();
        avx512 = (f & SPARQ_CPU_AVX512F) && (f & SPARQ_CPU_AVX512BW);
    }
    if (avx512) {
        qadd_avx512(a, b, i0, i1, za, sa, zb, sb, sc, zc, is_signed, qmin, qmax, c);
        return;
    }
#endif
    qadd_scalar(a, b, i0, i1, za, sa, zb, sb, sc, zc, is_signed, qmin, qmax, c);
}
