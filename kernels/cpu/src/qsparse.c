/* Pruned 8-bit convolution: the dense fused kernel's input (phase planes, four input channels per 32-bit element,
 * written by sparq_qconv_pack_input) with weights stored sparse.
 *
 * The reduction axis is cut into blocks of one tap and four input channels, the unit vpdpbusd multiplies: block
 * g = tap * planes + channel group reads the scratch at a constant offset from the flat output pixel. Per output
 * channel the packed weights hold a bitmask over the blocks (one bit per block: 1/32 byte per weight) and the four
 * int8 weights of each block with a nonzero; at 90% unstructured sparsity 1 - 0.9^4 = 34% of the blocks remain, so
 * packed weights take about 0.38 byte per original weight (FP32: 4) and the kernel does 0.34x the dense kernel's
 * vpdpbusd. Output pixels are vectorized (16 per register, up to 8 registers per output channel: the block's weights,
 * broadcast once, meet 128 pixels), and each output channel's tile is requantized in registers with the dense kernel's
 * exact epilogue. Pixel tiles are the outer loop so one tile of the input stays in cache across all output channels.
 *
 * Layout: 64-byte header (int32: magic, cout, blocks, mask words; int64 blocks kept), row pointers (int32, cout + 1,
 * in kept blocks), masks (uint64, cout x words), weights (4 x int8 per kept block). */
#include "qconv_common.h"

#define QS_MAGIC 0x38515053 /* "SPQ8" */
#define QS_HEADER 64
#define QS_TILE 128 /* flat output pixels per tile (8 vectors of 16) */
#ifndef QS_SLICE
#define QS_SLICE 64 /* blocks per slice of the reduction (one mask word; 32 and 16 measured slower) */
#endif
#define QS_SLICE_MASK (QS_SLICE == 64 ? ~0ull : (1ull << (QS_SLICE % 64)) - 1)

typedef struct {
    int32_t cout, blocks, words;
    const int32_t *rowptr;
    const uint64_t *masks;
    const int32_t *vals;
} qs_weights;

static int qsparse_path = -1; /* 0 scalar, 1 avx512-vnni */

static int64_t align8(int64_t v) {
    return (v + 7) / 8 * 8;
}

static int32_t block_count(const sparq_qconv_desc *d) {
    geom g = geometry(d);
    return g.taps * g.planes;
}

/* Weight (co, input channel ci, tap t) of ONNX weights [cout][c][taps]. */
static inline int8_t weight_at(const sparq_qconv_desc *d, const int8_t *w, int32_t co, int32_t ci, int32_t t,
                               int32_t taps) {
    return ci < d->c ? w[((int64_t)co * d->c + ci) * taps + t] : 0;
}

static int block_nonzero(const sparq_qconv_desc *d, const int8_t *w, int32_t co, int32_t blk, int32_t taps,
                         int32_t planes) {
    int32_t t = blk / planes, cg = blk % planes;
    for (int q = 0; q < 4; q++) {
        if (weight_at(d, w, co, cg * 4 + q, t, taps) != 0) return 1;
    }
    return 0;
}

static int64_t kept_blocks(const sparq_qconv_desc *d, const int8_t *w) {
    geom g = geometry(d);
    int64_t kept = 0;
    for (int32_t co = 0; co < d->cout; co++) {
        for (int32_t b = 0; b < g.taps * g.planes; b++) kept += block_nonzero(d, w, co, b, g.taps, g.planes);
    }
    return kept;
}

static int64_t size_for(int32_t cout, int32_t words, int64_t kept) {
    return QS_HEADER + align8(4 * ((int64_t)cout + 1)) + 8 * (int64_t)cout * words + 4 * kept;
}

int64_t sparq_qsparse_weights_size(const sparq_qconv_desc *d, const int8_t *w) {
    int32_t words = (block_count(d) + 63) / 64;
    return size_for(d->cout, words, kept_blocks(d, w));
}

