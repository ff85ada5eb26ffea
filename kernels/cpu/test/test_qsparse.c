/* C harness for the pruned 8-bit convolution (qsparse.c): every available path against a direct loop with ONNX's
 * semantics, on awkward shapes and several densities. Prints "N passed, M failed" and exits non-zero on failure. */
#include "sparq_kernels.h"
#include "output_bounds.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t seed = 777;
static uint32_t next(void) {
    seed = seed * 1664525u + 1013904223u;
    return seed >> 8;
}

/* shape: c h w cout k stride pad dilation; density in percent of nonzero weights */
static int check(const char *path, const int *s, int density, int flip, int y_signed, int huge_bias) {
    sparq_qconv_desc d;
    memset(&d, 0, sizeof d);
    d.c = s[0]; d.h = s[1]; d.w = s[2]; d.cout = s[3];
    d.kh = d.kw = s[4]; d.sh = d.sw = s[5]; d.pad_top = d.pad_left = s[6]; d.dh = d.dw = s[7];
    d.oh = (d.h + 2 * s[6] - d.dh * (d.kh - 1) - 1) / d.sh + 1;
    d.ow = (d.w + 2 * s[6] - d.dw * (d.kw - 1) - 1) / d.sw + 1;
    int zp = (int)(next() % 256) - (flip ? 128 : 0);
    d.x_zero = flip ? zp + 128 : zp;
    d.x_flip = flip;
    d.y_signed = y_signed;
    d.qmin = y_signed ? -128 : 0;
    d.qmax = y_signed ? 127 : 255;
    d.y_zero = (int)(next() % 64) + (y_signed ? -32 : 96);
    output_bounds(d.y_zero, &d.qmin, &d.qmax);
    int taps = d.kh * d.kw;
    int64_t xn = (int64_t)d.c * d.h * d.w, wn = (int64_t)d.cout * d.c * taps, yn = (int64_t)d.cout * d.oh * d.ow;
    uint8_t *x = malloc((size_t)xn);
    int8_t *w = malloc((size_t)wn);
    int32_t *bias = malloc(sizeof(int32_t) * (size_t)d.cout), *kbias = malloc(sizeof(int32_t) * (size_t)d.cout);
    int32_t *sums = malloc(sizeof(int32_t) * (size_t)d.cout);
    float *mult = malloc(sizeof(float) * (size_t)d.cout);
    for (int64_t i = 0; i < xn; i++) x[i] = (uint8_t)next();
    for (int64_t i = 0; i < wn; i++) {
        int8_t v = (int8_t)next();
        w[i] = (int)(next() % 100) < density ? (v == 0 ? 1 : v) : 0;
    }
    if (d.cout > 1) { /* one output channel with no weight at all */
        memset(w, 0, (size_t)(d.c * taps));
    }
    for (int i = 0; i < d.cout; i++) {
        bias[i] = (int32_t)(next() % 20001) - 10000;
        mult[i] = (float)(0.0001 + (next() % 1000) * 0.0001);
    }
    if (huge_bias) bias[d.cout - 1] = 600000000; /* the general epilogue */
    int64_t size = sparq_qsparse_weights_size(&d, w);
    void *packed = malloc((size_t)size);
    uint8_t *scratch = aligned_alloc(64, (size_t)(sparq_qsparse_scratch_size(&d) + 63) / 64 * 64);
    uint8_t *y = malloc((size_t)yn);
    sparq_qsparse_pack_weights(&d, w, packed, sums);
    for (int i = 0; i < d.cout; i++) kbias[i] = bias[i] - d.x_zero * sums[i];
    int parts = 1 + (int)(next() % 3);
    for (int stage = 0; stage < 2; stage++) {
        for (int p = 0; p < parts; p++) sparq_qsparse_pack_input(&d, x, scratch, stage, p, parts);
    }
    for (int p = 0; p < parts; p++) sparq_qsparse_compute(&d, scratch, packed, kbias, mult, y, p, parts);
    /* the one-pass fill (stage 2) in another number of parts, over a scratch of garbage: the same output */
    int parts2 = 1 + (int)(next() % 4);
    uint8_t *y2 = malloc((size_t)yn);
    memset(scratch, 0xA5, (size_t)sparq_qsparse_scratch_size(&d));
    /* last part first: a part that read what another writes would read garbage */
    for (int p = parts2 - 1; p >= 0; p--) sparq_qsparse_pack_input(&d, x, scratch, 2, p, parts2);
    for (int p = 0; p < parts; p++) sparq_qsparse_compute(&d, scratch, packed, kbias, mult, y2, p, parts);
    int bad = 0;
    if (memcmp(y, y2, (size_t)yn) != 0) {
        printf("FAIL qsparse %s c=%d h=%d w=%d cout=%d k=%d s=%d: one-pass input fill (%d parts) differs\n", path,
               d.c, d.h, d.w, d.cout, d.kh, d.sh, parts2);
        bad = 1;
    }
    free(y2);
    for (int co = 0; co < d.cout && !bad; co++) {
        for (int oy = 0; oy < d.oh && !bad; oy++) {
            for (int ox = 0; ox < d.ow; ox++) {
                int32_t acc = 0;
                for (int ci = 0; ci < d.c; ci++) {
                    for (int ky = 0; ky < d.kh; ky++) {
                        for (int kx = 0; kx < d.kw; kx++) {
                            int iy = oy * d.sh - d.pad_top + ky * d.dh, ix = ox * d.sw - d.pad_left + kx * d.dw;
                            int xv = zp;
                            if (iy >= 0 && iy < d.h && ix >= 0 && ix < d.w) {
                                uint8_t raw = x[((int64_t)ci * d.h + iy) * d.w + ix];
                                xv = flip ? (int)(int8_t)raw : (int)raw;
                            }
                            acc += (xv - zp) * w[(((int64_t)co * d.c + ci) * d.kh + ky) * d.kw + kx];
                        }
                    }
                }
                int32_t a = (int32_t)((uint32_t)acc + (uint32_t)bias[co]);
                double v = rint((double)a * (double)mult[co] + (double)d.y_zero);
                int want = v < d.qmin ? d.qmin : v > d.qmax ? d.qmax : (int)v;
                uint8_t raw = y[((int64_t)co * d.oh + oy) * d.ow + ox];
                int got = y_signed ? (int)(int8_t)raw : (int)raw;
                if (got != want) {
                    printf("FAIL qsparse %s c=%d h=%d w=%d cout=%d k=%d s=%d p=%d d=%d density=%d at (%d,%d,%d): got %d "
                           "want %d\n", path, d.c, d.h, d.w, d.cout, d.kh, d.sh, s[6], d.dh, density, co, oy, ox, got,
                           want);
                    bad = 1;
                    break;
                }
            }
        }
    }
    free(x); free(w); free(bias); free(kbias); free(sums); free(mult); free(packed); free(scratch); free(y);
    return bad;
}

