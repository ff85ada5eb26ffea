/* C harness for the int8 GEMM: every available path against a plain reference on awkward shapes.
 * Prints "N passed, M failed" and exits non-zero on failure (run by the Maven build, and under qemu for aarch64). */
#include "sparq_kernels.h"
#include "output_bounds.h"

#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>

static uint32_t seed = 12345;
static uint32_t next(void) {
    seed = seed * 1664525u + 1013904223u;
    return seed >> 8;
}

/* Weights and activations of check and check_requant: 0 full int8 range; 1 "7-bit" weights in [-64, 64]; 2 only
 * the extremes +-64 with every a = 255 (the largest pair sums vpmaddubsw sees); 3 as 2 plus one outlier of -128 next
 * to a -64 (and 127 next to 64 in the last column), whose pair sum would saturate s16: those panels must widen. */
static int wmode = 0;
static void fill_ab(uint8_t *a, int na, int8_t *b, int k, int n) {
    for (int i = 0; i < na; i++) a[i] = wmode >= 2 ? 255 : (uint8_t)next();
    for (int i = 0; i < k * n; i++) {
        b[i] = wmode == 0 ? (int8_t)next() : wmode == 1 ? (int8_t)((int)(next() % 129) - 64)
                                                        : (int8_t)(next() & 1 ? 64 : -64);
    }
    if (wmode == 3 && k >= 2) {
        b[0] = -128;
        b[n] = -64;
        b[n - 1] = 127;
        b[n + n - 1] = 64;
    }
}

static int check(const char *path, int m, int n, int k, int a_zero) {
    uint8_t *a = malloc((size_t)m * k + 1);
    int8_t *b = malloc((size_t)k * n + 1);
    fill_ab(a, m * k, b, k, n);
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
                printf("FAIL %s w%d m=%d n=%d k=%d zp=%d at (%d,%d): got %d want %d\n", path, wmode, m, n, k, a_zero,
                       r, j, c[r * n + j], want);
                bad = 1;
                break;
            }
        }
    }
    free(a); free(b); free(packed); free(sums); free(c);
    return bad;
}

/* The fused requantizing GEMM against exact integer products and ONNX's rounding (rint in double). per_col 0 repeats
 * one multiplier (per-tensor scales); relu clamps at the zero point; big multipliers drive saturation. */
static int check_requant(const char *path, int m, int n, int k, int out_signed, int per_col, int with_bias, int relu) {
    int lda = k + 3, ldo = n + 5;
    uint8_t *a = malloc((size_t)m * lda);
    int8_t *b = malloc((size_t)k * n);
    fill_ab(a, m * lda, b, k, n);
    int8_t *packed = malloc((size_t)sparq_packed_b_s8_size(k, n));
    int32_t *sums = malloc(sizeof(int32_t) * (size_t)n), *bias = malloc(sizeof(int32_t) * (size_t)n);
    float *mult = malloc(sizeof(float) * (size_t)n);
    uint8_t *out = malloc((size_t)m * ldo);
    memset(out, 0xA5, (size_t)m * ldo);
    int a_zero = (int)(next() % 256);
    float one = (float)(0.00005 + (next() % 1000) * 0.00001);
    for (int j = 0; j < n; j++) {
        bias[j] = (int32_t)(next() % 40001) - 20000;
        mult[j] = per_col ? (float)(0.00002 + (next() % 1000) * 0.00002) : one;
    }
    if (n > 2) {
        mult[1] = 0.5f; /* saturates both ways */
        bias[2] = 2000000000; /* wraps with the accumulator like int32 */
    }
    int zp = out_signed ? (int)(next() % 64) - 32 : (int)(next() % 64) + 96;
    int qmin = out_signed ? -128 : 0, qmax = out_signed ? 127 : 255;
    if (relu) qmin = zp;
    sparq_pack_b_s8(b, k, n, n, packed, sums);
    sparq_gemm_u8s8_requant(m, n, k, a, lda, a_zero, packed, sums, with_bias ? bias : NULL, mult, zp, qmin, qmax,
                            out_signed, out, ldo);
    int bad = 0;
    for (int r = 0; r < m && !bad; r++) {
        for (int j = 0; j < ldo; j++) {
            int want = 0xA5; /* past N: untouched */
            int got = out[r * ldo + j];
            if (j < n) {
                uint32_t acc = with_bias ? (uint32_t)bias[j] : 0;
                for (int q = 0; q < k; q++) acc += (uint32_t)(((int32_t)a[r * lda + q] - a_zero) * (int32_t)b[q * n + j]);
                double v = rint((double)(int32_t)acc * (double)mult[j] + (double)zp);
                want = v < qmin ? qmin : v > qmax ? qmax : (int)v;
                if (out_signed) got = (int)(int8_t)out[r * ldo + j];
            }
            if (got != want) {
                printf("FAIL requant %s w%d m=%d n=%d k=%d signed=%d per_col=%d bias=%d relu=%d at (%d,%d): got %d want %d\n",
                       path, wmode, m, n, k, out_signed, per_col, with_bias, relu, r, j, got, want);
                bad = 1;
                break;
            }
        }
    }
    free(a); free(b); free(packed); free(sums); free(bias); free(mult); free(out);
    return bad;
}

