/* Fused 8-bit convolution (QLinearConv): no im2col, the requantization done on the accumulator tile, NCHW output.
 *
 * The input image is first rewritten into "phase planes": for stride s, padded pixel (s*i + a, s*j + b) goes to
 * phase (a, b) at (i, j), so every tap of a strided convolution reads its phase plane with unit stride. Output pixel
 * (oy, ox) becomes the flat index q = oy*Wq + ox over a plane Wq wide, and tap (ky, kx) reads the plane at q plus a
 * constant offset: the convolution is a GEMM whose B operand is read in place, for any stride, dilation and padding
 * (the padding holds the zero point, so it contributes nothing after the zero-point correction in the bias). Lanes
 * with ox >= ow are computed and dropped (Wq - ow of every Wq: 2 of 58 for a 56-wide 3x3 layer).
 *
 * Dense convolutions keep four input channels per 32-bit plane element, the four bytes vpdpbusd multiplies with four
 * weight bytes of one output channel; depthwise ones keep one channel per byte plane and run exact f32 multiply-adds
 * (|x * w| <= 255 * 128, so sums over <= 512 taps stay below 2^24). Requantization is ONNX's: (acc + bias) * (double)
 * multiplier + zero point, rounded half to even, saturated. A portable scalar path computes the same integers. */
#define _GNU_SOURCE /* syscall(), for the AMX permission */
#include "qconv_common.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__)
#include <sys/syscall.h>
#include <unistd.h>
#endif

#define MR 8       /* output channels per dense tile */
#define AMX_CO 32  /* output channels per AMX tile pair */
#define AMX_Q 32   /* flat output pixels per AMX tile pair */
#define HEADER 64  /* dense packed weights start with their layout (int32), padded for alignment */
enum { LAYOUT_VNNI = 1, LAYOUT_AMX = 2, LAYOUT_AMX_FOLD = 3 };

static int qconv_path = -1; /* 0 scalar, 1 avx512-vnni, 2 avx512-vbmi (VNNI + byte permutes), 3 amx */
static void qconv_choose(void);
#define TILE_Q 48  /* flat output pixels per dense tile (3 vectors of 16) */
#define DW_TILE 64 /* flat output pixels per depthwise tile */

/* Layers of few input channels and several taps (a 3-channel stem) give AMX too little K per tap: there each tap's
   channel-group plane is copied out shifted ("folded"), so taps x groups make one K of at most 64 bytes and the layer
   runs as a 1x1 convolution on tiles, over planes oh * ow wide (no dropped lanes). */
static int foldable(const sparq_qconv_desc *d, const geom *g) {
    return !d->depthwise && g->taps > 1 && g->planes < 4 && g->planes * g->taps <= 16;
}

static geom fold_geometry(const geom *g) {
    geom f = *g;
    f.planes = g->taps * g->planes;
    f.hq = g->d->oh;
    f.wq = g->d->ow;
    f.q = g->d->oh * g->d->ow;
    f.ps = ((int64_t)f.q + 64 + 15) / 16 * 16;
    f.taps = 1;
    return f;
}

/* Bytes of the phase planes; folded planes follow them. */
static int64_t phase_bytes(const sparq_qconv_desc *d, const geom *g) {
    /* the last AMX step of the last phase may read up to 15 planes past the end (times zero weights) */
    int32_t slack = g->planes > 16 ? (g->planes + 15) / 16 * 16 - g->planes : 0;
    return ((int64_t)d->sh * d->sw * g->planes + slack) * g->ps * g->elem;
}

int64_t sparq_qconv_scratch_size(const sparq_qconv_desc *d) {
    geom g = geometry(d);
    if (d->depthwise) {
        return 64; /* depthwise reads the image itself (see sparq_qconv_compute) */
    }
    if (foldable(d, &g)) { /* whatever the path: weights may have been packed under another */
        geom f = fold_geometry(&g);
        return phase_bytes(d, &g) + (int64_t)f.planes * f.ps * 4;
    }
    return phase_bytes(d, &g);
}

/* AMX tiles take up to 16 channel groups (64 channels) per step: K = 4 * planes bytes in one step where planes <= 16,
   else steps of 64 with the last one's weights zero-padded (its B rows read whatever follows, times zero). Below 4
   groups (a 3-channel stem) a step does too little for its fixed cost: VNNI runs there. */
static int use_amx(const sparq_qconv_desc *d, const geom *g) {
    qconv_choose();
    return qconv_path == 3 && !d->depthwise && g->planes >= 4;
}

static int use_fold(const sparq_qconv_desc *d, const geom *g) {
    qconv_choose();
    return qconv_path == 3 && foldable(d, g);
}

/* AMX steps over the channel groups, and bytes of K per step. */
static int32_t amx_chunks(const geom *g) {
    return (g->planes + 15) / 16;
}

static int32_t amx_kbytes(const geom *g) {
    return g->planes < 16 ? g->planes * 4 : 64;
}

int64_t sparq_qconv_weights_size(const sparq_qconv_desc *d) {
    geom g = geometry(d);
    if (d->depthwise) {
        /* the taps as floats, then as int8 in groups of four per kernel row (kw <= 4, for the byte-permute path) */
        return (int64_t)d->c * g.taps * 4 + (int64_t)d->c * d->kh * 4;
    }
    if (use_amx(d, &g)) {
        return HEADER + (int64_t)(d->cout + AMX_CO - 1) / AMX_CO * g.taps * amx_chunks(&g) * AMX_CO * amx_kbytes(&g);
    }
    if (use_fold(d, &g)) {
        geom f = fold_geometry(&g);
        return HEADER + (int64_t)(d->cout + AMX_CO - 1) / AMX_CO * AMX_CO * amx_kbytes(&f);
    }
    return HEADER + (int64_t)(d->cout + MR - 1) / MR * g.taps * g.planes * MR * 4;
}

void sparq_qconv_pack_weights(const sparq_qconv_desc *d, const int8_t *w, void *packed, int32_t *sums) {
    geom g = geometry(d);
    int32_t cin = d->depthwise ? 1 : d->c; /* channels per filter */
    for (int32_t co = 0; co < d->cout; co++) {
        int32_t s = 0;
        for (int64_t i = 0; i < (int64_t)cin * g.taps; i++) {
            s += w[(int64_t)co * cin * g.taps + i];
        }
        sums[co] = s;
    }
    if (d->depthwise) {
        float *f = (float *)packed;
        for (int64_t i = 0; i < (int64_t)d->c * g.taps; i++) {
            f[i] = (float)w[i];
        }
        int8_t *rows = (int8_t *)(f + (int64_t)d->c * g.taps);
        memset(rows, 0, (size_t)d->c * d->kh * 4);
        if (d->kw <= 4) {
            for (int64_t i = 0; i < (int64_t)d->c * d->kh; i++) {
                for (int32_t k = 0; k < d->kw; k++) rows[i * 4 + k] = w[i * d->kw + k];
            }
        }
        return;
    }
    int32_t *header = (int32_t *)packed;
    memset(packed, 0, HEADER);
    /* the largest sum of |weight| over one output channel: bounds the accumulators (see epilogue_mode) */
    for (int32_t co = 0; co < d->cout; co++) {
        int32_t s = 0;
        for (int64_t i = 0; i < (int64_t)cin * g.taps; i++) s += abs(w[(int64_t)co * cin * g.taps + i]);
        if (s > header[1]) header[1] = s;
    }
    int8_t *p = (int8_t *)packed + HEADER;
    if (use_amx(d, &g)) {
        /* per block of 32 output channels, tap and step of (up to) 64 input channels: two 16 x kb A tiles (rows:
           output channels; byte 4r + j: input channel 64 * chunk + 4r + j), the order of the B tile's rows
           (channel-group planes) */
        header[0] = LAYOUT_AMX;
        int32_t blocks = (d->cout + AMX_CO - 1) / AMX_CO, chunks = amx_chunks(&g), kb = amx_kbytes(&g);
        for (int32_t b = 0; b < blocks; b++) {
            for (int32_t t = 0; t < g.taps; t++) {
                for (int32_t ch = 0; ch < chunks; ch++) {
                    for (int32_t i = 0; i < AMX_CO; i++) {
                        for (int32_t k = 0; k < kb; k++) {
                            int32_t co = b * AMX_CO + i, ci = ch * 64 + k;
                            *p++ = (co < d->cout && ci < cin) ? w[((int64_t)co * cin + ci) * g.taps + t] : 0;
                        }
                    }
                }
            }
        }
        return;
    }
    if (use_fold(d, &g)) {
        /* per block of 32 output channels, two 16 x kb A tiles; byte 4 * (t * planes + p) + j of a row: tap t of
           input channel 4p + j, the order of the folded planes */
        header[0] = LAYOUT_AMX_FOLD;
        geom f = fold_geometry(&g);
        int32_t blocks = (d->cout + AMX_CO - 1) / AMX_CO, kb = amx_kbytes(&f);
        for (int32_t b = 0; b < blocks; b++) {
            for (int32_t i = 0; i < AMX_CO; i++) {
                for (int32_t k = 0; k < kb; k++) {
                    int32_t co = b * AMX_CO + i, t = k / 4 / g.planes, ci = (k / 4 % g.planes) * 4 + k % 4;
                    *p++ = (co < d->cout && ci < cin && t < g.taps) ? w[((int64_t)co * cin + ci) * g.taps + t] : 0;
                }
            }
        }
        return;
    }
    header[0] = LAYOUT_VNNI;
    int32_t blocks = (d->cout + MR - 1) / MR;
    for (int32_t b = 0; b < blocks; b++) {
        for (int32_t t = 0; t < g.taps; t++) {
            for (int32_t cg = 0; cg < g.planes; cg++) {
                for (int32_t m = 0; m < MR; m++) {
                    for (int32_t q = 0; q < 4; q++) {
                        int32_t co = b * MR + m;
                        int32_t ci = cg * 4 + q;
                        *p++ = (co < d->cout && ci < cin) ? w[((int64_t)co * cin + ci) * g.taps + t] : 0;
                    }
                }
            }
        }
    }
}

/* ---- input packing ---- */

#if defined(__x86_64__)
#include <immintrin.h>

