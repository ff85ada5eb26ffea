/* uint8 im2col: rows are output pixels, so a convolution becomes pixels x (c*kh*kw) times the packed weights. */
#include "sparq_kernels.h"

#include <string.h>

void sparq_im2col_u8(const uint8_t *x, int32_t c, int32_t h, int32_t w, int32_t kh, int32_t kw, int32_t sh,
                     int32_t sw, int32_t dh, int32_t dw, int32_t pad_top, int32_t pad_left, int32_t oh, int32_t ow,
                     uint8_t pad_value, uint8_t *out, int32_t ldo, int32_t oy0, int32_t oy1) {
    int64_t k = (int64_t)c * kh * kw;
    (void)oh;
    for (int32_t oy = oy0; oy < oy1; oy++) {
        for (int32_t ox = 0; ox < ow; ox++) {
            uint8_t *row = out + ((int64_t)oy * ow + ox) * ldo;
            if (ldo > k) {
                memset(row + k, 0, (size_t)(ldo - k)); /* row padding: multiplied by zero weights, kept defined */
            }
            int32_t ix0 = ox * sw - pad_left;
            /* a window whose columns all lie inside the image needs no bounds test per element */
            int inside = ix0 >= 0 && ix0 + (kw - 1) * dw < w;
            for (int32_t ch = 0; ch < c; ch++) {
                const uint8_t *plane = x + (int64_t)ch * h * w;
                for (int32_t ky = 0; ky < kh; ky++) {
                    int32_t iy = oy * sh - pad_top + ky * dh;
                    uint8_t *dst = row + ((int64_t)ch * kh + ky) * kw;
                    if (iy < 0 || iy >= h) {
                        memset(dst, pad_value, (size_t)kw);
                        continue;
                    }
                    const uint8_t *src = plane + (int64_t)iy * w + ix0;
                    if (inside && dw == 1) {
                        /* a plain loop, not memcpy: windows are a few bytes wide and a call costs more than the copy */
                        for (int32_t kx = 0; kx < kw; kx++) {
                            dst[kx] = src[kx];
                        }
                    } else {
                        for (int32_t kx = 0; kx < kw; kx++) {
                            int32_t ix = ix0 + kx * dw;
                            dst[kx] = (ix < 0 || ix >= w) ? pad_value : plane[(int64_t)iy * w + ix];
                        }
                    }
                }
            }
        }
    }
}
