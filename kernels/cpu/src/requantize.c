/* Requantization epilogue, bit-exact with ONNX's reference (and sparq's cpu-ref): the float32 multiplier is applied
 * in double, the zero point added before rounding half to even (rint in the default rounding mode), then saturated. */
#include "sparq_kernels.h"

#include "requant_common.h"

void sparq_requantize_s32(const int32_t *acc, int32_t rows, int32_t cols, int32_t ldacc, const int32_t *bias,
                          const float *multiplier, int32_t zero_point, int32_t qmin, int32_t qmax, int32_t out_signed,
                          void *out, int64_t out_row, int64_t out_col) {
    for (int32_t r = 0; r < rows; r++) {
        for (int32_t c = 0; c < cols; c++) {
            /* int32 wrap-around like the reference's int32 accumulator */
            int32_t a = (int32_t)((uint32_t)acc[(int64_t)r * ldacc + c] + (uint32_t)(bias ? bias[c] : 0));
            int32_t q = sparq_requant_one(a, multiplier[c], zero_point, qmin, qmax);
            int64_t at = r * out_row + c * out_col;
            if (out_signed) {
                ((int8_t *)out)[at] = (int8_t)q;
            } else {
                ((uint8_t *)out)[at] = (uint8_t)q;
            }
        }
    }
}