/* The fused convolution against a direct loop with ONNX's semantics. shape: c h w cout k stride pad dilation dw */
static int check_conv(const char *path, const int *s, int flip, int y_signed, int huge_bias) {
    sparq_qconv_desc d;
    memset(&d, 0, sizeof d);
    int dw = s[8];
    d.c = s[0]; d.h = s[1]; d.w = s[2]; d.cout = dw ? s[0] : s[3];
    d.kh = d.kw = s[4]; d.sh = d.sw = s[5]; d.pad_top = d.pad_left = s[6]; d.dh = d.dw = s[7];
    d.depthwise = dw;
    d.oh = (d.h + 2 * s[6] - d.dh * (d.kh - 1) - 1) / d.sh + 1;
    d.ow = (d.w + 2 * s[6] - d.dw * (d.kw - 1) - 1) / d.sw + 1;
    int zp = (int)(next() % 256) - (flip ? 128 : 0); /* as the model states it: int8 or uint8 */
    d.x_zero = flip ? zp + 128 : zp;
    d.x_flip = flip;
    d.y_signed = y_signed;
    d.qmin = y_signed ? -128 : 0;
    d.qmax = y_signed ? 127 : 255;
    d.y_zero = (int)(next() % 64) + (y_signed ? -32 : 96);
    output_bounds(d.y_zero, &d.qmin, &d.qmax);
    int cin = dw ? 1 : d.c;
    int taps = d.kh * d.kw;
    int64_t xn = (int64_t)d.c * d.h * d.w, wn = (int64_t)d.cout * cin * taps, yn = (int64_t)d.cout * d.oh * d.ow;
    uint8_t *x = malloc((size_t)xn);
    int8_t *w = malloc((size_t)wn);
    int32_t *bias = malloc(sizeof(int32_t) * (size_t)d.cout), *kbias = malloc(sizeof(int32_t) * (size_t)d.cout);
    int32_t *sums = malloc(sizeof(int32_t) * (size_t)d.cout);
    float *mult = malloc(sizeof(float) * (size_t)d.cout);
    for (int64_t i = 0; i < xn; i++) x[i] = (uint8_t)next();
    for (int64_t i = 0; i < wn; i++) w[i] = (int8_t)next();
    for (int i = 0; i < d.cout; i++) {
        bias[i] = (int32_t)(next() % 20001) - 10000;
        mult[i] = (float)(0.0001 + (next() % 1000) * 0.00002);
        if (i % 3 == 1) {
            mult[i] = (float)ldexp(1.0, -9 - (int)(next() % 5)); /* many exact ties: round half to even decides */
        }
    }
    if (huge_bias == 1) {
        bias[d.cout - 1] = 600000000; /* beyond the short epilogue's bound: the general one runs */
    }
    if (huge_bias == 2) {
        /* multipliers over 2^-21 .. 2^-2 with random mantissas, biases up to 2^20: the one-multiply-add
           requantization near its bounds, most outputs unsaturated for the small multipliers */
        for (int i = 0; i < d.cout; i++) {
            mult[i] = (float)ldexp(1.0 + (next() % 8388608) / 8388608.0, -2 - (int)(next() % 20));
            bias[i] = (int32_t)(next() % 2097153) - 1048576;
        }
    }
    void *packed = malloc((size_t)sparq_qconv_weights_size(&d));
    uint8_t *scratch = malloc((size_t)sparq_qconv_scratch_size(&d));
    uint8_t *y = malloc((size_t)yn);
    sparq_qconv_pack_weights(&d, w, packed, sums);
    for (int i = 0; i < d.cout; i++) kbias[i] = bias[i] - d.x_zero * sums[i];
    int parts = 1 + (int)(next() % 3);
    for (int p = 0; p < parts; p++) sparq_qconv_pack_input(&d, x, scratch, p, parts);
    for (int p = 0; p < parts; p++) sparq_qconv_compute(&d, x, scratch, packed, kbias, mult, y, p, parts);
    int bad = 0;
    for (int co = 0; co < d.cout && !bad; co++) {
        for (int oy = 0; oy < d.oh && !bad; oy++) {
            for (int ox = 0; ox < d.ow; ox++) {
                int32_t acc = 0;
                for (int ci = 0; ci < cin; ci++) {
                    int ch = dw ? co : ci;
                    for (int ky = 0; ky < d.kh; ky++) {
                        for (int kx = 0; kx < d.kw; kx++) {
                            int iy = oy * d.sh - d.pad_top + ky * d.dh, ix = ox * d.sw - d.pad_left + kx * d.dw;
                            int xv = zp;
                            if (iy >= 0 && iy < d.h && ix >= 0 && ix < d.w) {
                                uint8_t raw = x[((int64_t)ch * d.h + iy) * d.w + ix];
                                xv = flip ? (int)(int8_t)raw : (int)raw;
                            }
                            acc += (xv - zp) * w[(((int64_t)co * cin + ci) * d.kh + ky) * d.kw + kx];
                        }
                    }
                }
                int32_t a = (int32_t)((uint32_t)acc + (uint32_t)bias[co]);
                double v = rint((double)a * (double)mult[co] + (double)d.y_zero);
                int want = v < d.qmin ? d.qmin : v > d.qmax ? d.qmax : (int)v;
                uint8_t raw = y[((int64_t)co * d.oh + oy) * d.ow + ox];
                int got = y_signed ? (int)(int8_t)raw : (int)raw;
                if (got != want) {
                    printf("FAIL qconv %s c=%d h=%d w=%d cout=%d k=%d s=%d p=%d d=%d dw=%d at (%d,%d,%d): got %d want %d\n",
                           path, d.c, d.h, d.w, d.cout, d.kh, d.sh, s[6], d.dh, dw, co, oy, ox, got, want);
                    bad = 1;
                    break;
                }
            }
        }
    }
    free(x); free(w); free(bias); free(kbias); free(sums); free(mult); free(packed); free(scratch); free(y);
    return bad;
}