static qs_weights view(const void *packed) {
    const int32_t *h = (const int32_t *)packed;
    qs_weights v;
    v.cout = h[1];
    v.blocks = h[2];
    v.words = h[3];
    const uint8_t *p = (const uint8_t *)packed + QS_HEADER;
    v.rowptr = (const int32_t *)p;
    p += align8(4 * ((int64_t)v.cout + 1));
    v.masks = (const uint64_t *)p;
    p += 8 * (int64_t)v.cout * v.words;
    v.vals = (const int32_t *)p;
    return v;
}

void sparq_qsparse_pack_weights(const sparq_qconv_desc *d, const int8_t *w, void *packed, int32_t *sums) {
    geom g = geometry(d);
    int32_t blocks = g.taps * g.planes, words = (blocks + 63) / 64;
    int64_t kept = kept_blocks(d, w);
    memset(packed, 0, (size_t)size_for(d->cout, words, kept));
    int32_t *h = (int32_t *)packed;
    h[0] = QS_MAGIC;
    h[1] = d->cout;
    h[2] = blocks;
    h[3] = words;
    memcpy(h + 4, &kept, sizeof kept);
    qs_weights v = view(packed);
    int32_t *rowptr = (int32_t *)v.rowptr;
    uint64_t *masks = (uint64_t *)v.masks;
    int8_t *vals = (int8_t *)v.vals;
    int32_t at = 0;
    for (int32_t co = 0; co < d->cout; co++) {
        int32_t s = 0;
        for (int64_t i = 0; i < (int64_t)d->c * g.taps; i++) s += w[(int64_t)co * d->c * g.taps + i];
        sums[co] = s;
        rowptr[co] = at;
        for (int32_t b = 0; b < blocks; b++) {
            if (!block_nonzero(d, w, co, b, g.taps, g.planes)) continue;
            masks[(int64_t)co * words + b / 64] |= 1ull << (b % 64);
            int32_t t = b / g.planes, cg = b % g.planes;
            for (int q = 0; q < 4; q++) vals[(int64_t)at * 4 + q] = weight_at(d, w, co, cg * 4 + q, t, g.taps);
            at++;
        }
    }
    rowptr[d->cout] = at;
}

/* ---- aligned input layout ----
 * The dense kernel's phase planes are wq elements wide, and a tap shifts its run by (ry / sh) * wq + rx / sw
 * elements: most 64-byte loads then straddle two cache lines, which costs the sparse kernel (8 loads per kept block,
 * none shared between output channels) 1.2-1.5x (measured). So the sparse kernel reads its own copy of the planes:
 * rows padded to P = wq rounded up to 16 elements, and one copy per column shift s = (rx / sw) mod 16 that some tap
 * has, copy s holding each row moved left by s. Every tap then reads at a multiple of 16 elements from a multiple of
 * 16 (64 bytes, for a 64-byte aligned scratch). Built from the dense layout (sparq_qconv_pack_input, stage 0) by
 * row copies (stage 1). */
typedef struct {
    geom g;          /* with wq = P, q = oh * P, ps = the copies' plane stride (the dense layout's if no copies) */
    int32_t shifts;  /* copies; 0: read the dense layout as it is */
    int64_t dense_bytes; /* the dense layout at the start of the scratch, rounded to 64 */
} aligned_layout;

static int32_t tap_shift(const sparq_qconv_desc *d, int32_t t) {
    return ((t % d->kw) * d->dw / d->sw) % 16;
}

static aligned_layout layout_of(const sparq_qconv_desc *d) {
    aligned_layout a;
    a.g = geometry(d);
    a.dense_bytes = (sparq_qconv_scratch_size(d) + 63) / 64 * 64;
    int32_t p = (a.g.wq + 15) / 16 * 16;
    a.shifts = 0;
    if (p > a.g.wq + a.g.wq / 4) {
        return a; /* narrow planes (7 wide: 9 -> 16) would waste more lanes than the alignment saves */
    }
    a.g.wq = p;
    a.g.q = d->oh * a.g.wq;
    a.g.ps = ((int64_t)a.g.hq * a.g.wq + 64 + 15) / 16 * 16;
    if (a.g.ps % 32 == 0) {
        a.g.ps += 16; /* an odd number of cache lines between planes: 4 KiB strides made them share L1 sets */
    }
    a.shifts = 1;
    for (int32_t t = 0; t < a.g.taps; t++) {
        if (tap_shift(d, t) + 1 > a.shifts) a.shifts = tap_shift(d, t) + 1;
    }
    return a;
}

