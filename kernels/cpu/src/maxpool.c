/* 8-bit MaxPool over NCHW planes. Per output row, the kernel's input rows are first reduced to one row (a vertical
 * max, byte-wise over the whole width), written into a row padded with the type's minimum (the identity of max, which
 * is how ONNX's padding behaves: it never wins), then each output takes the max over its kw columns. int8 is handled
 * as uint8 with the sign bit flipped, so both types use unsigned byte max (SSE2 pmaxub, which gcc vectorizes to). */
#include "sparq_kernels.h"

#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

/* even[j] = r[2j], odd[j] = r[2j + 1] for j < n (r holds 2n bytes). */
static void deinterleave2(const uint8_t *r, int32_t n, uint8_t *even, uint8_t *odd) {
    int32_t j = 0;
#if defined(__x86_64__)
    const __m128i low = _mm_set1_epi16(0xFF);
    for (; j + 16 <= n; j += 16) {
        __m128i a = _mm_loadu_si128((const __m128i *)(r + 2 * j));
        __m128i b = _mm_loadu_si128((const __m128i *)(r + 2 * j + 16));
        _mm_storeu_si128((__m128i *)(even + j), _mm_packus_epi16(_mm_and_si128(a, low), _mm_and_si128(b, low)));
        _mm_storeu_si128((__m128i *)(odd + j), _mm_packus_epi16(_mm_srli_epi16(a, 8), _mm_srli_epi16(b, 8)));
    }
#endif
    for (; j < n; j++) {
        even[j] = r[2 * j];
        odd[j] = r[2 * j + 1];
    }
}

void sparq_maxpool_s8u8(const uint8_t *x, int32_t planes, int32_t h, int32_t w, int32_t kh, int32_t kw, int32_t sh,
                        int32_t sw, int32_t pad_top, int32_t pad_left, int32_t oh, int32_t ow, int32_t is_signed,
                        uint8_t *y, int32_t p0, int32_t p1) {
    (void)planes;
    uint8_t flip = is_signed ? 0x80 : 0;
    /* padded row: pad_left + w + enough on the right for the last window */
    int32_t pw = sw * (ow - 1) + kw;
    if (pw < pad_left + w) pw = pad_left + w;
    pw += pw & 1; /* even, for the stride-2 split */
    uint8_t *row = (uint8_t *)malloc((size_t)pw * 2 + 64);
    uint8_t *even = row + pw, *odd = even + pw / 2;
    for (int32_t p = p0; p < p1; p++) {
        const uint8_t *xp = x + (int64_t)p * h * w;
        uint8_t *yp = y + (int64_t)p * oh * ow;
        for (int32_t oy = 0; oy < oh; oy++) {
            memset(row, 0, (size_t)pw); /* 0 is the minimum of the (flipped) unsigned domain */
            uint8_t *mid = row + pad_left;
            for (int32_t ky = 0; ky < kh; ky++) {
                int32_t iy = oy * sh - pad_top + ky;
                if (iy < 0 || iy >= h) continue;
                const uint8_t *src = xp + (int64_t)iy * w;
                for (int32_t j = 0; j < w; j++) {
                    uint8_t v = src[j] ^ flip;
                    mid[j] = v > mid[j] ? v : mid[j];
                }
            }
            uint8_t *out = yp + (int64_t)oy * ow;
            if (sw == 1) {
                memcpy(out, row, (size_t)ow);
                for (int32_t kx = 1; kx < kw; kx++) {
                    const uint8_t *r = row + kx;
                    for (int32_t ox = 0; ox < ow; ox++) out[ox] = r[ox] > out[ox] ? r[ox] : out[ox];
                }
            } else if (sw == 2) {
                /* columns 2*ox + kx are even[ox + kx/2] or odd[ox + kx/2]: unit-stride maxes again */
                deinterleave2(row, pw / 2, even, odd);
                memcpy(out, even, (size_t)ow);
                for (int32_t kx = 1; kx < kw; kx++) {
                    const uint8_t *r = (kx & 1 ? odd : even) + kx / 2;
                    for (int32_t ox = 0; ox < ow; ox++) out[ox] = r[ox] > out[ox] ? r[ox] : out[ox];
                }
            } else {
                for (int32_t ox = 0; ox < ow; ox++) {
                    const uint8_t *r = row + (int64_t)ox * sw;
                    uint8_t m = r[0];
                    for (int32_t kx = 1; kx < kw; kx++) m = r[kx] > m ? r[kx] : m;
                    out[ox] = m;
                }
            }
            if (flip) {
                for (int32_t ox = 0; ox < ow; ox++) out[ox] ^= flip;
            }
        }
    }
    free(row);
}