/* QLinearAdd against the definition, step by step in float (volatile: one rounding each). */
static int check_qadd(int n, int is_signed, float sa, float sb, float sc) {
    uint8_t *a = malloc((size_t)n + 1), *b = malloc((size_t)n + 1), *c = malloc((size_t)n + 1);
    for (int i = 0; i < n; i++) {
        a[i] = (uint8_t)next();
        b[i] = (uint8_t)next();
    }
    int za = (int)(next() % 256) - (is_signed ? 128 : 0), zb = (int)(next() % 256) - (is_signed ? 128 : 0);
    int zc = (int)(next() % 256) - (is_signed ? 128 : 0);
    int32_t lo = is_signed ? -128 : 0, hi = is_signed ? 127 : 255;
    output_bounds(zc, &lo, &hi);
    sparq_qlinear_add_8(a, b, 0, n, za, sa, zb, sb, sc, zc, is_signed, lo, hi, c);
    int bad = 0;
    for (int i = 0; i < n; i++) {
        int av = is_signed ? (int)(int8_t)a[i] : a[i], bv = is_signed ? (int)(int8_t)b[i] : b[i];
        volatile float x = (float)(av - za) * sa, y = (float)(bv - zb) * sb;
        volatile float v = x + y;
        volatile float q = v / sc;
        double r = rint((double)q) + zc;
        int want = r < lo ? lo : r > hi ? hi : (int)r;
        int got = is_signed ? (int)(int8_t)c[i] : c[i];
        if (got != want) {
            printf("FAIL qadd n=%d signed=%d at %d: got %d want %d\n", n, is_signed, i, got, want);
            bad = 1;
            break;
        }
    }
    free(a); free(b); free(c);
    return bad;
}