int64_t sparq_qsparse_scratch_size(const sparq_qconv_desc *d) {
    aligned_layout a = layout_of(d);
    return a.dense_bytes + (int64_t)a.shifts * d->sh * d->sw * a.g.planes * a.g.ps * 4;
}

/* Aligned copy s of dense plane `plane` (the dense layout's plane index, phase * planes + channel group). */
static void copy_plane(const sparq_qconv_desc *d, const geom *dg, const aligned_layout *a, uint8_t *scratch, int32_t s,
                       int64_t plane) {
    int64_t per_copy = (int64_t)d->sh * d->sw * dg->planes; /* planes of one copy, in the dense layout's order */
    uint32_t zero = 0x01010101u * (uint8_t)d->x_zero; /* the padding value of four channels */
    const uint32_t *sp = (const uint32_t *)scratch + plane * dg->ps;
    uint32_t *dp = (uint32_t *)(scratch + a->dense_bytes) + (s * per_copy + plane) * a->g.ps;
    int32_t n = dg->wq > s ? dg->wq - s : 0;
    for (int32_t i = 0; i < dg->hq; i++) {
        memcpy(dp + (int64_t)i * a->g.wq, sp + (int64_t)i * dg->wq + s, (size_t)n * 4);
        for (int32_t j = n; j < a->g.wq; j++) dp[(int64_t)i * a->g.wq + j] = zero;
    }
    for (int64_t j = (int64_t)dg->hq * a->g.wq; j < a->g.ps; j++) dp[j] = zero;
}

void sparq_qsparse_pack_input(const sparq_qconv_desc *d, const uint8_t *x, uint8_t *scratch, int32_t stage,
                              int32_t part, int32_t parts) {
    geom dg = geometry(d);
    aligned_layout a = layout_of(d);
    int64_t per_copy = (int64_t)d->sh * d->sw * dg.planes; /* the dense layout's planes */
    if (stage == 2) {
        /* both stages, split by channel group: a part copies only planes it wrote itself, so parts need no barrier
           between the stages (and a plane is copied while still in this core's cache). Units are (channel group,
           phase); with column stride 2 the b == 0 phase packs both column phases, so they stay one unit. */
        int32_t phases = d->sh * d->sw, step = d->sw == 2 ? 2 : 1;
        int64_t units = (int64_t)dg.planes * (phases / step);
        int64_t u0 = units * part / parts, u1 = units * (part + 1) / parts;
        for (int64_t u = u0; u < u1; u++) {
            int32_t p = (int32_t)(u / (phases / step)), phase = (int32_t)(u % (phases / step)) * step;
            sparq_qconv_pack_input(d, x, scratch, p * phases + phase, (int32_t)per_copy); /* item (phase, p) */
            for (int32_t b = 0; b < step; b++) {
                for (int32_t s = 0; s < a.shifts; s++) {
                    copy_plane(d, &dg, &a, scratch, s, (int64_t)(phase + b) * dg.planes + p);
                }
            }
        }
        return;
    }
    if (stage == 0) {
        sparq_qconv_pack_input(d, x, scratch, part, parts);
        return;
    }
    int64_t items = a.shifts * per_copy;
    int64_t i0 = items * part / parts, i1 = items * (part + 1) / parts;
    for (int64_t it = i0; it < i1; it++) copy_plane(d, &dg, &a, scratch, (int32_t)(it / per_copy), it % per_copy);
}