/* dst[j] = s[2j] ^ flip for as many j < n as whole 32-byte loads within `avail` bytes allow (SSE2); returns how many. */
static int32_t split2(const uint8_t *s, int32_t avail, int32_t n, uint8_t flip, uint8_t *dst) {
    const __m128i low = _mm_set1_epi16(0xFF), f = _mm_set1_epi8((char)flip);
    int32_t j = 0;
    for (; j + 16 <= n && 2 * j + 32 <= avail; j += 16) {
        __m128i a = _mm_and_si128(_mm_loadu_si128((const __m128i *)(s + 2 * j)), low);
        __m128i b = _mm_and_si128(_mm_loadu_si128((const __m128i *)(s + 2 * j + 16)), low);
        _mm_storeu_si128((__m128i *)(dst + j), _mm_xor_si128(_mm_packus_epi16(a, b), f));
    }
    if (j < n && n >= 17) {
        /* the last 16, overlapping: as the odd bytes of a load one byte earlier, which ends at s[2n - 2] */
        int32_t k = n - 16;
        __m128i a = _mm_srli_epi16(_mm_loadu_si128((const __m128i *)(s + 2 * k - 1)), 8);
        __m128i b = _mm_srli_epi16(_mm_loadu_si128((const __m128i *)(s + 2 * k + 15)), 8);
        _mm_storeu_si128((__m128i *)(dst + k), _mm_xor_si128(_mm_packus_epi16(a, b), f));
        j = n;
    }
    return j;
}
#else
static int32_t split2(const uint8_t *s, int32_t avail, int32_t n, uint8_t flip, uint8_t *dst) {
    (void)s; (void)avail; (void)n; (void)flip; (void)dst;
    return 0;
}
#endif

/* Columns j of phase column b whose image column sw*j + b - pad_left lies in [0, w): [*j0, *j1). */
static void image_columns(const sparq_qconv_desc *d, const geom *g, int32_t b, int32_t *j0, int32_t *j1) {
    int32_t lo = d->pad_left - b <= 0 ? 0 : (d->pad_left - b + d->sw - 1) / d->sw;
    int32_t hi = (d->w - 1 + d->pad_left - b) < 0 ? 0 : (d->w - 1 + d->pad_left - b) / d->sw + 1;
    if (hi > g->wq) hi = g->wq;
    if (lo > hi) lo = hi;
    *j0 = lo;
    *j1 = hi;
}

/* Row i of phase (a, b) of the given channel, one byte per element at stride `step` bytes. */
static void phase_row(const sparq_qconv_desc *d, const geom *g, const uint8_t *plane, int32_t a, int32_t b, int32_t i,
                      uint8_t *dst, int32_t step) {
    uint8_t zero = (uint8_t)d->x_zero;
    uint8_t flip = d->x_flip ? 0x80 : 0;
    int32_t iy = d->sh * i + a - d->pad_top;
    if (plane == NULL || iy < 0 || iy >= d->h) {
        if (step == 1) {
            memset(dst, zero, (size_t)g->wq);
        } else {
            for (int32_t j = 0; j < g->wq; j++) dst[(int64_t)j * step] = zero;
        }
        return;
    }
    const uint8_t *src = plane + (int64_t)iy * d->w;
    int32_t j0, j1;
    image_columns(d, g, b, &j0, &j1);
    for (int32_t j = 0; j < j0; j++) dst[(int64_t)j * step] = zero;
    const uint8_t *s = src + (int64_t)d->sw * j0 + b - d->pad_left;
    if (step == 1 && d->sw == 1) {
        if (flip) {
            for (int32_t j = j0; j < j1; j++) dst[j] = s[j - j0] ^ flip;
        } else {
            memcpy(dst + j0, s, (size_t)(j1 - j0));
        }
    } else if (step == 1 && d->sw == 2) {
        /* every other byte; the vector loop never reads past the image row */
        int32_t avail = d->w - (d->sw * j0 + b - d->pad_left);
        int32_t j = j0;
        j = split2(s, avail, j1 - j0, flip, dst + j0) + j0;
        for (; j < j1; j++) dst[j] = s[(int64_t)(j - j0) * 2] ^ flip;
    } else {
        for (int32_t j = j0; j < j1; j++) dst[(int64_t)j * step] = s[(int64_t)(j - j0) * d->sw] ^ flip;
    }
    for (int32_t j = j1; j < g->wq; j++) dst[(int64_t)j * step] = zero;
}

#if defined(__x86_64__)
/* Four channel rows interleaved into 32-bit elements (SSE2, baseline x86-64): dst[4j + q] = row_q[j] ^ flip. */
static void interleave4_sse2(const uint8_t *r0, const uint8_t *r1, const uint8_t *r2, const uint8_t *r3, int32_t n,
                             uint8_t flip, uint8_t *dst) {
    const __m128i f = _mm_set1_epi8((char)flip);
    int32_t j = 0;
    for (; j + 16 <= n; j += 16) {
        __m128i a = _mm_xor_si128(_mm_loadu_si128((const __m128i *)(r0 + j)), f);
        __m128i b = _mm_xor_si128(_mm_loadu_si128((const __m128i *)(r1 + j)), f);
        __m128i c = _mm_xor_si128(_mm_loadu_si128((const __m128i *)(r2 + j)), f);
        __m128i e = _mm_xor_si128(_mm_loadu_si128((const __m128i *)(r3 + j)), f);
        __m128i ab0 = _mm_unpacklo_epi8(a, b), ab1 = _mm_unpackhi_epi8(a, b);
        __m128i ce0 = _mm_unpacklo_epi8(c, e), ce1 = _mm_unpackhi_epi8(c, e);
        _mm_storeu_si128((__m128i *)(dst + 4 * j), _mm_unpacklo_epi16(ab0, ce0));
        _mm_storeu_si128((__m128i *)(dst + 4 * j + 16), _mm_unpackhi_epi16(ab0, ce0));
        _mm_storeu_si128((__m128i *)(dst + 4 * j + 32), _mm_unpacklo_epi16(ab1, ce1));
        _mm_storeu_si128((__m128i *)(dst + 4 * j + 48), _mm_unpackhi_epi16(ab1, ce1));
    }
    for (; j < n; j++) {
        dst[4 * j] = r0[j] ^ flip;
        dst[4 * j + 1] = r1[j] ^ flip;
        dst[4 * j + 2] = r2[j] ^ flip;
        dst[4 * j + 3] = r3[j] ^ flip;
    }
}
#else
static void interleave4_sse2(const uint8_t *r0, const uint8_t *r1, const uint8_t *r2, const uint8_t *r3, int32_t n,
                             uint8_t flip, uint8_t *dst) {
    for (int32_t j = 0; j < n; j++) {
        dst[4 * j] = r0[j] ^ flip;
        dst[4 * j + 1] = r1[j] ^ flip;
        dst[4 * j + 2] = r2[j] ^ flip;
        dst[4 * j + 3] = r3[j] ^ flip;
    }
}
#endif

/* even[k] = r[2k] for k < (n + 1) / 2, odd[k] = r[2k + 1] for k < n / 2 (r holds n bytes). */
static void split_even_odd_sse2(const uint8_t *r, int32_t n, uint8_t *even, uint8_t *odd) {
    int32_t k = 0;
#if defined(__x86_64__)
    const __m128i low = _mm_set1_epi16(0xFF);
    for (; 2 * k + 32 <= n; k += 16) {
        __m128i a = _mm_loadu_si128((const __m128i *)(r + 2 * k));
        __m128i b = _mm_loadu_si128((const __m128i *)(r + 2 * k + 16));
        _mm_storeu_si128((__m128i *)(even + k), _mm_packus_epi16(_mm_and_si128(a, low), _mm_and_si128(b, low)));
        _mm_storeu_si128((__m128i *)(odd + k), _mm_packus_epi16(_mm_srli_epi16(a, 8), _mm_srli_epi16(b, 8)));
    }
#endif
    for (; 2 * k < n; k++) {
        even[k] = r[2 * k];
        if (2 * k + 1 < n) odd[k] = r[2 * k + 1];
    }
}

#if defined(__x86_64__)
#define AVX512BW_PACK __attribute__((target("avx512f,avx512bw,avx512vl")))

/* The same with masked AVX-512 loads and stores: no scalar tail, which dominates rows of 7 to 56 pixels. */
AVX512BW_PACK static void interleave4_avx512(const uint8_t *r0, const uint8_t *r1, const uint8_t *r2,
                                             const uint8_t *r3, int32_t n, uint8_t flip, uint8_t *dst) {
    const __m128i f = _mm_set1_epi8((char)flip);
    for (int32_t j = 0; j < n; j += 16) {
        int32_t m = n - j < 16 ? n - j : 16;
        __mmask16 k = (__mmask16)((1u << m) - 1);
        __m128i a = _mm_xor_si128(_mm_maskz_loadu_epi8(k, r0 + j), f);
        __m128i b = _mm_xor_si128(_mm_maskz_loadu_epi8(k, r1 + j), f);
        __m128i c = _mm_xor_si128(_mm_maskz_loadu_epi8(k, r2 + j), f);
        __m128i e = _mm_xor_si128(_mm_maskz_loadu_epi8(k, r3 + j), f);
        __m128i ab0 = _mm_unpacklo_epi8(a, b), ab1 = _mm_unpackhi_epi8(a, b);
        __m128i ce0 = _mm_unpacklo_epi8(c, e), ce1 = _mm_unpackhi_epi8(c, e);
        __m512i v = _mm512_castsi128_si512(_mm_unpacklo_epi16(ab0, ce0));
        v = _mm512_inserti32x4(v, _mm_unpackhi_epi16(ab0, ce0), 1);
        v = _mm512_inserti32x4(v, _mm_unpacklo_epi16(ab1, ce1), 2);
        v = _mm512_inserti32x4(v, _mm_unpackhi_epi16(ab1, ce1), 3);
        __mmask64 km = m == 16 ? ~(__mmask64)0 : (((__mmask64)1 << (4 * m)) - 1);
        _mm512_mask_storeu_epi8(dst + 4 * j, km, v);
    }
}

AVX512BW_PACK static void split_even_odd_avx512(const uint8_t *r, int32_t n, uint8_t *even, uint8_t *odd) {
    for (int32_t i = 0; i < n; i += 64) {
        int32_t m = n - i < 64 ? n - i : 64;
        __mmask64 k = m == 64 ? ~(__mmask64)0 : (((__mmask64)1 << m) - 1);
        __m512i v = _mm512_maskz_loadu_epi8(k, r + i);
        __m256i ev = _mm512_cvtepi16_epi8(_mm512_and_si512(v, _mm512_set1_epi16(0xFF)));
        __m256i od = _mm512_cvtepi16_epi8(_mm512_srli_epi16(v, 8));
        int32_t ne = (m + 1) / 2, no = m / 2;
        _mm256_mask_storeu_epi8(even + i / 2, ne == 32 ? 0xFFFFFFFFu : (__mmask32)((1u << ne) - 1), ev);
        _mm256_mask_storeu_epi8(odd + i / 2, no == 32 ? 0xFFFFFFFFu : (__mmask32)((1u << no) - 1), od);
    }
}
#endif

