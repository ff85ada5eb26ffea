/* The fused 8-bit convolution on every QLinearConv shape of MobileNetV2 (224x224, batch 1), one image: best of up to
 * 400 runs (0.4 s) per layer of pack_input + compute, and the total weighted by how often each shape occurs. Not built
 * by Maven; a tool for comparing kernel versions side by side:
 *   gcc -O3 -std=c11 -fno-strict-aliasing -Ikernels/cpu/include -o /tmp/qconv_mnv2 kernels/cpu/bench/qconv_mobilenet_v2.c \
 *       kernels/cpu/src/[a-z]*.c -lm
 *   /tmp/qconv_mnv2 [LAYER [PARTS]]    (FORCE=avx512-vnni etc. forces a path; NOPACK / NOCOMP skip a phase) */
#define _GNU_SOURCE
#include "sparq_kernels.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
static uint32_t seed = 1;
static uint32_t nx(void) { seed = seed * 1664525u + 1013904223u; return seed >> 8; }
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec * 1e-9; }
/* input channels, input size, output channels, kernel, stride, depthwise (pad k / 2) */
static const int L[][6] = {
 {3,224,32,3,2,0},
 {32,112,32,3,1,1},{32,112,16,1,1,0},
 {16,112,96,1,1,0},{96,112,96,3,2,1},{96,56,24,1,1,0},
 {24,56,144,1,1,0},{144,56,144,3,1,1},{144,56,24,1,1,0},
 {24,56,144,1,1,0},{144,56,144,3,2,1},{144,28,32,1,1,0},
 {32,28,192,1,1,0},{192,28,192,3,1,1},{192,28,32,1,1,0},
 {32,28,192,1,1,0},{192,28,192,3,2,1},{192,14,64,1,1,0},
 {64,14,384,1,1,0},{384,14,384,3,1,1},{384,14,64,1,1,0},
 {384,14,96,1,1,0},
 {96,14,576,1,1,0},{576,14,576,3,1,1},{576,14,96,1,1,0},
 {576,14,576,3,2,1},{576,7,160,1,1,0},
 {160,7,960,1,1,0},{960,7,960,3,1,1},{960,7,160,1,1,0},{960,7,320,1,1,0},
 {320,7,1280,1,1,0},
};
/* how many times each appears in MobileNetV2 */
static const int R[] = {1, 1,1, 1,1,1, 1,1,1, 1,1,1, 2,2,2, 1,1,1, 4,4,3, 1, 2,2,2, 1,1, 2,2,2,1, 1};
int main(int argc, char **argv) {
    int only = argc > 1 ? atoi(argv[1]) : -1;
    int parts = argc > 2 ? atoi(argv[2]) : 1;
    if (getenv("FORCE")) sparq_qconv_force(getenv("FORCE"));
    double tot = 0, totdw = 0;
    int n = sizeof L / sizeof L[0];
    for (int i = 0; i < n; i++) {
        if (only >= 0 && i != only) continue;
        sparq_qconv_desc d; memset(&d, 0, sizeof d);
        d.c = L[i][0]; d.h = d.w = L[i][1]; d.cout = L[i][2]; d.kh = d.kw = L[i][3]; d.sh = d.sw = L[i][4];
        d.depthwise = L[i][5]; d.dh = d.dw = 1; d.pad_top = d.pad_left = d.kh / 2;
        d.oh = (d.h + 2 * d.pad_top - d.kh) / d.sh + 1; d.ow = d.oh;
        d.x_zero = 0; d.y_zero = 0; d.qmin = 0; d.qmax = 255; d.y_signed = 0;
        int cin = d.depthwise ? 1 : d.c, taps = d.kh * d.kw;
        int64_t xn = (int64_t)d.c * d.h * d.w, wn = (int64_t)d.cout * cin * taps, yn = (int64_t)d.cout * d.oh * d.ow;
        uint8_t *x = malloc(xn); int8_t *w = malloc(wn);
        for (int64_t j = 0; j < xn; j++) x[j] = nx() % 100;
        for (int64_t j = 0; j < wn; j++) w[j] = (int8_t)(nx() % 60) - 30;
        int32_t *bias = malloc(4 * d.cout), *sums = malloc(4 * d.cout); float *mult = malloc(4 * d.cout);
        void *packed = aligned_alloc(64, (sparq_qconv_weights_size(&d) + 63) / 64 * 64);
        uint8_t *scratch = aligned_alloc(64, (sparq_qconv_scratch_size(&d) + 63) / 64 * 64);
        uint8_t *y = malloc(yn);
        sparq_qconv_pack_weights(&d, w, packed, sums);
        for (int c = 0; c < d.cout; c++) { bias[c] = 1000 - (int)(nx() % 2000); mult[c] = 0.5f / (50.f * 30 * cin * taps / 8); }
        int it = 0; double t0 = now(), best = 1e9;
        while (it < 400 && now() - t0 < 0.4) {
            double a = now();
            if (!getenv("NOPACK")) for (int p = 0; p < parts; p++) sparq_qconv_pack_input(&d, x, scratch, p, parts);
            if (!getenv("NOCOMP")) for (int p = 0; p < parts; p++) sparq_qconv_compute(&d, x, scratch, packed, bias, mult, y, p, parts);
            double b = now() - a; if (b < best) best = b; it++;
        }
        printf("%2d %s c=%4d h=%3d cout=%4d k=%d s=%d  %7.1f us x%d\n", i, d.depthwise ? "dw" : "pw", d.c, d.h, d.cout, d.kh, d.sh, best * 1e6, R[i]);
        tot += best * R[i]; if (d.depthwise) totdw += best * R[i];
        free(x); free(w); free(bias); free(sums); free(mult); free(packed); free(scratch); free(y);
    }
    printf("total %.3f ms (depthwise %.3f)\n", tot * 1e3, totdw * 1e3);
    return 0;
}
