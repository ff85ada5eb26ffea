/* What the 8-bit convolutions share (qconv.c, dense; qsparse.c, pruned): the phase-plane geometry of the input that
 * sparq_qconv_pack_input writes, and ONNX's requantization, scalar and on AVX-512 vectors. Internal to the library. */
#ifndef SPARQ_QCONV_COMMON_H
#define SPARQ_QCONV_COMMON_H

#include "sparq_kernels.h"
#include "requant_common.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    const sparq_qconv_desc *d;
    int32_t planes;    /* per phase: channel groups of 4 (dense) or channels (depthwise) */
    int32_t elem;      /* bytes per plane element: 4 or 1 */
    int32_t hq, wq;    /* phase plane size */
    int64_t ps;        /* plane stride in elements, slack for the tiles' overshoot included */
    int32_t q;         /* flat output pixels: oh * wq */
    int32_t taps;
    int64_t wabs;      /* a bound on any output channel's sum of |weight| (the accumulator is at most 255 times it) */
} geom;

static inline geom geometry(const sparq_qconv_desc *d) {
    geom g;
    g.d = d;
    g.planes = d->depthwise ? d->c : (d->c + 3) / 4;
    g.elem = d->depthwise ? 1 : 4;
    int32_t hp = d->sh * (d->oh - 1) + d->dh * (d->kh - 1) + 1;
    int32_t wp = d->sw * (d->ow - 1) + d->dw * (d->kw - 1) + 1;
    g.hq = (hp + d->sh - 1) / d->sh;
    g.wq = (wp + d->sw - 1) / d->sw;
    /* every read stays below hq*wq for valid lanes; a tile may run 63 lanes past the last pixel */
    g.ps = ((int64_t)g.hq * g.wq + 64 + 15) / 16 * 16;
    g.q = d->oh * g.wq;
    g.taps = d->kh * d->kw;
    g.wabs = (int64_t)g.taps * (d->depthwise ? 1 : d->c) * 128; /* qconv.c's compute tightens it for dense */
    return g;
}

/* Tap t's phase plane and offset in elements within it. */
static inline void tap_place(const geom *g, int32_t t, int32_t *phase, int64_t *offset) {
    const sparq_qconv_desc *d = g->d;
    int32_t ry = (t / d->kw) * d->dh;
    int32_t rx = (t % d->kw) * d->dw;
    *phase = (ry % d->sh) * d->sw + rx % d->sw;
    *offset = (int64_t)(ry / d->sh) * g->wq + rx / d->sw;
}

static inline uint8_t requant1(int32_t acc, int32_t bias, float mult, const sparq_qconv_desc *d) {
    int32_t a = (int32_t)((uint32_t)acc + (uint32_t)bias);
    double v = sparq_round_half_even((double)a * (double)mult + (double)d->y_zero);
    int32_t q = v <= d->qmin ? d->qmin : v >= d->qmax ? d->qmax : (int32_t)v;
    return (uint8_t)q;
}

/* Copies flat pixels [q0, q0 + n) of one channel's tile row into the NCHW output plane, dropping ox >= ow. */
static inline void scatter_row(const geom *g, const uint8_t *row, int32_t q0, int32_t n, uint8_t *yplane) {
    const sparq_qconv_desc *d = g->d;
    int32_t q1 = q0 + n > g->q ? g->q : q0 + n;
    for (int32_t q = q0; q < q1;) {
        int32_t oy = q / g->wq, ox = q % g->wq;
        int32_t end = oy * g->wq + g->wq; /* first index of the next plane row */
        if (ox < d->ow) {
            int32_t len = (end < q1 ? end : q1) - q;
            if (len > d->ow - ox) len = d->ow - ox;
            memcpy(yplane + (int64_t)oy * d->ow + ox, row + (q - q0), (size_t)len);
        }
        q = end;
    }
}