#if defined(__x86_64__)
static int pack_avx512(void) {
    static int on = -1; /* cpuid once: in a VM it traps to the hypervisor */
    if (on < 0) {
        uint32_t f = sparq_cpu_features();
        on = (f & SPARQ_CPU_AVX512F) && (f & SPARQ_CPU_AVX512BW);
    }
    return on;
}
#endif

static void interleave4(const uint8_t *r0, const uint8_t *r1, const uint8_t *r2, const uint8_t *r3, int32_t n,
                        uint8_t flip, uint8_t *dst) {
#if defined(__x86_64__)
    if (pack_avx512()) {
        interleave4_avx512(r0, r1, r2, r3, n, flip, dst);
        return;
    }
#endif
    interleave4_sse2(r0, r1, r2, r3, n, flip, dst);
}

static void split_even_odd(const uint8_t *r, int32_t n, uint8_t *even, uint8_t *odd) {
#if defined(__x86_64__)
    if (pack_avx512()) {
        split_even_odd_avx512(r, n, even, odd);
        return;
    }
#endif
    split_even_odd_sse2(r, n, even, odd);
}

/* Column stride 2, dense: rows of phases (a, 0) and (a, 1) of channel group p. Image column 2j + b - pad_left is
   an even column (index (2j + b - pad_left) / 2 of the even half) or an odd one, so one split of each channel row
   serves both phases, which then interleave like unit-stride rows. */
static void pack_stride2_pair(const sparq_qconv_desc *d, const geom *g, const uint8_t *x4, int32_t p, int32_t a,
                              const int used[2], const uint8_t *zrow, uint8_t *scratch) {
    int64_t hw = (int64_t)d->h * d->w;
    uint8_t flip = d->x_flip ? 0x80 : 0;
    int32_t half = (d->w + 1) / 2 + 16;
    uint8_t *halves = (uint8_t *)malloc((size_t)half * 8);
    for (int32_t b = 0; b < 2; b++) {
        if (!used[b]) continue;
        uint8_t *dst = scratch + ((int64_t)(a * 2 + b) * g->planes + p) * g->ps * 4;
        memset(dst + (int64_t)g->hq * g->wq * 4, d->x_zero, (size_t)((g->ps - (int64_t)g->hq * g->wq) * 4));
    }
    for (int32_t i = 0; i < g->hq; i++) {
        int32_t iy = d->sh * i + a - d->pad_top;
        int inside = iy >= 0 && iy < d->h;
        if (inside) {
            for (int32_t q = 0; q < 4; q++) {
                if (p * 4 + q < d->c) {
                    split_even_odd(x4 + q * hw + (int64_t)iy * d->w, d->w, halves + (2 * q) * half,
                                   halves + (2 * q + 1) * half);
                }
            }
        }
        for (int32_t b = 0; b < 2; b++) {
            if (!used[b]) continue;
            uint8_t *row = scratch + (((int64_t)(a * 2 + b) * g->planes + p) * g->ps + (int64_t)i * g->wq) * 4;
            int32_t j0, j1;
            image_columns(d, g, b, &j0, &j1);
            if (!inside || j0 >= j1) {
                memset(row, d->x_zero, (size_t)g->wq * 4);
                continue;
            }
            int32_t c0 = 2 * j0 + b - d->pad_left; /* first image column, >= 0 */
            const uint8_t *src[4];
            for (int32_t q = 0; q < 4; q++) {
                src[q] = p * 4 + q < d->c ? halves + (2 * q + (c0 & 1)) * half + c0 / 2 : zrow;
            }
            memset(row, d->x_zero, (size_t)j0 * 4);
            interleave4(src[0], src[1], src[2], src[3], j1 - j0, flip, row + (int64_t)j0 * 4);
            memset(row + (int64_t)j1 * 4, d->x_zero, (size_t)(g->wq - j1) * 4);
        }
    }
    free(halves);
}

void sparq_qconv_pack_input(const sparq_qconv_desc *d, const uint8_t *x, uint8_t *scratch, int32_t part,
                            int32_t parts) {
    if (d->depthwise) {
        return; /* depthwise converts each channel's planes itself, to floats */
    }
    geom g = geometry(d);
    int32_t phases = d->sh * d->sw;
    int64_t items = (int64_t)phases * g.planes;
    int64_t i0 = items * part / parts, i1 = items * (part + 1) / parts;
    int64_t hw = (int64_t)d->h * d->w;
    uint8_t flip = d->x_flip ? 0x80 : 0;
    /* four rows for the general case; for unit column stride, a row of zero points stands in for missing channels
       (their weights are zero; any defined value would do) */
    int32_t width = g.wq > d->w ? g.wq : d->w;
    uint8_t *rows = (uint8_t *)malloc((size_t)width * 5 + 64);
    uint8_t *zrow = rows + (size_t)width * 4;
    memset(zrow, d->x_zero ^ flip, (size_t)width); /* flipped back on the way in */
    /* phases no tap reads (a 1x1 kernel of stride 2 reads one of four) are left unwritten */
    int *used = (int *)calloc((size_t)phases, sizeof(int));
    for (int32_t t = 0; t < g.taps; t++) {
        int32_t ph;
        int64_t off;
        tap_place(&g, t, &ph, &off);
        used[ph] = 1;
    }
    for (int64_t it = i0; it < i1; it++) {
        /* plane-major: each part gets whole channel groups, so parts stay even when taps use only some phases (a 1x1
           kernel of stride 2 reads one of four: phase-major gave it all to the first part) */
        int32_t phase = (int32_t)(it % phases), p = (int32_t)(it / phases);
        int32_t a = phase / d->sw, b = phase % d->sw;
        uint8_t *dst = scratch + ((int64_t)phase * g.planes + p) * g.ps * 4;
        if (d->sw != 2 && !used[phase]) continue;
        if (d->sw == 1) {
            /* straight from the image rows: pads, then the four channels interleaved in one pass */
            int32_t j0, j1;
            image_columns(d, &g, b, &j0, &j1);
            const uint8_t *src[4];
            for (int32_t q = 0; q < 4; q++) {
                int32_t ch = p * 4 + q;
                src[q] = ch < d->c ? x + ch * hw : NULL;
            }
            for (int32_t i = 0; i < g.hq; i++) {
                uint8_t *row = dst + (int64_t)i * g.wq * 4;
                int32_t iy = d->sh * i + a - d->pad_top;
                if (iy < 0 || iy >= d->h || j0 >= j1) {
                    memset(row, d->x_zero, (size_t)g.wq * 4);
                    continue;
                }
                memset(row, d->x_zero, (size_t)j0 * 4);
                int64_t at = (int64_t)iy * d->w + j0 + b - d->pad_left;
                interleave4(src[0] ? src[0] + at : zrow, src[1] ? src[1] + at : zrow, src[2] ? src[2] + at : zrow,
                            src[3] ? src[3] + at : zrow, j1 - j0, flip, row + (int64_t)j0 * 4);
                memset(row + (int64_t)j1 * 4, d->x_zero, (size_t)(g.wq - j1) * 4);
            }
        } else if (d->sw == 2) {
            /* both column phases of a row from one even/odd split of each channel row (the b == 1 item is done
               with b == 0) */
            if (b == 1) continue;
            int pair[2] = {used[a * 2], used[a * 2 + 1]};
            if (pair[0] || pair[1]) {
                pack_stride2_pair(d, &g, x + (int64_t)p * 4 * hw, p, a, pair, zrow, scratch);
            }
            continue;
        } else {
            for (int32_t i = 0; i < g.hq; i++) {
                uint8_t *r[4];
                for (int32_t q = 0; q < 4; q++) {
                    int32_t ch = p * 4 + q;
                    r[q] = rows + (int64_t)q * width;
                    phase_row(d, &g, ch < d->c ? x + ch * hw : NULL, a, b, i, r[q], 1);
                }
                interleave4(r[0], r[1], r[2], r[3], g.wq, 0, dst + (int64_t)i * g.wq * 4);
            }
        }
        /* the slack past the plane: read by lanes that are dropped, kept defined */
        memset(dst + (int64_t)g.hq * g.wq * 4, d->x_zero, (size_t)((g.ps - (int64_t)g.hq * g.wq) * 4));
    }
    free(used);
    free(rows);
}

/* ---- requantization and the scatter of a tile into NCHW ---- */

/* The value the padded phase plane holds at (phase (a, b), row i, column j) of channel image x. */
static inline uint8_t padded_at(const sparq_qconv_desc *d, const uint8_t *x, int32_t a, int32_t b, int32_t i,
                                int32_t j) {
    int32_t iy = d->sh * i + a - d->pad_top, ix = d->sw * j + b - d->pad_left;
    if (iy < 0 || iy >= d->h || ix < 0 || ix >= d->w) {
        return (uint8_t)d->x_zero;
    }
    return x[(int64_t)iy * d->w + ix] ^ (d->x_flip ? 0x80 : 0);
}

/* ---- portable path ---- */

static void dense_scalar(const geom *g, const uint8_t *scratch, const int8_t *packed, const int32_t *bias,
                         const float *mult, uint8_t *y, int32_t b0, int32_t b1, int32_t qa, int32_t qb) {
    const sparq_qconv_desc *d = g->d;
    int64_t out_plane = (int64_t)d->oh * d->ow;
    uint8_t row[TILE_Q];
    for (int32_t b = b0; b < b1; b++) {
        const int8_t *wb = packed + (int64_t)b * g->taps * g->planes * MR * 4;
        for (int32_t q0 = qa; q0 < qb; q0 += TILE_Q) {
            int32_t n = qb - q0 < TILE_Q ? qb - q0 : TILE_Q;
            for (int32_t m = 0; m < MR && b * MR + m < d->cout; m++) {
                int32_t co = b * MR + m;
                for (int32_t l = 0; l < n; l++) {
                    uint32_t acc = 0;
                    for (int32_t t = 0; t < g->taps; t++) {
                        int32_t ph;
                        int64_t off;
                        tap_place(g, t, &ph, &off);
                        for (int32_t cg = 0; cg < g->planes; cg++) {
                            const uint8_t *xs = scratch + (((int64_t)ph * g->planes + cg) * g->ps + q0 + l + off) * 4;
                            const int8_t *ws = wb + (((int64_t)t * g->planes + cg) * MR + m) * 4;
                            for (int q = 0; q < 4; q++) acc += (uint32_t)((int32_t)xs[q] * (int32_t)ws[q]);
                        }
                    }
                    row[l] = requant1((int32_t)acc, bias[co], mult[co], d);
                }
                scatter_row(g, row, q0, n, y + co * out_plane);
            }
        }
    }
}