int main(void) {
    const char *paths[] = {"scalar", "avx512-vnni"};
    /* c h w cout k stride pad dilation */
    int shapes[][8] = {{1, 5, 5, 1, 1, 1, 0, 1}, {3, 9, 11, 8, 3, 1, 1, 1}, {4, 12, 12, 5, 3, 2, 1, 1},
                       {2, 10, 9, 7, 5, 1, 2, 2}, {16, 7, 7, 33, 1, 1, 0, 1}, {3, 23, 21, 8, 7, 2, 3, 1},
                       {64, 14, 14, 17, 3, 1, 1, 1}, {5, 30, 29, 9, 1, 2, 0, 1}, {6, 8, 8, 16, 3, 3, 0, 1},
                       {67, 1, 1, 13, 1, 1, 0, 1}, /* a fully connected layer: one pixel */
                       {4, 9, 71, 8, 3, 2, 1, 1}, {130, 6, 5, 40, 3, 1, 1, 1}, {19, 37, 13, 3, 3, 1, 1, 1}};
    int densities[] = {0, 3, 10, 35, 100};
    int passed = 0, failed = 0, skipped = 0;
    for (unsigned p = 0; p < sizeof(paths) / sizeof(paths[0]); p++) {
        if (!sparq_qsparse_force(paths[p])) {
            printf("skipped qsparse %s: not supported on this CPU\n", paths[p]);
            skipped++;
            continue;
        }
        for (unsigned s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++) {
            for (unsigned k = 0; k < sizeof(densities) / sizeof(densities[0]); k++) {
                int flip = (int)((s + k) & 1);
                if (check(paths[p], shapes[s], densities[k], flip, (int)(s & 1), (int)(k == 2))) failed++; else passed++;
            }
        }
    }
    printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
    return failed == 0 ? 0 : 1;
}