/* Offset of each block in the aligned copies, in 4-byte elements from the flat output pixel. */
static int64_t *block_offsets(const sparq_qconv_desc *d, const aligned_layout *a) {
    const geom *g = &a->g;
    int64_t per_copy = (int64_t)d->sh * d->sw * g->planes;
    int64_t *off = (int64_t *)malloc(sizeof(int64_t) * (size_t)(g->taps * g->planes));
    for (int32_t t = 0; t < g->taps; t++) {
        int32_t ph;
        int64_t o;
        tap_place(g, t, &ph, &o); /* (ry / sh) * P + rx / sw */
        int32_t s = a->shifts == 0 ? 0 : tap_shift(d, t);
        for (int32_t cg = 0; cg < g->planes; cg++) {
            off[(int64_t)t * g->planes + cg] = (s * per_copy + (int64_t)ph * g->planes + cg) * g->ps + o - s;
        }
    }
    return off;
}

/* ---- portable path ---- */

static void sparse_scalar(const geom *g, const qs_weights *v, const int64_t *off, const uint8_t *scratch,
                          const int32_t *bias, const float *mult, uint8_t *y, int32_t c0, int32_t c1, int32_t qa,
                          int32_t qb) {
    const sparq_qconv_desc *d = g->d;
    int64_t out_plane = (int64_t)d->oh * d->ow;
    uint8_t row[QS_TILE];
    uint32_t acc[QS_TILE];
    for (int32_t q0 = qa; q0 < qb; q0 += QS_TILE) {
        int32_t n = qb - q0 < QS_TILE ? qb - q0 : QS_TILE;
        for (int32_t co = c0; co < c1; co++) {
            memset(acc, 0, sizeof acc);
            const int8_t *wv = (const int8_t *)(v->vals + v->rowptr[co]);
            for (int32_t wd = 0; wd < v->words; wd++) {
                for (uint64_t bits = v->masks[(int64_t)co * v->words + wd]; bits != 0; bits &= bits - 1) {
                    int32_t b = wd * 64 + __builtin_ctzll(bits);
                    const uint8_t *xs = scratch + (off[b] + q0) * 4;
                    for (int32_t l = 0; l < n; l++) {
                        for (int q = 0; q < 4; q++) acc[l] += (uint32_t)((int32_t)xs[l * 4 + q] * (int32_t)wv[q]);
                    }
                    wv += 4;
                }
            }
            for (int32_t l = 0; l < n; l++) row[l] = requant1((int32_t)acc[l], bias[co], mult[co], d);
            scatter_row(g, row, q0, n, y + co * out_plane);
        }
    }
}

/* ---- AVX-512 path ---- */
#if defined(__x86_64__)

/* acc[i] (NV vectors of 16 pixels from q0) += the kept blocks of mask word `bits` of one output channel, whose
   weights start at *wv (advanced past them). */
AVX512 static inline __attribute__((always_inline)) void sparse_word(const int64_t *off, const uint8_t *base,
                                                                     uint64_t bits, int32_t first,
                                                                     const int32_t **wv, int NV, __m512i acc[8]) {
    const int32_t *w = *wv;
    /* named accumulators: with the array itself gcc copied every register once per block */
    __m512i a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3], a4 = acc[4], a5 = acc[5], a6 = acc[6], a7 = acc[7];
    for (; bits != 0; bits &= bits - 1) {
        const uint8_t *xs = base + off[first + __builtin_ctzll(bits)] * 4;
        __m512i wb = _mm512_set1_epi32(*w++);
        a0 = _mm512_dpbusd_epi32(a0, _mm512_loadu_si512((const void *)xs), wb);
        if (NV > 1) a1 = _mm512_dpbusd_epi32(a1, _mm512_loadu_si512((const void *)(xs + 64)), wb);
        if (NV > 2) a2 = _mm512_dpbusd_epi32(a2, _mm512_loadu_si512((const void *)(xs + 128)), wb);
        if (NV > 3) a3 = _mm512_dpbusd_epi32(a3, _mm512_loadu_si512((const void *)(xs + 192)), wb);
        if (NV > 4) a4 = _mm512_dpbusd_epi32(a4, _mm512_loadu_si512((const void *)(xs + 256)), wb);
        if (NV > 5) a5 = _mm512_dpbusd_epi32(a5, _mm512_loadu_si512((const void *)(xs + 320)), wb);
        if (NV > 6) a6 = _mm512_dpbusd_epi32(a6, _mm512_loadu_si512((const void *)(xs + 384)), wb);
        if (NV > 7) a7 = _mm512_dpbusd_epi32(a7, _mm512_loadu_si512((const void *)(xs + 448)), wb);
    }
    acc[0] = a0; acc[1] = a1; acc[2] = a2; acc[3] = a3; acc[4] = a4; acc[5] = a5; acc[6] = a6; acc[7] = a7;
    *wv = w;
}