/* MaxPool against a direct loop. */
static int check_pool(int planes, int h, int w, int k, int s, int pad, int is_signed) {
    int oh = (h + 2 * pad - k) / s + 1, ow = (w + 2 * pad - k) / s + 1;
    uint8_t *x = malloc((size_t)planes * h * w), *y = malloc((size_t)planes * oh * ow);
    for (int i = 0; i < planes * h * w; i++) x[i] = (uint8_t)next();
    sparq_maxpool_s8u8(x, planes, h, w, k, k, s, s, pad, pad, oh, ow, is_signed, y, 0, planes);
    int bad = 0;
    for (int p = 0; p < planes && !bad; p++) {
        for (int oy = 0; oy < oh && !bad; oy++) {
            for (int ox = 0; ox < ow; ox++) {
                int best = -1000;
                for (int ky = 0; ky < k; ky++) {
                    for (int kx = 0; kx < k; kx++) {
                        int iy = oy * s - pad + ky, ix = ox * s - pad + kx;
                        if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                        uint8_t raw = x[((int64_t)p * h + iy) * w + ix];
                        int v = is_signed ? (int)(int8_t)raw : (int)raw;
                        if (v > best) best = v;
                    }
                }
                uint8_t raw = y[((int64_t)p * oh + oy) * ow + ox];
                int got = is_signed ? (int)(int8_t)raw : (int)raw;
                if (got != best) {
                    printf("FAIL maxpool %dx%d k=%d s=%d p=%d signed=%d at (%d,%d,%d): got %d want %d\n", h, w, k, s,
                           pad, is_signed, p, oy, ox, got, best);
                    bad = 1;
                    break;
                }
            }
        }
    }
    free(x);
    free(y);
    return bad;
}