/* Splits [0, n) into parts: this part's [*lo, *hi), boundaries on multiples of `unit`. */
static inline void split(int32_t n, int32_t unit, int32_t part, int32_t parts, int32_t *lo, int32_t *hi) {
    int32_t units = (n + unit - 1) / unit;
    *lo = (int32_t)((int64_t)units * part / parts) * unit;
    *hi = (int32_t)((int64_t)units * (part + 1) / parts) * unit;
    if (*hi > n) *hi = n;
    if (*lo > n) *lo = n;
}

#if defined(__x86_64__)
#include <immintrin.h>
#define AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni")))

/* 0: the exact general requantization; 1 / 2: requant32_fast for uint8 / int8 output is exact for every
 * accumulator this layer can produce (|raw sum| <= 255 * g->wabs, plus the bias). Modes 1 and 2 leave the results
 * unclamped: clamp_q applies [qmin, qmax] before the narrowing saturates to the type. */
static inline int epilogue_mode(const geom *g, const int32_t *bias, const float *mult) {
    const sparq_qconv_desc *d = g->d;
    int mode = d->y_signed ? 2 : 1;
    double maxb = 0, maxm = 0;
    for (int32_t c = 0; c < d->cout; c++) {
        double b = fabs((double)bias[c]), m = fabs((double)mult[c]);
        if (b > maxb) maxb = b;
        if (m > maxm || m != m) maxm = m != m ? INFINITY : m;
    }
    double acc = (double)g->wabs * 255.0 + maxb;
    if (!(acc < 536870912.0) || !(acc * maxm + fabs((double)d->y_zero) < 1073741824.0)) {
        return 0;
    }
    return mode;
}

