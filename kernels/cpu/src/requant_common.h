/* The requantization rounding shared by requantize.c, the int8 GEMM's fused epilogue (gemm_s8.c), the convolutions
 * (qconv.c, qsparse.c through qconv_common.h) and QLinearAdd (qadd.c): one definition, so every route gives the same
 * bytes. ONNX's reference: the float32 multiplier applied in double, the zero point
 * added before rounding half to even (rint in the default rounding mode), then saturated. Internal header. */
#ifndef SPARQ_REQUANT_COMMON_H
#define SPARQ_REQUANT_COMMON_H

#include <math.h>
#include <stdint.h>

/* rint() in the default rounding mode without a libm call (baseline x86-64 has no rounding instruction):
   adding and subtracting 1.5 * 2^52 rounds to an integer, ties to even, for |v| < 2^51; larger values saturate
   anyway. NaN stays NaN and saturates like rint's result would. */
static inline double sparq_round_half_even(double v) {
    const double magic = 6755399441055744.0;
    if (!(fabs(v) < 2251799813685248.0)) {
        return v;
    }
    volatile double t = v + magic; /* volatile: keep the two roundings apart under any optimisation */
    return t - magic;
}

/* One accumulator (bias already added, int32 wrap-around like the reference) to the saturated 8-bit value. */
static inline int32_t sparq_requant_one(int32_t acc, float multiplier, int32_t zero_point, int32_t qmin, int32_t qmax) {
    double v = sparq_round_half_even((double)acc * (double)multiplier + (double)zero_point);
    return v <= qmin ? qmin : v >= qmax ? qmax : (int32_t)v;
}

#endif