static void depthwise_scalar(const geom *g, const uint8_t *x, const float *wf, const int32_t *bias,
                             const float *mult, uint8_t *y, int32_t c0, int32_t c1, int32_t qa, int32_t qb) {
    const sparq_qconv_desc *d = g->d;
    int64_t out_plane = (int64_t)d->oh * d->ow;
    for (int32_t c = c0; c < c1; c++) {
        const uint8_t *xc = x + (int64_t)c * d->h * d->w;
        for (int32_t q = qa; q < qb; q++) {
            int32_t oy = q / g->wq, ox = q % g->wq;
            if (ox >= d->ow) continue;
            int32_t acc = 0;
            for (int32_t t = 0; t < g->taps; t++) {
                int32_t ry = (t / d->kw) * d->dh, rx = (t % d->kw) * d->dw;
                uint8_t v = padded_at(d, xc, ry % d->sh, rx % d->sw, oy + ry / d->sh, ox + rx / d->sw);
                acc += (int32_t)v * (int32_t)wf[(int64_t)c * g->taps + t];
            }
            y[c * out_plane + (int64_t)oy * d->ow + ox] = requant1(acc, bias[c], mult[c], d);
        }
    }
}

/* ---- AVX-512 path ---- */
#if defined(__x86_64__)
/* 1 where one float multiply-add computes the reference's integer exactly (requant_row's rounding trick): every
   |acc + bias| <= 2^24 (exact as a float), every |(acc + bias) * multiplier + zero| < 2^21, and every nonzero
   multiplier at least 2^-21 in magnitude. The trick rounds the exact value x = a * m + zero; the reference rounds its
   double sum, within 2^-46 of x wherever |x| < 256 (beyond, both saturate), while x is a multiple of 2^-44: no
   half-integer lies between the two unless x is one, so both round alike. */
static int magic_ok(const geom *g, const int32_t *bias, const float *mult) {
    const sparq_qconv_desc *d = g->d;
    double maxb = 0, maxm = 0;
    for (int32_t c = 0; c < d->cout; c++) {
        double b = fabs((double)bias[c]), m = fabs((double)mult[c]);
        if (!(m < INFINITY) || (m != 0 && m < 1.0 / 2097152.0)) return 0;
        if (b > maxb) maxb = b;
        if (m > maxm) maxm = m;
    }
    double acc = (double)g->wabs * 255.0 + maxb;
    return acc <= 16777216.0 && acc * maxm + fabs((double)d->y_zero) < 2097152.0;
}

/* 16 accumulators (bias included) to int32 results, as requant32_fast would give them, from two float estimates
   that bracket the exact value: v -+ 2^-12, each within 2^-13.6 of a * multiplier + zero -+ 2^-12 where |v| <= 512
   (a float product and a rounding of at most 2^-24 relative each), so when both round to the same integer the exact
   value does too; lanes beyond 512 saturate alike. Lanes that differ are marked in *bad (about 1 in 2000). */
AVX512 static inline __m512i requant_bracket(__m512i a, __m512 mf, __m512 zlo, __m512 zhi, __mmask16 *bad) {
    __m512 af = _mm512_cvtepi32_ps(a);
    __m512i r1 = _mm512_cvtps_epi32(_mm512_fmadd_ps(af, mf, zlo));
    __m512i r2 = _mm512_cvtps_epi32(_mm512_fmadd_ps(af, mf, zhi));
    *bad |= _mm512_cmpneq_epi32_mask(r1, r2);
    return r1;
}

/* Four vectors of int32 results to 64 bytes in order, saturated to uint8 (sign 0) or int8. */
AVX512 static inline __m512i pack4(__m512i r0, __m512i r1, __m512i r2, __m512i r3, int is_signed) {
    __m512i ab = _mm512_packs_epi32(r0, r1), cd = _mm512_packs_epi32(r2, r3);
    __m512i b = is_signed ? _mm512_packs_epi16(ab, cd) : _mm512_packus_epi16(ab, cd);
    /* 128-bit lane i holds elements 4i..4i+3 of r0, r1, r2, r3 */
    return _mm512_permutexvar_epi32(_mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15), b);
}

/* The per-layer constants of requant_row. */
typedef struct {
    __m512 zlo, zhi, zmagic;
    __m512d zero, lo, hi;
    __m512i qlo, qhi;
    int mode, magic;
} rq_consts;

AVX512 static inline rq_consts rq_make(const geom *g, const int32_t *bias, const float *mult) {
    const sparq_qconv_desc *d = g->d;
    int mode = epilogue_mode(g, bias, mult);
    int32_t y_zero = d->y_zero, qmin = d->qmin, qmax = d->qmax;
    rq_consts c;
    c.magic = mode != 0 && magic_ok(g, bias, mult);
    c.zmagic = _mm512_set1_ps(12582912.0f + (float)y_zero); /* 1.5 * 2^23: results land where the ulp is 1 */
    c.zlo = _mm512_set1_ps((float)y_zero - 1.0f / 4096);
    c.zhi = _mm512_set1_ps((float)y_zero + 1.0f / 4096);
    c.zero = _mm512_set1_pd((double)y_zero);
    c.lo = _mm512_set1_pd((double)qmin);
    c.hi = _mm512_set1_pd((double)qmax);
    c.qlo = _mm512_set1_epi32(qmin);
    c.qhi = _mm512_set1_epi32(qmax);
    c.mode = mode;
    return c;
}

/* One output channel's NV vectors of accumulators (bias included) to int32 results in r, as requant1 gives them
   (mode 0: requant32, clamped; else requant_bracket and clamp_q, saturated to the type by the narrowing). */
AVX512 static inline __attribute__((always_inline)) void requant_row(const __m512i *acc, const int NV,
                                                                     const rq_consts *k, float mult, __m512i *r) {
    if (k->magic) {
        /* the multiply-add rounds the exact a * m + zero + 1.5 * 2^23 once, to an integer, half to even: the
           reference's value plus 1.5 * 2^23, whose float bits minus those of 1.5 * 2^23 are the integer */
        __m512 mf = _mm512_set1_ps(mult);
        for (int v = 0; v < NV; v++) {
            __m512 t = _mm512_fmadd_ps(_mm512_cvtepi32_ps(acc[v]), mf, k->zmagic);
            r[v] = clamp_q(_mm512_sub_epi32(_mm512_castps_si512(t), _mm512_set1_epi32(0x4B400000)), k->qlo, k->qhi);
        }
        return;
    }
    if (k->mode) {
        __m512 mf = _mm512_set1_ps(mult);
        __mmask16 bad = 0;
        for (int v = 0; v < NV; v++) r[v] = requant_bracket(acc[v], mf, k->zlo, k->zhi, &bad);
        if (__builtin_expect(bad != 0, 0)) {
            __m512d mv = _mm512_set1_pd((double)mult);
            for (int v = 0; v < NV; v++) r[v] = requant32_fast(acc[v], _mm512_setzero_si512(), mv, k->zero);
        }
        for (int v = 0; v < NV; v++) r[v] = clamp_q(r[v], k->qlo, k->qhi);
    } else {
        __m512d mv = _mm512_set1_pd((double)mult);
        for (int v = 0; v < NV; v++) r[v] = requant32(acc[v], _mm512_setzero_si512(), mv, k->zero, k->lo, k->hi);
    }
}


/* One MR x (NV*16) tile: acc[m][v] over every tap and channel group. */
AVX512 static inline __attribute__((always_inline)) void dense_tile(const geom *g, const uint8_t *scratch,
                                                                    const int8_t *wb, const int64_t *tap_off,
                                                                    int32_t q0, int NV, const int32_t *bias,
                                                                    __m512i acc[MR][3]) {
    for (int m = 0; m < MR; m++) {
        __m512i bv = _mm512_set1_epi32(bias[m]); /* the block's bias, padded to MR */
        for (int v = 0; v < NV; v++) acc[m][v] = bv;
    }
    const int32_t *w32 = (const int32_t *)wb;
    int64_t plane_bytes = g->ps * 4;
    for (int32_t t = 0; t < g->taps; t++) {
        const uint8_t *xs = scratch + (tap_off[t] + q0) * 4;
        for (int32_t cg = 0; cg < g->planes; cg++) {
            __m512i x0 = _mm512_loadu_si512((const void *)xs);
            __m512i x1 = NV > 1 ? _mm512_loadu_si512((const void *)(xs + 64)) : x0;
            __m512i x2 = NV > 2 ? _mm512_loadu_si512((const void *)(xs + 128)) : x0;
            for (int m = 0; m < MR; m++) {
                __m512i wv = _mm512_set1_epi32(w32[m]);
                acc[m][0] = _mm512_dpbusd_epi32(acc[m][0], x0, wv);
                if (NV > 1) acc[m][1] = _mm512_dpbusd_epi32(acc[m][1], x1, wv);
                if (NV > 2) acc[m][2] = _mm512_dpbusd_epi32(acc[m][2], x2, wv);
            }
            w32 += MR;
            xs += plane_bytes;
        }
    }
}

/* One tile of MR output channels x NV vectors of flat pixels and its epilogue: where every plane column is an output
   column (wq == ow) a channel's pixels are contiguous in NCHW and go out in one store, else per vector, compressed. */
AVX512 static inline __attribute__((always_inline)) void dense_block(const geom *g, const uint8_t *scratch,
                                                                     const int8_t *wb, const int64_t *tap_off,
                                                                     const int32_t *bias, const float *mult,
                                                                     const uint16_t *lanes, const rq_consts *rq,
                                                                     uint8_t *y, int32_t b, int32_t q0, int32_t n,
                                                                     const int NV) {
    const int mode = rq->mode;
    const sparq_qconv_desc *d = g->d;
    int64_t out_plane = (int64_t)d->oh * d->ow;
    int mr = d->cout - b * MR < MR ? d->cout - b * MR : MR;
    int32_t bb[MR];
    for (int m = 0; m < MR; m++) bb[m] = m < mr ? bias[b * MR + m] : 0;
    __m512i acc[MR][3];
    dense_tile(g, scratch, wb, tap_off, q0, NV, bb, acc);
    int32_t oy0 = q0 / g->wq, ox0 = q0 - oy0 * g->wq;
    int is_signed = d->y_signed;
#pragma GCC unroll 8
    for (int m = 0; m < MR; m++) {
        if (m >= mr) break;
        int32_t co = b * MR + m;
        __m512i r[4];
        r[1] = r[2] = r[3] = _mm512_setzero_si512();
        requant_row(acc[m], NV, rq, mult[co], r);
        if (lanes == NULL) {
            __mmask64 k = n >= 64 ? ~(__mmask64)0 : (((__mmask64)1 << n) - 1);
            _mm512_mask_storeu_epi8(y + co * out_plane + q0, k, pack4(r[0], r[1], r[2], r[3], is_signed));
            continue;
        }
        int32_t oy = oy0, ox = ox0;
        for (int v = 0; v < NV; v++) {
            store16(g, lanes, y + co * out_plane, q0 + v * 16, oy, ox, n - v * 16, r[v], mode ? mode : 1 + is_signed);
            advance16(g, &oy, &ox);
        }
    }
}