int main(void) {
    const char *paths[] = {"scalar", "avx2", "avx2-widen", "avx2-maddubs", "avx-vnni", "avx512-vnni", "neon",
                           "neon-dotprod"};
    int sizes[][3] = {{1, 1, 1}, {1, 33, 7}, {8, 32, 4}, {9, 31, 5}, {17, 65, 129}, {64, 64, 64}, {3, 100, 300},
                      {33, 17, 1000}};
    int passed = 0, failed = 0, skipped = 0;
    for (unsigned p = 0; p < sizeof(paths) / sizeof(paths[0]); p++) {
        if (!sparq_gemm_s8_force(paths[p])) {
            printf("skipped %s: not supported on this CPU\n", paths[p]);
            skipped++;
            continue;
        }
        for (wmode = 0; wmode <= 3; wmode++) {
            for (unsigned s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
                for (int zp = 0; zp <= 128; zp += 128) {
                    if (check(paths[p], sizes[s][0], sizes[s][1], sizes[s][2], zp)) failed++; else passed++;
                }
            }
        }
        wmode = 0;
        /* m n k: M = 1, N not a multiple of 32, K not a multiple of 4, more rows than one 48-row block */
        int rq[][3] = {{1, 1, 1}, {1, 1000, 512}, {1, 33, 7}, {3, 31, 5}, {49, 65, 130}, {97, 17, 3}, {196, 40, 256}};
        for (unsigned s = 0; s < sizeof(rq) / sizeof(rq[0]); s++) {
            for (int v = 0; v < 16 + 6; v++) { /* then 7-bit weights (modes 1..3), signed and unsigned output */
                wmode = v < 16 ? 0 : 1 + (v - 16) / 2;
                int w = v & 15;
                if (check_requant(paths[p], rq[s][0], rq[s][1], rq[s][2], w & 1, (w >> 1) & 1, (w >> 2) & 1, w >> 3)) {
                    failed++;
                } else {
                    passed++;
                }
            }
        }
        wmode = 0;
    }
    const char *conv_paths[] = {"scalar", "avx512-vnni", "avx512-vbmi", "amx"};
    /* c h w cout k stride pad dilation depthwise */
    int convs[][9] = {{1, 5, 5, 1, 1, 1, 0, 1, 0}, {3, 9, 11, 8, 3, 1, 1, 1, 0}, {4, 12, 12, 5, 3, 2, 1, 1, 0},
                      {2, 10, 9, 7, 5, 1, 2, 2, 0}, {16, 7, 7, 33, 1, 1, 0, 1, 0}, {3, 23, 21, 8, 7, 2, 3, 1, 0},
                      {64, 14, 14, 17, 3, 1, 1, 1, 0}, {5, 30, 29, 9, 1, 2, 0, 1, 0}, {6, 8, 8, 16, 3, 3, 0, 1, 0},
                      {8, 17, 19, 8, 3, 1, 1, 1, 1}, {5, 12, 12, 5, 3, 2, 1, 1, 1}, {3, 9, 7, 3, 5, 1, 2, 2, 1},
                      {19, 7, 7, 19, 3, 2, 1, 1, 1}, {2, 70, 66, 2, 3, 1, 1, 1, 1}, {1, 1, 1, 1, 1, 1, 0, 1, 1},
                      /* stride 2 over rows wide enough for the vector split, with and without padding */
                      {4, 9, 71, 8, 3, 2, 1, 1, 0}, {5, 8, 66, 16, 1, 2, 0, 1, 0}, {6, 9, 69, 6, 3, 2, 1, 1, 1},
                      {3, 6, 66, 3, 3, 2, 0, 1, 1}, {3, 7, 35, 3, 3, 2, 0, 1, 1},
                      /* input channels in 64s: the AMX tiles' shapes, output channels not in 32s */
                      {128, 9, 11, 40, 3, 2, 1, 1, 0}, {64, 7, 7, 64, 1, 1, 0, 1, 0}, {192, 5, 6, 33, 3, 1, 2, 2, 0},
                      {64, 30, 3, 16, 3, 1, 1, 1, 0},
                      /* AMX steps of fewer than 64 input channels: K below 64 bytes, and a zero-padded last step */
                      {16, 9, 10, 40, 1, 1, 0, 1, 0}, {24, 8, 9, 33, 3, 2, 1, 1, 0}, {100, 9, 10, 40, 3, 1, 1, 1, 0},
                      {72, 6, 7, 31, 1, 1, 0, 1, 0}, {144, 5, 5, 24, 1, 1, 0, 1, 0},
                      /* taps folded into K (AMX, at most 16 planes x taps): stem-like, 2x2 over 3 groups, dilation */
                      {3, 15, 17, 40, 3, 2, 1, 1, 0}, {10, 9, 8, 7, 2, 1, 0, 1, 0}, {3, 12, 11, 9, 3, 1, 2, 2, 0},
                      /* depthwise by byte permutes: several short rows per vector (ow <= 8), rows in 16-lane segments
                         with tails, strides 3 and 4 (fewer lanes per load), dilation, 4 taps a row, 5 (not taken) */
                      {7, 7, 7, 7, 3, 1, 1, 1, 1}, {6, 14, 14, 6, 3, 2, 1, 1, 1}, {3, 4, 3, 3, 3, 1, 1, 1, 1},
                      {5, 5, 9, 5, 1, 1, 0, 1, 1}, {4, 8, 8, 4, 3, 1, 1, 1, 1}, {3, 20, 16, 3, 3, 1, 1, 1, 1},
                      {3, 19, 17, 3, 3, 1, 1, 1, 1}, {2, 9, 66, 2, 3, 1, 1, 1, 1}, {2, 6, 131, 2, 3, 2, 1, 1, 1},
                      {3, 10, 70, 3, 3, 3, 1, 1, 1}, {3, 11, 90, 3, 3, 4, 0, 1, 1}, {3, 12, 40, 3, 3, 1, 2, 2, 1},
                      {2, 11, 37, 2, 4, 2, 1, 1, 1}, {2, 9, 21, 2, 5, 1, 2, 1, 1}, {4, 3, 24, 4, 3, 1, 0, 1, 1},
                      {3, 30, 5, 3, 3, 2, 1, 1, 1}, {2, 16, 3, 2, 3, 3, 2, 1, 1}};
    for (unsigned p = 0; p < sizeof(conv_paths) / sizeof(conv_paths[0]); p++) {
        if (!sparq_qconv_force(conv_paths[p])) {
            printf("skipped qconv %s: not supported on this CPU\n", conv_paths[p]);
            skipped++;
            continue;
        }
        for (unsigned s = 0; s < sizeof(convs) / sizeof(convs[0]); s++) {
            for (int flip = 0; flip <= 1; flip++) {
                if (check_conv(conv_paths[p], convs[s], flip, flip ^ (int)(s & 1), (int)(s % 3 == 0))) failed++; else passed++;
            }
        }
    }
    /* wide multipliers and biases on every path */
    int wide[][9] = {{4, 40, 40, 64, 1, 1, 0, 1, 0}, {2, 30, 33, 24, 3, 2, 1, 1, 0}, {24, 20, 20, 24, 3, 1, 1, 1, 1},
                     {70, 9, 9, 40, 1, 1, 0, 1, 0}};
    for (unsigned p = 0; p < sizeof(conv_paths) / sizeof(conv_paths[0]); p++) {
        if (!sparq_qconv_force(conv_paths[p])) continue;
        for (unsigned s = 0; s < sizeof(wide) / sizeof(wide[0]); s++) {
            for (int flip = 0; flip <= 1; flip++) {
                if (check_conv(conv_paths[p], wide[s], flip, flip, 2)) failed++; else passed++;
            }
        }
    }
    int pools[][6] = {{3, 112, 112, 3, 2, 1}, {2, 7, 9, 3, 1, 1}, {4, 10, 11, 2, 2, 0}, {1, 1, 1, 1, 1, 0},
                      {5, 13, 6, 5, 3, 2}, {2, 20, 33, 3, 2, 0}};
    for (unsigned s = 0; s < sizeof(pools) / sizeof(pools[0]); s++) {
        for (int sg = 0; sg <= 1; sg++) {
            int *q = pools[s];
            if (check_pool(q[0], q[1], q[2], q[3], q[4], q[5], sg)) failed++; else passed++;
        }
    }
    float scales[][3] = {{0.02f, 0.03f, 0.05f}, {0.1f, 0.1f, 0.1f}, {0.013f, 0.07f, 0.0011f}, {1.0f, 1.0f, 3.0f}};
    int lens[] = {1, 15, 16, 17, 1000, 4099};
    for (unsigned s = 0; s < sizeof(scales) / sizeof(scales[0]); s++) {
        for (unsigned l = 0; l < sizeof(lens) / sizeof(lens[0]); l++) {
            for (int sg = 0; sg <= 1; sg++) {
                if (check_qadd(lens[l], sg, scales[s][0], scales[s][1], scales[s][2])) failed++; else passed++;
            }
        }
    }
    printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
    return failed == 0 ? 0 : 1;
}