/* One pixel tile for output channels [c0, c1), one mask word (64 blocks: a slice of the reduction whose input, 64
   blocks x NV*64 bytes, stays in L1) at a time across all channels; partial sums wait in part between words. */
AVX512 static inline __attribute__((always_inline)) void sparse_tile(const geom *g, const qs_weights *v,
                                                                     const int64_t *off, const uint8_t *scratch,
                                                                     int32_t c0, int32_t c1, int32_t q0, int32_t n,
                                                                     int NV, const int32_t **wp, __m512i *part,
                                                                     const int32_t *bias, const float *mult,
                                                                     const uint16_t *lanes, int mode, uint8_t *y) {
    const sparq_qconv_desc *d = g->d;
    int64_t out_plane = (int64_t)d->oh * d->ow;
    const uint8_t *base = scratch + (int64_t)q0 * 4;
    for (int32_t co = c0; co < c1; co++) wp[co - c0] = v->vals + v->rowptr[co];
    int32_t slices = (v->blocks + QS_SLICE - 1) / QS_SLICE;
    for (int32_t sl = 0; sl < slices; sl++) {
        int last = sl == slices - 1;
        int32_t wd = sl * QS_SLICE / 64, shift = sl * QS_SLICE % 64;
        for (int32_t co = c0; co < c1; co++) {
            __m512i acc[8] = {0};
            __m512i *pp = part + (int64_t)(co - c0) * 8;
            for (int i = 0; i < NV; i++) acc[i] = sl == 0 ? _mm512_setzero_si512() : pp[i];
            uint64_t bits = (v->masks[(int64_t)co * v->words + wd] >> shift) & QS_SLICE_MASK;
            sparse_word(off, base, bits, sl * QS_SLICE, &wp[co - c0], NV, acc);
            if (!last) {
                for (int i = 0; i < NV; i++) pp[i] = acc[i];
                continue;
            }
            __m512i bv = _mm512_set1_epi32(bias[co]);
            __m512d mv = _mm512_set1_pd((double)mult[co]), zero = _mm512_set1_pd((double)d->y_zero);
            __m512d lo = _mm512_set1_pd((double)d->qmin), hi = _mm512_set1_pd((double)d->qmax);
            __m512i qlo = _mm512_set1_epi32(d->qmin), qhi = _mm512_set1_epi32(d->qmax);
            __m512 mf = _mm512_set1_ps(mult[co]), zerof = _mm512_set1_ps((float)d->y_zero);
            int32_t oy = q0 / g->wq, ox = q0 - oy * g->wq;
            for (int i = 0; i < NV; i++) {
                __m512i r = mode ? clamp_q(requant32_est(acc[i], bv, mf, zerof, mv, zero), qlo, qhi)
                                 : requant32(acc[i], bv, mv, zero, lo, hi);
                store16(g, lanes, y + co * out_plane, q0 + i * 16, oy, ox, n - i * 16, r, mode);
                advance16(g, &oy, &ox);
            }
        }
    }
}