AVX512 static void dense_avx512(const geom *g, const uint8_t *scratch, const int8_t *packed, const int32_t *bias,
                                const float *mult, uint8_t *y, int32_t b0, int32_t b1, int32_t qa, int32_t qb) {
    const sparq_qconv_desc *d = g->d;
    int64_t *tap_off = (int64_t *)malloc(sizeof(int64_t) * (size_t)g->taps);
    for (int32_t t = 0; t < g->taps; t++) {
        int32_t ph;
        int64_t off;
        tap_place(g, t, &ph, &off);
        tap_off[t] = (int64_t)ph * g->planes * g->ps + off; /* in 4-byte elements */
    }
    uint16_t *lanes = g->wq == d->ow ? NULL : valid_lanes(g);
    const rq_consts rq = rq_make(g, bias, mult);
    for (int32_t b = b0; b < b1; b++) {
        const int8_t *wb = packed + (int64_t)b * g->taps * g->planes * MR * 4;
        for (int32_t q0 = qa; q0 < qb; q0 += TILE_Q) {
            int32_t n = qb - q0 < TILE_Q ? qb - q0 : TILE_Q;
            int nv = (n + 15) / 16;
            if (nv == 3) {
                dense_block(g, scratch, wb, tap_off, bias, mult, lanes, &rq, y, b, q0, n, 3);
            } else if (nv == 2) {
                dense_block(g, scratch, wb, tap_off, bias, mult, lanes, &rq, y, b, q0, n, 2);
            } else {
                dense_block(g, scratch, wb, tap_off, bias, mult, lanes, &rq, y, b, q0, n, 1);
            }
        }
    }
    free(lanes);
    free(tap_off);
}

/* Rows [i0, i1) of one channel's phase planes as floats, straight from the image (the padding holds the zero
   point): row i of phase ph at fp + ph * ps + (i - i0) * wq, then slack up to ps. */
AVX512 static void channel_planes_f32(const geom *g, const uint8_t *xc, int32_t i0, int32_t i1, int64_t ps,
                                      float *fp) {
    const sparq_qconv_desc *d = g->d;
    const __m512 zf = _mm512_set1_ps((float)d->x_zero);
    const __m128i flip = _mm_set1_epi8(d->x_flip ? (char)0x80 : 0);
    int32_t phases = d->sh * d->sw;
    for (int32_t ph = 0; ph < phases; ph++) {
        int32_t a = ph / d->sw, b = ph % d->sw;
        float *plane = fp + (int64_t)ph * ps;
        int32_t j0, j1;
        image_columns(d, g, b, &j0, &j1);
        for (int32_t i = i0; i < i1; i++) {
            float *row = plane + (int64_t)(i - i0) * g->wq;
            int32_t iy = d->sh * i + a - d->pad_top;
            /* the whole row as the zero point, then the image part over it */
            for (int32_t j = 0; j < g->wq; j += 16) {
                int32_t n = g->wq - j < 16 ? g->wq - j : 16;
                _mm512_mask_storeu_ps(row + j, (__mmask16)((1u << n) - 1), zf);
            }
            if (iy < 0 || iy >= d->h || j0 >= j1) continue;
            const uint8_t *src = xc + (int64_t)iy * d->w + (int64_t)d->sw * j0 + b - d->pad_left;
            int32_t count = j1 - j0;
            if (d->sw == 1) {
                for (int32_t j = 0; j < count; j += 16) {
                    int32_t n = count - j < 16 ? count - j : 16;
                    __mmask16 k = (__mmask16)((1u << n) - 1);
                    __m128i v = _mm_xor_si128(_mm_maskz_loadu_epi8(k, src + j), flip);
                    _mm512_mask_storeu_ps(row + j0 + j, k, _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(v)));
                }
            } else if (d->sw == 2) {
                int32_t avail = d->w - (d->sw * j0 + b - d->pad_left); /* bytes of this image row from src on */
                for (int32_t j = 0; j < count; j += 16) {
                    int32_t n = count - j < 16 ? count - j : 16;
                    int32_t bytes = avail - 2 * j < 32 ? avail - 2 * j : 32; /* masked: never past the row */
                    __m256i v = _mm256_maskz_loadu_epi8((__mmask32)(bytes >= 32 ? 0xFFFFFFFFu : (1u << bytes) - 1),
                                                        src + 2 * j);
                    __m128i even = _mm_xor_si128(_mm256_cvtepi16_epi8(_mm256_and_si256(v, _mm256_set1_epi16(0xFF))),
                                                 flip);
                    _mm512_mask_storeu_ps(row + j0 + j, (__mmask16)((1u << n) - 1),
                                          _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(even)));
                }
            } else {
                for (int32_t j = 0; j < count; j++) {
                    row[j0 + j] = (float)(uint8_t)(src[(int64_t)j * d->sw] ^ (d->x_flip ? 0x80 : 0));
                }
            }
        }
        /* the slack past the rows: read by lanes that are dropped, kept defined */
        for (int64_t j = (int64_t)(i1 - i0) * g->wq; j < ps; j++) plane[j] = (float)d->x_zero;
    }
}

/* Depthwise, one channel at a time in bands of output rows: the band's phase-plane rows are converted to floats
   once (small enough to stay in L1 with all phases), then every tap is a multiply-add from memory. */
AVX512 static void depthwise_avx512(const geom *g, const uint8_t *x, const float *wf, const int32_t *bias,
                                    const float *mult, uint8_t *y, int32_t c0, int32_t c1, int32_t qa, int32_t qb) {
    const sparq_qconv_desc *d = g->d;
    int64_t out_plane = (int64_t)d->oh * d->ow;
    int32_t phases = d->sh * d->sw;
    /* plane rows a band of output rows needs beyond its own: the taps' row offsets */
    int32_t ext = (d->dh * (d->kh - 1)) / d->sh;
    int32_t band = (int32_t)(16384 / ((int64_t)phases * g->wq * 4)) - ext;
    if (band < 1) band = 1;
    if (band > d->oh) band = d->oh;
    int32_t band_rows = band + ext < g->hq ? band + ext : g->hq;
    int64_t ps = ((int64_t)band_rows * g->wq + 64 + 15) / 16 * 16;
    int64_t *tap_off = (int64_t *)malloc(sizeof(int64_t) * (size_t)g->taps);
    for (int32_t t = 0; t < g->taps; t++) {
        int32_t ph;
        int64_t off;
        tap_place(g, t, &ph, &off);
        tap_off[t] = (int64_t)ph * ps + off; /* within one band's float planes */
    }
    float *fp = (float *)aligned_alloc(64, (size_t)(phases * ps) * sizeof(float));
    __m512d zero = _mm512_set1_pd((double)d->y_zero);
    __m512 zerof = _mm512_set1_ps((float)d->y_zero);
    __m512d lo = _mm512_set1_pd((double)d->qmin), hi = _mm512_set1_pd((double)d->qmax);
    __m512i qlo = _mm512_set1_epi32(d->qmin), qhi = _mm512_set1_epi32(d->qmax);
    uint16_t *lanes = g->wq == d->ow ? NULL : valid_lanes(g);
    int mode = epilogue_mode(g, bias, mult);
    int32_t row_a = qa / g->wq, row_b = (qb + g->wq - 1) / g->wq;
    for (int32_t c = c0; c < c1; c++) {
        const uint8_t *xc = x + (int64_t)c * d->h * d->w;
        const float *wc = wf + (int64_t)c * g->taps;
        __m512i bv = _mm512_set1_epi32(bias[c]);
        __m512d mv = _mm512_set1_pd((double)mult[c]);
        __m512 mf = _mm512_set1_ps(mult[c]);
        for (int32_t r0 = row_a; r0 < row_b; r0 += band) {
            int32_t r1 = r0 + band < row_b ? r0 + band : row_b;
            int32_t i1 = r1 + ext < g->hq ? r1 + ext : g->hq;
            channel_planes_f32(g, xc, r0, i1, ps, fp);
            int32_t qs = r0 * g->wq > qa ? r0 * g->wq : qa, qe = r1 * g->wq < qb ? r1 * g->wq : qb;
            const float *base = fp - (int64_t)r0 * g->wq; /* flat pixel q reads base + tap offset + q */
            int32_t oy = qs / g->wq, ox = qs - oy * g->wq;
            for (int32_t q0 = qs; q0 < qe; q0 += DW_TILE) {
                int32_t n = qe - q0 < DW_TILE ? qe - q0 : DW_TILE;
                int nv = (n + 15) / 16;
                __m512 acc[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()};
                for (int32_t t = 0; t < g->taps; t++) {
                    const float *xs = base + tap_off[t] + q0;
                    __m512 wv = _mm512_set1_ps(wc[t]);
                    for (int v = 0; v < 4; v++) {
                        if (v < nv) {
                            /* exact: every partial sum is an integer below 2^24 */
                            acc[v] = _mm512_fmadd_ps(_mm512_loadu_ps(xs + 16 * v), wv, acc[v]);
                        }
                    }
                }
                for (int v = 0; v < nv; v++) {
                    __m512i a = _mm512_cvtps_epi32(acc[v]);
                    __m512i r = mode ? clamp_q(requant32_est(a, bv, mf, zerof, mv, zero), qlo, qhi)
                                     : requant32(a, bv, mv, zero, lo, hi);
                    store16(g, lanes, y + c * out_plane, q0 + v * 16, oy, ox, n - v * 16, r, mode);
                    advance16(g, &oy, &ox);
                }
            }
        }
    }
    free(lanes);
    free(fp);
    free(tap_off);
}

/* ---- depthwise by byte permutes and vpdpbusd (AVX-512 VBMI + VNNI) ---- */
#define VBMI __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,avx512vbmi")))