/* 16 accumulators (+ bias) requantized exactly as requant1, as int32 already within [qmin, qmax]. */
AVX512 static inline __m512i requant32(__m512i acc, __m512i bias, __m512d mult, __m512d zero, __m512d lo,
                                       __m512d hi) {
    __m512i a = _mm512_add_epi32(acc, bias);
    __m512d v0 = _mm512_cvtepi32_pd(_mm512_castsi512_si256(a));
    __m512d v1 = _mm512_cvtepi32_pd(_mm512_extracti64x4_epi64(a, 1));
    /* multiply, then add: two roundings, as the reference (no fused multiply-add) */
    v0 = _mm512_add_pd(_mm512_mul_pd(v0, mult), zero);
    v1 = _mm512_add_pd(_mm512_mul_pd(v1, mult), zero);
    /* clamping to the integer bounds before rounding gives the same result as after it */
    v0 = _mm512_min_pd(_mm512_max_pd(v0, lo), hi);
    v1 = _mm512_min_pd(_mm512_max_pd(v1, lo), hi);
    __m256i i0 = _mm512_cvt_roundpd_epi32(v0, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256i i1 = _mm512_cvt_roundpd_epi32(v1, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    return _mm512_inserti64x4(_mm512_castsi256_si512(i0), i1, 1);
}

/* The same values with fewer instructions, where epilogue_mode proved every |acc + bias| < 2^29 — so (double)a *
 * multiplier is exact and one fused multiply-add rounds like the reference's multiply-then-add — and that the result
 * fits int32; the clamp is left to narrow()'s saturation. */
AVX512 static inline __m512i requant32_fast(__m512i acc, __m512i bias, __m512d mult, __m512d zero) {
    __m512i a = _mm512_add_epi32(acc, bias);
    __m512d v0 = _mm512_fmadd_pd(_mm512_cvtepi32_pd(_mm512_castsi512_si256(a)), mult, zero);
    __m512d v1 = _mm512_fmadd_pd(_mm512_cvtepi32_pd(_mm512_extracti64x4_epi64(a, 1)), mult, zero);
    __m256i i0 = _mm512_cvt_roundpd_epi32(v0, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256i i1 = _mm512_cvt_roundpd_epi32(v1, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    return _mm512_inserti64x4(_mm512_castsi256_si512(i0), i1, 1);
}

/* requant32_fast's values from a float estimate, exactly: v = fl32(fl32(a) * multiplier + zero) is within
 * 2^-24 * (|a * multiplier| + |v|) < 2^-12.8 of the exact a * multiplier + zero wherever |v| < 1024 (|zero| <= 255),
 * and the reference's double v is closer still, so both round to the same integer unless v lies within that distance
 * of a tie; lanes with |v| >= 1024 saturate alike. A vector with any lane within 2^-10 of a tie (about 3% of them)
 * takes the double path instead. Only where epilogue_mode allows requant32_fast. */
AVX512 static inline __m512i requant32_est(__m512i acc, __m512i bias, __m512 multf, __m512 zerof, __m512d mult,
                                           __m512d zero) {
    __m512i a = _mm512_add_epi32(acc, bias);
    __m512 v = _mm512_fmadd_ps(_mm512_cvtepi32_ps(a), multf, zerof);
    __m512 r = _mm512_roundscale_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 off = _mm512_abs_ps(_mm512_sub_ps(v, r)); /* in [0, 0.5] */
    __m512 to_tie = _mm512_sub_ps(_mm512_set1_ps(0.5f), off); /* >= 0 */
    if (_mm512_cmp_ps_mask(to_tie, _mm512_set1_ps(1.0f / 1024), _CMP_LT_OQ) != 0) {
        return requant32_fast(acc, bias, mult, zero);
    }
    return _mm512_cvtps_epi32(r);
}

/* [qmin, qmax] on int32 results of modes 1 and 2: the type's range, which the narrowing would saturate to anyway, or a
 * narrower one where a Relu or Clip on the quantized output is fused (two instructions per 16 results). */
AVX512 static inline __m512i clamp_q(__m512i r, __m512i lo, __m512i hi) {
    return _mm512_min_epi32(_mm512_max_epi32(r, lo), hi);
}

/* int32 to bytes: mode 0 values already clamped; 1 saturate to uint8; 2 saturate to int8. */
AVX512 static inline __m128i narrow(__m512i r, int mode) {
    if (mode == 2) {
        return _mm512_cvtsepi32_epi8(r);
    }
    if (mode == 1) {
        return _mm512_cvtusepi32_epi8(_mm512_max_epi32(r, _mm512_setzero_si512()));
    }
    return _mm512_cvtepi32_epi8(r);
}

/* Per plane column ox: the lanes l of a vector starting there whose column (ox + l) mod wq is an output column. */
static inline uint16_t *valid_lanes(const geom *g) {
    uint16_t *m = (uint16_t *)malloc(sizeof(uint16_t) * (size_t)g->wq);
    for (int32_t ox = 0; ox < g->wq; ox++) {
        uint32_t bits = 0;
        for (int l = 0; l < 16; l++) {
            if ((ox + l) % g->wq < g->d->ow) bits |= 1u << l;
        }
        m[ox] = (uint16_t)bits;
    }
    return m;
}

/* Stores the results for flat pixels [q, q + min(n, 16)) of one output channel plane: straight when no lane is
   dropped (lanes NULL: wq == ow), else compressed to the valid lanes, which are consecutive in NCHW order. (oy, ox)
   is q's plane row and column, kept by the caller (a division per vector costs more than the rest of the store). */
AVX512 static inline void store16(const geom *g, const uint16_t *lanes, uint8_t *yplane, int32_t q, int32_t oy,
                                  int32_t ox, int32_t n, __m512i r, int mode) {
    __mmask16 lim = n >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << n) - 1);
    if (lanes == NULL) {
        _mm_mask_storeu_epi8(yplane + q, lim, narrow(r, mode));
        return;
    }
    __mmask16 m = (__mmask16)(lanes[ox] & lim);
    int64_t at = (int64_t)oy * g->d->ow + (ox < g->d->ow ? ox : g->d->ow);
    int cnt = __builtin_popcount((unsigned)m);
    __m512i packed = _mm512_maskz_compress_epi32(m, r);
    _mm_mask_storeu_epi8(yplane + at, (__mmask16)((1u << cnt) - 1), narrow(packed, mode));
}

/* (oy, ox) of flat pixel q + 16, from those of q. */
static inline void advance16(const geom *g, int32_t *oy, int32_t *ox) {
    *ox += 16;
    while (*ox >= g->wq) {
        *ox -= g->wq;
        (*oy)++;
    }
}

#endif /* __x86_64__ */
#endif