AVX512 static void sparse_avx512(const geom *g, const qs_weights *v, const int64_t *off, const uint8_t *scratch,
                                 const int32_t *bias, const float *mult, uint8_t *y, int32_t c0, int32_t c1,
                                 int32_t qa, int32_t qb) {
    uint16_t *lanes = g->wq == g->d->ow ? NULL : valid_lanes(g);
    int mode = epilogue_mode(g, bias, mult);
    const int32_t **wp = (const int32_t **)malloc(sizeof(int32_t *) * (size_t)(c1 - c0));
    __m512i *part = (__m512i *)aligned_alloc(64, sizeof(__m512i) * 8 * (size_t)(c1 - c0));
    for (int32_t q0 = qa; q0 < qb; q0 += QS_TILE) {
        int32_t n = qb - q0 < QS_TILE ? qb - q0 : QS_TILE;
        switch ((n + 15) / 16) { /* constant trip counts keep the accumulators in registers */
            case 8: sparse_tile(g, v, off, scratch, c0, c1, q0, n, 8, wp, part, bias, mult, lanes, mode, y); break;
            case 7: sparse_tile(g, v, off, scratch, c0, c1, q0, n, 7, wp, part, bias, mult, lanes, mode, y); break;
            case 6: sparse_tile(g, v, off, scratch, c0, c1, q0, n, 6, wp, part, bias, mult, lanes, mode, y); break;
            case 5: sparse_tile(g, v, off, scratch, c0, c1, q0, n, 5, wp, part, bias, mult, lanes, mode, y); break;
            case 4: sparse_tile(g, v, off, scratch, c0, c1, q0, n, 4, wp, part, bias, mult, lanes, mode, y); break;
            case 3: sparse_tile(g, v, off, scratch, c0, c1, q0, n, 3, wp, part, bias, mult, lanes, mode, y); break;
            case 2: sparse_tile(g, v, off, scratch, c0, c1, q0, n, 2, wp, part, bias, mult, lanes, mode, y); break;
            default: sparse_tile(g, v, off, scratch, c0, c1, q0, n, 1, wp, part, bias, mult, lanes, mode, y); break;
        }
    }
    free(part);
    free(wp);
    free(lanes);
}

static int qs_vnni_here(void) {
    uint32_t f = sparq_cpu_features();
    return (f & SPARQ_CPU_AVX512VNNI) && (f & SPARQ_CPU_AVX512BW);
}
#else
static int qs_vnni_here(void) {
    return 0;
}
#endif

/* ---- dispatch ---- */

static void qsparse_choose(void) {
    if (qsparse_path < 0) qsparse_path = qs_vnni_here() ? 1 : 0;
}

const char *sparq_qsparse_path(void) {
    qsparse_choose();
    return qsparse_path == 1 ? "avx512-vnni" : "scalar";
}

int32_t sparq_qsparse_force(const char *path) {
    if (strcmp(path, "scalar") == 0) {
        qsparse_path = 0;
        return 1;
    }
    if (strcmp(path, "avx512-vnni") == 0 && qs_vnni_here()) {
        qsparse_path = 1;
        return 1;
    }
    return 0;
}

void sparq_qsparse_compute(const sparq_qconv_desc *d, const uint8_t *scratch, const void *packed, const int32_t *bias,
                           const float *mult, void *y, int32_t part, int32_t parts) {
    qsparse_choose();
    aligned_layout a = layout_of(d);
    const geom *g = &a.g;
    qs_weights v = view(packed);
    int32_t c0 = 0, c1 = d->cout, qa = 0, qb = g->q;
    /* output channels split across parts when there are enough of them, else output pixels */
    if (d->cout >= 8 * parts) {
        split(d->cout, 1, part, parts, &c0, &c1);
    } else {
        split(g->q, QS_TILE, part, parts, &qa, &qb);
    }
    if (c0 >= c1 || qa >= qb) return;
    int64_t *off = block_offsets(d, &a);
    const uint8_t *copies = a.shifts == 0 ? scratch : scratch + a.dense_bytes;
#if defined(__x86_64__)
    if (qsparse_path == 1) {
        sparse_avx512(g, &v, off, copies, bias, mult, (uint8_t *)y, c0, c1, qa, qb);
        free(off);
        return;
    }
#endif
    sparse_scalar(g, &v, off, copies, bias, mult, (uint8_t *)y, c0, c1, qa, qb);
    free(off);
}