/* How the byte-permute path lays a channel's outputs over vectors: P output rows per vector when rows are short
   (P * ow lanes, P <= 4), else rows in segments of L lanes. Every lane's kernel row of kw <= 4 taps is one 32-bit
   lane of a vpermt2b of a 64-byte load: tap k of lane l reads byte p * sh * w + sw * c + dw * k of the load (p, c:
   the lane's row within the vector and its column in the segment), or the zero point where that pixel is padding.
   0 when the layer does not fit (kw > 4, or one lane's taps span more than 64 bytes). */
typedef struct {
    int32_t rows;  /* P */
    int32_t lanes; /* L: lanes per segment (P == 1) */
    int32_t segs;  /* segments per output row (P == 1), else 1 */
    int32_t pats;  /* 2^P row-validity patterns */
} dw_plan;

static int dw_plan_for(const sparq_qconv_desc *d, dw_plan *pl) {
    if (d->kw > 4 || d->kw < 1) return 0;
    int32_t reach = d->dw * (d->kw - 1); /* bytes past a lane's first tap */
    if (reach > 63) return 0;
    pl->rows = 1;
    if (d->ow <= 8) {
        int32_t p = 16 / d->ow;
        if (p > 4) p = 4;
        while (p > 1 && (int64_t)(p - 1) * d->sh * d->w + (int64_t)d->sw * (d->ow - 1) + reach > 63) p--;
        pl->rows = p;
    }
    if (pl->rows > 1) {
        pl->lanes = d->ow;
        pl->segs = 1;
    } else {
        int32_t l = (63 - reach) / d->sw + 1;
        if (l > 16) l = 16;
        if (l > d->ow) l = d->ow;
        pl->lanes = l;
        pl->segs = (d->ow + l - 1) / l;
    }
    pl->pats = 1 << pl->rows;
    return 1;
}

/* The permute index and load mask of segment `seg` for row-validity pattern `pat` (bit p: row p in the image). */
static void dw_table(const sparq_qconv_desc *d, const dw_plan *pl, int32_t seg, int32_t pat, uint8_t idx[64],
                     uint64_t *mask) {
    int32_t ox0 = seg * pl->lanes;
    int32_t per_row = pl->rows > 1 ? d->ow : (d->ow - ox0 < pl->lanes ? d->ow - ox0 : pl->lanes);
    int32_t ix_base = d->sw * ox0 - d->pad_left;
    uint64_t m = 0;
    for (int32_t l = 0; l < 16; l++) {
        int32_t p = l / per_row, c = l % per_row;
        for (int32_t k = 0; k < 4; k++) {
            uint8_t at = 64; /* byte 0 of the zero-point vector */
            if (p < pl->rows && k < d->kw && ((pat >> p) & 1)) {
                int32_t ix = ix_base + d->sw * c + d->dw * k;
                if (ix >= 0 && ix < d->w) {
                    int32_t off = p * d->sh * d->w + d->sw * c + d->dw * k;
                    at = (uint8_t)off;
                    m |= (uint64_t)1 << off;
                }
            }
            idx[4 * l + k] = at;
        }
    }
    *mask = m;
}

/* The constants of one depthwise_vbmi call, as plain values (the compiler keeps them in registers: a store through
   the output pointer could alias anything read through a pointer). */
typedef struct {
    int32_t kh, ow, oh, rows, lanes, segs, pats, seg_step, mode, is_signed, chunked, flip, y_zero, qmin, qmax;
    uint8_t x_zero;
    const __m512i *idx;     /* [pattern][segment] */
    const uint64_t *lmask;  /* [pattern][segment] */
    const int64_t *row_off; /* [group][ky]: the load start of segment 0 in the channel's image */
    const int32_t *row_pat; /* [group][ky]: which of the group's rows are in the image */
    rq_consts rq;
} dw_ctx;

/* Segments [s0, s0 + NS) of row group gr of one channel (NS, and KH where nonzero, constants, so the accumulators
   stay in registers): kh loads, permutes and vpdpbusd each, then the requantization and the store. */
VBMI static inline __attribute__((always_inline)) void dw_segments(const dw_ctx *k, const uint8_t *xc, uint8_t *yc,
                                                                   const int32_t *wc, int32_t gr, int32_t s0,
                                                                   const int NS, const int KH, __m512i bv,
                                                                   float mult) {
    const int32_t kh = KH ? KH : k->kh;
    const __m512i zpv = _mm512_set1_epi8((char)k->x_zero);
    const __m512i flip = _mm512_set1_epi8((char)0x80);
    const int32_t segs = k->segs, step = k->seg_step;
    const int64_t *ro = k->row_off + (int64_t)gr * kh;
    const int32_t *rp = k->row_pat + (int64_t)gr * kh;
    __m512i acc[4];
    for (int j = 0; j < NS; j++) acc[j] = bv;
    for (int32_t ky = 0; ky < kh; ky++) {
        __m512i w4 = _mm512_set1_epi32(wc[ky]);
        int32_t pat = rp[ky];
        if (pat == 0) {
            for (int j = 0; j < NS; j++) acc[j] = _mm512_dpbusd_epi32(acc[j], zpv, w4);
            continue;
        }
        const uint8_t *row = xc + ro[ky] + (int64_t)step * s0;
        const __m512i *ix = k->idx + (int64_t)pat * segs + s0;
        const uint64_t *lm = k->lmask + (int64_t)pat * segs + s0;
        for (int j = 0; j < NS; j++) {
            __m512i v = _mm512_maskz_loadu_epi8(lm[j], row + step * j);
            if (k->flip) v = _mm512_xor_si512(v, flip);
            acc[j] = _mm512_dpbusd_epi32(acc[j], _mm512_permutex2var_epi8(v, ix[j], zpv), w4);
        }
    }
    __m512i r[4];
    for (int j = 0; j < 4; j++) r[j] = _mm512_setzero_si512();
    requant_row(acc, NS, &k->rq, mult, r);
    int32_t oy0 = gr * k->rows;
    if (k->chunked) {
        int32_t n = k->ow - s0 * 16 < 64 ? k->ow - s0 * 16 : 64;
        __mmask64 m = n == 64 ? ~(__mmask64)0 : (((__mmask64)1 << n) - 1);
        _mm512_mask_storeu_epi8(yc + (int64_t)oy0 * k->ow + s0 * 16, m, pack4(r[0], r[1], r[2], r[3], k->is_signed));
        return;
    }
    for (int j = 0; j < NS; j++) {
        int32_t ox0 = (s0 + j) * k->lanes;
        int32_t n = k->rows > 1 ? (k->oh - oy0 < k->rows ? k->oh - oy0 : k->rows) * k->ow
                                : (k->ow - ox0 < k->lanes ? k->ow - ox0 : k->lanes);
        __m128i b = _mm512_castsi512_si128(pack4(r[j], r[j], r[j], r[j], k->is_signed));
        _mm_mask_storeu_epi8(yc + (int64_t)oy0 * k->ow + ox0, (__mmask16)((1u << n) - 1), b);
    }
}

/* One channel's row groups [g0, g1), KH a constant where nonzero. */
VBMI static inline __attribute__((always_inline)) void dw_channel(const dw_ctx *k, const uint8_t *xc, uint8_t *yc,
                                                                  const int32_t *wc, int32_t g0, int32_t g1,
                                                                  const int KH, __m512i bv, float mult) {
    const int32_t segs = k->segs;
    for (int32_t gr = g0; gr < g1; gr++) {
        int32_t s0 = 0;
        for (; s0 + 4 <= segs; s0 += 4) dw_segments(k, xc, yc, wc, gr, s0, 4, KH, bv, mult);
        switch (segs - s0) {
        case 3: dw_segments(k, xc, yc, wc, gr, s0, 3, KH, bv, mult); break;
        case 2: dw_segments(k, xc, yc, wc, gr, s0, 2, KH, bv, mult); break;
        case 1: dw_segments(k, xc, yc, wc, gr, s0, 1, KH, bv, mult); break;
        default: break;
        }
    }
}

/* A 3-row kernel (dilation 1) over rows of segments, segments [s0, s0 + NS) of one channel swept down output rows
   [r0, r1): each input row's permuted kernel-row vectors are made once and kept in registers for the output rows
   that read them (three for stride 1), so an output vector costs one load and permute per new input row. */
VBMI static inline __attribute__((always_inline)) void dw_sweep3(const dw_ctx *k, const sparq_qconv_desc *d,
                                                                 const uint8_t *xc, uint8_t *yc, const int32_t *wc,
                                                                 int32_t r0, int32_t r1, int32_t s0, const int NS,
                                                                 __m512i bv, float mult) {
    const __m512i zpv = _mm512_set1_epi8((char)k->x_zero);
    const __m512i flip = _mm512_set1_epi8((char)0x80);
    const int32_t segs = k->segs, step = k->seg_step, h = d->h, w = d->w, sh = d->sh, ow = k->ow;
    const int is_flip = k->flip, is_signed = k->is_signed, chunked = k->chunked;
    const __m512i w0 = _mm512_set1_epi32(wc[0]), w1 = _mm512_set1_epi32(wc[1]), w2 = _mm512_set1_epi32(wc[2]);
    __m512i ix[4];
    uint64_t lm[4];
    for (int j = 0; j < NS; j++) {
        ix[j] = k->idx[segs + s0 + j]; /* pattern 1: the row is in the image */
        lm[j] = k->lmask[segs + s0 + j];
    }
    const uint8_t *base = xc - d->pad_left + (int64_t)step * s0;
    __m512i hr[3][4];
#define DW_ROW(dst, iy)                                                                                        \
    do {                                                                                                       \
        int32_t iy_ = (iy);                                                                                    \
        if (iy_ < 0 || iy_ >= h) {                                                                             \
            for (int j = 0; j < NS; j++) (dst)[j] = zpv;                                                       \
        } else {                                                                                               \
            const uint8_t *row_ = base + (int64_t)iy_ * w;                                                     \
            for (int j = 0; j < NS; j++) {                                                                     \
                __m512i v_ = _mm512_maskz_loadu_epi8(lm[j], row_ + step * j);                                  \
                if (is_flip) v_ = _mm512_xor_si512(v_, flip);                                                  \
                (dst)[j] = _mm512_permutex2var_epi8(v_, ix[j], zpv);                                           \
            }                                                                                                  \
        }                                                                                                      \
    } while (0)
    int32_t iy = sh * r0 - d->pad_top;
    DW_ROW(hr[0], iy);
    DW_ROW(hr[1], iy + 1);
    DW_ROW(hr[2], iy + 2);
    for (int32_t oy = r0; oy < r1; oy++) {
        if (oy > r0) {
            iy += sh;
            if (sh == 1) {
                for (int j = 0; j < NS; j++) {
                    hr[0][j] = hr[1][j];
                    hr[1][j] = hr[2][j];
                }
                DW_ROW(hr[2], iy + 2);
            } else if (sh == 2) {
                for (int j = 0; j < NS; j++) hr[0][j] = hr[2][j];
                DW_ROW(hr[1], iy + 1);
                DW_ROW(hr[2], iy + 2);
            } else {
                DW_ROW(hr[0], iy);
                DW_ROW(hr[1], iy + 1);
                DW_ROW(hr[2], iy + 2);
            }
        }
        __m512i acc[4], r[4];
        for (int j = 0; j < NS; j++) {
            acc[j] = _mm512_dpbusd_epi32(bv, hr[0][j], w0);
            acc[j] = _mm512_dpbusd_epi32(acc[j], hr[1][j], w1);
            acc[j] = _mm512_dpbusd_epi32(acc[j], hr[2][j], w2);
        }
        for (int j = NS; j < 4; j++) r[j] = _mm512_setzero_si512();
        requant_row(acc, NS, &k->rq, mult, r);
        uint8_t *yr = yc + (int64_t)oy * ow;
        if (chunked) {
            int32_t n = ow - s0 * 16 < 64 ? ow - s0 * 16 : 64;
            __mmask64 m = n == 64 ? ~(__mmask64)0 : (((__mmask64)1 << n) - 1);
            _mm512_mask_storeu_epi8(yr + s0 * 16, m, pack4(r[0], r[1], r[2], r[3], is_signed));
        } else {
            for (int j = 0; j < NS; j++) {
                int32_t ox0 = (s0 + j) * k->lanes;
                int32_t n = ow - ox0 < k->lanes ? ow - ox0 : k->lanes;
                __m128i b = _mm512_castsi512_si128(pack4(r[j], r[j], r[j], r[j], is_signed));
                _mm_mask_storeu_epi8(yr + ox0, (__mmask16)((1u << n) - 1), b);
            }
        }
    }
#undef DW_ROW
}

/* Per channel, per group of output rows: the row's segments four at a time (one output row, contiguous in NCHW,
   requantized together and stored at once); nothing is converted or copied. Channels [c0, c1), groups [g0, g1). */
VBMI static void depthwise_vbmi(const geom *g, const dw_plan *pl, const uint8_t *x, const int8_t *wrows,
                                const int32_t *bias, const float *mult, uint8_t *y, int32_t c0, int32_t c1,
                                int32_t g0, int32_t g1) {
    const sparq_qconv_desc *d = g->d;
    int64_t out_plane = (int64_t)d->oh * d->ow, in_plane = (int64_t)d->h * d->w;
    int32_t tables = pl->segs * pl->pats, groups = (d->oh + pl->rows - 1) / pl->rows;
    __m512i *idx = (__m512i *)aligned_alloc(64, sizeof(__m512i) * (size_t)tables);
    uint64_t *lmask = (uint64_t *)malloc(sizeof(uint64_t) * (size_t)tables);
    int64_t *row_off = (int64_t *)malloc(sizeof(int64_t) * (size_t)groups * d->kh);
    int32_t *row_pat = (int32_t *)malloc(sizeof(int32_t) * (size_t)groups * d->kh);
    for (int32_t p = 0; p < pl->pats; p++) {
        for (int32_t s = 0; s < pl->segs; s++) {
            uint8_t t[64];
            dw_table(d, pl, s, p, t, &lmask[p * pl->segs + s]);
            idx[p * pl->segs + s] = _mm512_loadu_si512((const void *)t);
        }
    }
    for (int32_t gr = 0; gr < groups; gr++) {
        for (int32_t ky = 0; ky < d->kh; ky++) {
            int32_t iy0 = d->sh * gr * pl->rows - d->pad_top + d->dh * ky, pat = 0;
            for (int32_t p = 0; p < pl->rows; p++) {
                int32_t iy = iy0 + p * d->sh;
                pat |= (iy >= 0 && iy < d->h) << p;
            }
            row_off[gr * d->kh + ky] = (int64_t)iy0 * d->w - d->pad_left;
            row_pat[gr * d->kh + ky] = pat;
        }
    }
    dw_ctx k = {d->kh, d->ow, d->oh, pl->rows, pl->lanes, pl->segs, pl->pats, d->sw * pl->lanes,
                epilogue_mode(g, bias, mult), d->y_signed, pl->rows == 1 && pl->lanes == 16, d->x_flip, d->y_zero,
                d->qmin, d->qmax, (uint8_t)d->x_zero, idx, lmask, row_off, row_pat,
                rq_make(g, bias, mult)};
    int sweep = pl->rows == 1 && d->kh == 3 && d->dh == 1;
    for (int32_t c = c0; c < c1; c++) {
        const uint8_t *xc = x + (int64_t)c * in_plane;
        uint8_t *yc = y + (int64_t)c * out_plane;
        __m512i bv = _mm512_set1_epi32(bias[c]);
        const int32_t *wc = (const int32_t *)(wrows + (int64_t)c * d->kh * 4);
        if (sweep) {
            int32_t s0 = 0;
            for (; s0 + 4 <= pl->segs; s0 += 4) dw_sweep3(&k, d, xc, yc, wc, g0, g1, s0, 4, bv, mult[c]);
            switch (pl->segs - s0) {
            case 3: dw_sweep3(&k, d, xc, yc, wc, g0, g1, s0, 3, bv, mult[c]); break;
            case 2: dw_sweep3(&k, d, xc, yc, wc, g0, g1, s0, 2, bv, mult[c]); break;
            case 1: dw_sweep3(&k, d, xc, yc, wc, g0, g1, s0, 1, bv, mult[c]); break;
            default: break;
            }
        } else if (k.kh == 3) {
            dw_channel(&k, xc, yc, wc, g0, g1, 3, bv, mult[c]);
        } else {
            dw_channel(&k, xc, yc, wc, g0, g1, 0, bv, mult[c]);
        }
    }
    free(row_pat);
    free(row_off);
    free(lmask);
    free(idx);
}

/* ---- AMX path ---- */
#define AMXT __attribute__((target("amx-tile,amx-int8,avx512f,avx512bw,avx512vl,avx512vnni")))

typedef struct {
    uint8_t palette, start_row;
    uint8_t reserved[14];
    uint16_t colsb[16];
    uint8_t rows[16];
} tile_config;

/* 32 output channels x 32 flat pixels per step: tiles 0-3 accumulate C[co half][pixel half] (16 x 16 int32), 4-5
   hold the weights (A, int8: 16 output channels x 64 input channels), 6-7 the input (B, uint8: 16 channel-group
   planes x 16 pixels x 4 channels, read in place from the phase planes with the plane stride as row stride).
   tdpbsud multiplies signed A by unsigned B. Each C row is one output channel's 16 pixels: the epilogue is the
   VNNI path's. */
AMXT static void dense_amx(const geom *g, const uint8_t *scratch, const int8_t *packed, const int32_t *bias,
                           const float *mult, uint8_t *y, int32_t b0, int32_t b1, int32_t qa, int32_t qb) {
    const sparq_qconv_desc *d = g->d;
    int64_t out_plane = (int64_t)d->oh * d->ow;
    int32_t chunks = amx_chunks(g), kb = amx_kbytes(g);
    int64_t *tap_off = (int64_t *)malloc(sizeof(int64_t) * (size_t)g->taps);
    for (int32_t t = 0; t < g->taps; t++) {
        int32_t ph;
        int64_t off;
        tap_place(g, t, &ph, &off);
        tap_off[t] = (int64_t)ph * g->planes * g->ps + off; /* in 4-byte elements */
    }
    tile_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.palette = 1;
    for (int i = 0; i < 8; i++) {
        cfg.rows[i] = 16;
        cfg.colsb[i] = 64;
    }
    cfg.colsb[4] = cfg.colsb[5] = (uint16_t)kb; /* A: 16 output channels x K bytes */
    cfg.rows[6] = cfg.rows[7] = (uint8_t)(kb / 4); /* B: K / 4 channel groups x 16 pixels */
    _tile_loadconfig(&cfg);
    uint16_t *lanes = g->wq == d->ow ? NULL : valid_lanes(g);
    int mode = epilogue_mode(g, bias, mult), is_signed = d->y_signed;
    const rq_consts rq = rq_make(g, bias, mult);
    const int64_t plane_bytes = g->ps * 4;
    int32_t cbuf[4][16][16] __attribute__((aligned(64)));
    int32_t cbias[2][16][16] __attribute__((aligned(64))); /* the C tiles start at the bias: row i, channel i's */
    for (int32_t b = b0; b < b1; b++) {
        const int8_t *wb = packed + (int64_t)b * g->taps * chunks * AMX_CO * kb;
        for (int32_t i = 0; i < AMX_CO; i++) {
            int32_t co = b * AMX_CO + i;
            _mm512_store_si512((void *)cbias[i / 16][i % 16], _mm512_set1_epi32(co < d->cout ? bias[co] : 0));
        }
        /* one step (a 1x1 of at most 64 input channels, or a folded layer): the weights stay in their tiles */
        int one_step = g->taps * chunks == 1;
        if (one_step) {
            _tile_loadd(4, wb, kb);
            _tile_loadd(5, wb + 16 * kb, kb);
        }
        for (int32_t q0 = qa; q0 < qb; q0 += AMX_Q) {
            _tile_loadd(0, cbias[0], 64);
            _tile_loadd(1, cbias[0], 64);
            _tile_loadd(2, cbias[1], 64);
            _tile_loadd(3, cbias[1], 64);
            if (one_step) {
                const uint8_t *xs = scratch + (tap_off[0] + q0) * 4;
                _tile_loadd(6, xs, plane_bytes);
                _tile_loadd(7, xs + 64, plane_bytes);
                _tile_dpbsud(0, 4, 6);
                _tile_dpbsud(1, 4, 7);
                _tile_dpbsud(2, 5, 6);
                _tile_dpbsud(3, 5, 7);
            }
            const int8_t *w = wb;
            for (int32_t t = 0; t < (one_step ? 0 : g->taps); t++) {
                const uint8_t *xs = scratch + (tap_off[t] + q0) * 4;
                for (int32_t ch = 0; ch < chunks; ch++) {
                    _tile_loadd(4, w, kb);
                    _tile_loadd(5, w + 16 * kb, kb);
                    _tile_loadd(6, xs, plane_bytes);
                    _tile_loadd(7, xs + 64, plane_bytes);
                    _tile_dpbsud(0, 4, 6);
                    _tile_dpbsud(1, 4, 7);
                    _tile_dpbsud(2, 5, 6);
                    _tile_dpbsud(3, 5, 7);
                    w += AMX_CO * kb;
                    xs += 16 * plane_bytes;
                }
            }
            _tile_stored(0, cbuf[0], 64);
            _tile_stored(1, cbuf[1], 64);
            _tile_stored(2, cbuf[2], 64);
            _tile_stored(3, cbuf[3], 64);
            int32_t n = qb - q0 < AMX_Q ? qb - q0 : AMX_Q;
            int32_t oy0 = q0 / g->wq, ox0 = q0 - oy0 * g->wq;
            int32_t nco = d->cout - b * AMX_CO < AMX_CO ? d->cout - b * AMX_CO : AMX_CO;
            if (lanes == NULL) {
                /* two channels per packed vector: 32 contiguous output bytes each */
                __mmask32 k = n >= 32 ? ~(__mmask32)0 : (((__mmask32)1 << n) - 1);
                for (int32_t i = 0; i < nco; i += 2) {
                    int32_t co = b * AMX_CO + i;
                    __m512i a[4], r[4];
                    a[0] = _mm512_load_si512((const void *)cbuf[(i / 16) * 2][i % 16]);
                    a[1] = _mm512_load_si512((const void *)cbuf[(i / 16) * 2 + 1][i % 16]);
                    a[2] = _mm512_load_si512((const void *)cbuf[(i / 16) * 2][i % 16 + 1]);
                    a[3] = _mm512_load_si512((const void *)cbuf[(i / 16) * 2 + 1][i % 16 + 1]);
                    requant_row(a, 2, &rq, mult[co], r);
                    requant_row(a + 2, 2, &rq, mult[co + 1 < d->cout ? co + 1 : co], r + 2);
                    __m512i p = pack4(r[0], r[1], r[2], r[3], is_signed);
                    _mm256_mask_storeu_epi8(y + co * out_plane + q0, k, _mm512_castsi512_si256(p));
                    if (i + 1 < nco) {
                        _mm256_mask_storeu_epi8(y + (co + 1) * out_plane + q0, k, _mm512_extracti64x4_epi64(p, 1));
                    }
                }
                continue;
            }
            for (int32_t i = 0; i < nco; i++) {
                int32_t co = b * AMX_CO + i;
                __m512i a[2], r[2];
                a[0] = _mm512_load_si512((const void *)cbuf[(i / 16) * 2][i % 16]);
                a[1] = _mm512_load_si512((const void *)cbuf[(i / 16) * 2 + 1][i % 16]);
                requant_row(a, 2, &rq, mult[co], r);
                int32_t oy = oy0, ox = ox0;
                for (int v = 0; v * 16 < n; v++) {
                    store16(g, lanes, y + co * out_plane, q0 + v * 16, oy, ox, n - v * 16, r[v], mode);
                    advance16(g, &oy, &ox);
                }
            }
        }
    }
    _tile_release(); /* the tile state back to its init state: small signal frames and context switches again */
    free(lanes);
    free(tap_off);
}
#endif

#if defined(__x86_64__)
/* Pixels [qa, qb) of every folded plane (tap t, group p): the phase plane tap t reads, at the tap's offset, row by
   output row (the phase planes are wq wide, the folded ones ow). */
static void fold_planes(const geom *g, const geom *f, const uint8_t *scratch, uint8_t *folded, int32_t qa,
                        int32_t qb) {
    const sparq_qconv_desc *d = g->d;
    for (int32_t t = 0; t < g->taps; t++) {
        int32_t ph;
        int64_t off;
        tap_place(g, t, &ph, &off);
        for (int32_t p = 0; p < g->planes; p++) {
            const uint8_t *src = scratch + ((int64_t)ph * g->planes + p) * g->ps * 4;
            uint8_t *dst = folded + ((int64_t)t * g->planes + p) * f->ps * 4;
            for (int32_t oy = qa / d->ow; oy * d->ow < qb; oy++) {
                int32_t x0 = qa - oy * d->ow > 0 ? qa - oy * d->ow : 0;
                int32_t x1 = qb - oy * d->ow < d->ow ? qb - oy * d->ow : d->ow;
                memcpy(dst + ((int64_t)oy * d->ow + x0) * 4, src + ((int64_t)oy * g->wq + x0 + off) * 4,
                       (size_t)(x1 - x0) * 4);
            }
        }
    }
}
#endif

/* ---- dispatch ---- */

/* AMX needs the OS to save tile data for this process: asked once (Linux arch_prctl ARCH_REQ_XCOMP_PERM for
   XFEATURE_XTILEDATA); refused (an old kernel, a too small signal stack somewhere), VNNI is used instead. */
static int amx_permitted(void) {
#if defined(__x86_64__) && defined(SYS_arch_prctl)
    static int permitted = -1;
    if (permitted < 0) {
        unsigned long bits = 0;
        permitted = syscall(SYS_arch_prctl, 0x1023 /* ARCH_REQ_XCOMP_PERM */, 18 /* XFEATURE_XTILEDATA */) == 0
            && syscall(SYS_arch_prctl, 0x1022 /* ARCH_GET_XCOMP_PERM */, &bits) == 0 && (bits & (1ul << 18)) != 0;
    }
    return permitted;
#else
    return 0;
#endif
}

static int vnni_here(void) {
    uint32_t f = sparq_cpu_features();
    return (f & SPARQ_CPU_AVX512VNNI) && (f & SPARQ_CPU_AVX512BW);
}

/* VBMI's byte permutes (vpermt2b), for the depthwise path */
static int vbmi_here(void) {
    return vnni_here() && (sparq_cpu_features() & SPARQ_CPU_AVX512VBMI);
}

static int amx_here(void) {
    return vbmi_here() && (sparq_cpu_features() & SPARQ_CPU_AMXINT8) && amx_permitted();
}

static void qconv_choose(void) {
    if (qconv_path >= 0) return;
    qconv_path = amx_here() ? 3 : vbmi_here() ? 2 : vnni_here() ? 1 : 0;
}

const char *sparq_qconv_path(void) {
    qconv_choose();
    static const char *names[] = {"scalar", "avx512-vnni", "avx512-vbmi", "amx"};
    return names[qconv_path];
}

int32_t sparq_qconv_force(const char *path) {
    if (strcmp(path, "scalar") == 0) {
        qconv_path = 0;
        return 1;
    }
    if (strcmp(path, "avx512-vnni") == 0 && vnni_here()) {
        qconv_path = 1;
        return 1;
    }
    if (strcmp(path, "avx512-vbmi") == 0 && vbmi_here()) {
        qconv_path = 2;
        return 1;
    }
    if (strcmp(path, "amx") == 0 && amx_here()) {
        qconv_path = 3;
        return 1;
    }
    return 0;
}

void sparq_qconv_compute(const sparq_qconv_desc *d, const uint8_t *x, const uint8_t *scratch, const void *packed,
                         const int32_t *bias, const float *mult, void *y, int32_t part, int32_t parts) {
    qconv_choose();
    geom g = geometry(d);
    /* dense weights say how they were packed; that decides the kernel (forcing a path affects later packing) */
    int32_t layout = d->depthwise ? 0 : *(const int32_t *)packed;
    if (!d->depthwise) {
        g.wabs = ((const int32_t *)packed)[1];
    }
    const void *weights = d->depthwise ? packed : (const void *)((const int8_t *)packed + HEADER);
    int32_t units = d->depthwise ? d->c : layout == LAYOUT_AMX ? (d->cout + AMX_CO - 1) / AMX_CO : (d->cout + MR - 1) / MR;
    int32_t u0 = 0, u1 = units, qa = 0, qb = g.q;
#if defined(__x86_64__)
    dw_plan pl;
    if (d->depthwise && qconv_path >= 2 && dw_plan_for(d, &pl)) {
        /* channels split across parts, or groups of output rows when channels are fewer than parts */
        int32_t groups = (d->oh + pl.rows - 1) / pl.rows, g0 = 0, g1 = groups;
        if (d->c >= parts) {
            split(d->c, 1, part, parts, &u0, &u1);
        } else {
            split(groups, 1, part, parts, &g0, &g1);
        }
        if (u0 < u1 && g0 < g1) {
            depthwise_vbmi(&g, &pl, x, (const int8_t *)((const float *)weights + (int64_t)d->c * g.taps), bias, mult,
                           (uint8_t *)y, u0, u1, g0, g1);
        }
        return;
    }
#endif
#if defined(__x86_64__)
    if (layout == LAYOUT_AMX_FOLD) {
        /* output pixels split across parts, each folding the planes of its own pixels */
        geom f = fold_geometry(&g);
        split(f.q, AMX_Q, part, parts, &qa, &qb);
        if (qa >= qb) return;
        uint8_t *folded = (uint8_t *)scratch + phase_bytes(d, &g);
        fold_planes(&g, &f, scratch, folded, qa, qb);
        dense_amx(&f, folded, (const int8_t *)weights, bias, mult, (uint8_t *)y, 0, (d->cout + AMX_CO - 1) / AMX_CO,
                  qa, qb);
        return;
    }
#endif
    /* channels (or channel blocks) split across parts when they divide evenly, are many, or carry weights worth not
       reading twice (each part of a pixel split reads them all); else output pixels */
    int64_t weight_bytes = (int64_t)d->cout * (d->depthwise ? 1 : d->c) * g.taps;
    if (units % parts == 0 || units >= 4 * parts || weight_bytes > 32768) {
        split(units, 1, part, parts, &u0, &u1);
    } else {
        split(g.q, d->depthwise ? DW_TILE : layout == LAYOUT_AMX ? AMX_Q : TILE_Q, part, parts, &qa, &qb);
    }
    if (u0 >= u1 || qa >= qb) return;
#if defined(__x86_64__)
    if (layout == LAYOUT_AMX) {
        dense_amx(&g, scratch, (const int8_t *)weights, bias, mult, (uint8_t *)y, u0, u1, qa, qb);
        return;
    }
    if (qconv_path >= 1) {
        if (d->depthwise) {
            depthwise_avx512(&g, x, (const float *)weights, bias, mult, (uint8_t *)y, u0, u1, qa, qb);
        } else {
            dense_avx512(&g, scratch, (const int8_t *)weights, bias, mult, (uint8_t *)y, u0, u1, qa, qb);
        }
        return;
    }
#endif
    if (d->depthwise) {
        depthwise_scalar(&g, x, (const float *)weights, bias, mult, (uint8_t *)y, u0, u1, qa, qb);
    } else {
        dense_scalar(&g, scratch, (const int8_t *)weights, bias, mult, (uint8_t *)y, u0, u1, qa, qb);
    }
}
