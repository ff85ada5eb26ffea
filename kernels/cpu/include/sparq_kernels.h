/* sparq native CPU kernels: the C side of the cpu-native backend (called from Java through FFM).
 * Every entry point trusts its arguments: the Java bindings check shapes, strides and buffer sizes first. */
#ifndef SPARQ_KERNELS_H
#define SPARQ_KERNELS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bits of sparq_cpu_features(). */
#define SPARQ_CPU_AVX2 (1u << 0)
#define SPARQ_CPU_AVX512F (1u << 1)
#define SPARQ_CPU_AVX512BW (1u << 2)
#define SPARQ_CPU_AVX512VNNI (1u << 3)
#define SPARQ_CPU_AVXVNNI (1u << 4)
#define SPARQ_CPU_AMXINT8 (1u << 5) /* AMX-TILE and AMX-INT8, with the OS saving tile state (XCR0) */
#define SPARQ_CPU_FMA (1u << 6)     /* FMA3 with the OS saving ymm state (the AVX2 FP32 GEMM needs it) */
#define SPARQ_CPU_AVX512VBMI (1u << 7) /* byte permutes (vpermt2b): the depthwise convolution path */
#define SPARQ_CPU_NEON (1u << 8)
#define SPARQ_CPU_DOTPROD (1u << 9)

/* ABI version: bumped whenever a signature changes, checked by the Java loader. */
int32_t sparq_abi_version(void);  /* 7: AVX-VNNI path, FP32 GEMM, fused requantizing GEMM; 8: sparq_prefetch_l2 */

/* Asks the caches for bytes [offset, offset + bytes) of base, one prefetch per 64-byte line, towards L2, and returns
 * without waiting for them: Java has no prefetch instruction, and the cpu-simd kernels call this for the weights
 * they will read next while they compute (prefetches never fault, but the Java side checks the range first). */
void sparq_prefetch_l2(const void *base, int64_t offset, int64_t bytes);

/* A no-op with sparq_qconv_compute's signature (seven pointers, two ints): what an FFM downcall costs by itself. */
void sparq_noop8(const void *a, const void *b, const void *c, const void *d, const void *e, const void *f, void *g,
                 int32_t h, int32_t i);

/* ISA extensions of this CPU that the kernels can use (bits above). */
uint32_t sparq_cpu_features(void);

/* Name of the int8 GEMM path in use: "avx512-vnni", "avx-vnni" (AVX-VNNI without
 * AVX-512, Alder Lake class), "avx2", "neon-dotprod", "neon" or "scalar". */
const char *sparq_gemm_s8_path(void);

/* Forces a path by name (for tests and comparisons); returns 0 if unknown or unsupported here. Besides the names above,
 * "avx2-widen" (AVX2's exact widening tile everywhere) and "avx2-maddubs" (as "avx2": vpmaddubsw on the B panels
 * whose weights all lie in [-64, 64], widening on the others). */
int32_t sparq_gemm_s8_force(const char *path);

/* Bytes needed by sparq_pack_b_s8 for a K x N int8 matrix. */
int64_t sparq_packed_b_s8_size(int32_t k, int32_t n);

/* Packs B (int8, row-major K x N, row stride ldb) into the kernel's layout: panels of 32 columns, k in groups of 4,
 * zero padded. col_sums (N int32) receives the sum of each column, for the zero-point correction. */
void sparq_pack_b_s8(const int8_t *b, int32_t k, int32_t n, int32_t ldb, int8_t *packed, int32_t *col_sums);

/* C[M x N] (int32, row stride ldc) = sum_k (A[m,k] - a_zero) * B[k,n], A uint8 row-major (row stride lda),
 * B packed by sparq_pack_b_s8. Exact int32 arithmetic (wraps like ONNX's reference on overflow). */
void sparq_gemm_u8s8s32(int32_t m, int32_t n, int32_t k, const uint8_t *a, int32_t lda, int32_t a_zero,
                        const int8_t *packed_b, const int32_t *col_sums, int32_t *c, int32_t ldc);

/* The int8 GEMM with the requantization fused: each 48-row x 32-column int32 tile is requantized while in L1, as
 * sparq_requantize_s32 would (same rounding: (acc + bias[col]) * (double) multiplier[col] + zero_point, half to
 * even, saturated to [qmin, qmax]) and written as uint8 or int8 (out_signed) to out[r * ldo + col]. A Relu after
 * the product is qmin = max(qmin, zero_point). bias may be NULL; multiplier has N entries (per-tensor scales
 * repeated). Same bytes as sparq_gemm_u8s8s32 followed by sparq_requantize_s32, without the int32 buffer. */
void sparq_gemm_u8s8_requant(int32_t m, int32_t n, int32_t k, const uint8_t *a, int32_t lda, int32_t a_zero,
                             const int8_t *packed_b, const int32_t *col_sums, const int32_t *bias,
                             const float *multiplier, int32_t zero_point, int32_t qmin, int32_t qmax,
                             int32_t out_signed, void *out, int32_t ldo);

/* FP32 GEMM, a comparison kernel (sgemm.c): not used by the planner, measured against sparq's Java Sgemm and
 * OpenBLAS in SgemmBenchmark. Paths "avx512-fma", "avx2-fma", "neon", "scalar"; forcing works as for the int8 GEMM
 * and needs no repacking (the packed layout is the same for every path). */
const char *sparq_sgemm_path(void);
int32_t sparq_sgemm_force(const char *path);

/* Bytes needed by sparq_pack_b_f32 for a K x N float matrix. */
int64_t sparq_packed_b_f32_size(int32_t k, int32_t n);

/* Packs B (float, row-major K x N, row stride ldb): K blocks of 256 rows, each as panels of 16 columns, N padded
 * with zeros to a multiple of 32. */
void sparq_pack_b_f32(const float *b, int32_t k, int32_t n, int32_t ldb, float *packed);

/* C[M x N] (row stride ldc) = A[M x K] (row-major, row stride lda) * B packed by sparq_pack_b_f32 (C overwritten).
 * Summation order differs from a naive loop (K blocks, FMA): results agree to rounding, not bit for bit. */
void sparq_sgemm(int32_t m, int32_t n, int32_t k, const float *a, int32_t lda, const float *packed_b, float *c,
                 int32_t ldc);

/* Requantizes int32 accumulators as ONNX's reference does: v = (acc + bias[col]) * (double) multiplier[col]
 * + zero_point, rounded half to even, saturated to [qmin, qmax], stored as uint8 (out_signed 0) or int8 (1).
 * acc[r * ldacc + col] for r < rows, col < cols; out[r * out_row + col * out_col] (strides in elements, so a
 * [pixels x channels] product can be written as NCHW). bias may be NULL. */
void sparq_requantize_s32(const int32_t *acc, int32_t rows, int32_t cols, int32_t ldacc, const int32_t *bias,
                          const float *multiplier, int32_t zero_point, int32_t qmin, int32_t qmax, int32_t out_signed,
                          void *out, int64_t out_row, int64_t out_col);

/* im2col for uint8 NCHW images (one image): out[(oy*ow + ox) * (c*kh*kw) + (ch*kh + ky)*kw + kx] =
 * x[ch][oy*sh - pad_top + ky*dh][ox*sw - pad_left + kx*dw], or pad_value outside the image (the zero point, so
 * padding contributes nothing after the zero-point correction). Rows are ldo >= c*kh*kw bytes apart, the tail
 * zeroed (ldo a multiple of 4 lets the GEMM read A in place). Only output rows [oy0, oy1) are written, so threads
 * can share the work. */
void sparq_im2col_u8(const uint8_t *x, int32_t c, int32_t h, int32_t w, int32_t kh, int32_t kw, int32_t sh,
                     int32_t sw, int32_t dh, int32_t dw, int32_t pad_top, int32_t pad_left, int32_t oh, int32_t ow,
                     uint8_t pad_value, uint8_t *out, int32_t ldo, int32_t oy0, int32_t oy1);


/* One 8-bit convolution (one image), as the Java bindings lay it out: 21 int32 in this order. x_zero is the input
 * zero point as the kernel reads it (after the sign flip for int8 input, x_flip 1); y_signed 1: int8 output, else
 * uint8; qmin/qmax are the output bounds: the type's, or narrower where a Relu or Clip on the quantized output is
 * fused into the requantization. depthwise 1: group == c == cout, one filter per channel. */
typedef struct {
    int32_t c, h, w, cout, kh, kw, sh, sw, dh, dw, pad_top, pad_left, oh, ow;
    int32_t x_zero, x_flip, y_zero, qmin, qmax, depthwise, y_signed;
} sparq_qconv_desc;

/* Name of the fused convolution path in use: "amx" (Intel AMX tiles, where the CPU has them and Linux grants the
 * process tile state; dense layers of 16 or more input channels, the rest as avx512-vbmi), "avx512-vbmi" (VNNI, and
 * depthwise layers by VBMI byte permutes), "avx512-vnni" or "scalar"; forcing works as for the GEMM and applies to
 * weights packed afterwards (packed weights record their layout). */
const char *sparq_qconv_path(void);
int32_t sparq_qconv_force(const char *path);

/* Bytes of packed weights, and of the per-image input scratch (phase planes). */
int64_t sparq_qconv_weights_size(const sparq_qconv_desc *d);
int64_t sparq_qconv_scratch_size(const sparq_qconv_desc *d);

/* Packs ONNX weights [cout][c/group][kh][kw] (int8) and writes each output channel's weight sum (for the
 * zero-point correction -x_zero * sum, which the caller folds into the int32 bias). Weights of one layer only need
 * cout, c, kh, kw and depthwise of the descriptor. */
void sparq_qconv_pack_weights(const sparq_qconv_desc *d, const int8_t *w, void *packed, int32_t *sums);

/* Rewrites one NCHW image into the scratch (part of parts: threads share the work). */
void sparq_qconv_pack_input(const sparq_qconv_desc *d, const uint8_t *x, uint8_t *scratch, int32_t part,
                            int32_t parts);

/* y (NCHW, one image, 8-bit) = requantize(conv(x, weights) + bias) with one float multiplier per output channel,
 * exactly as ONNX's reference. Dense convolutions read the scratch sparq_qconv_pack_input wrote; depthwise ones read
 * x itself (their pack_input does nothing). Part `part` of `parts` (channels split, or pixels when they are few). */
void sparq_qconv_compute(const sparq_qconv_desc *d, const uint8_t *x, const uint8_t *scratch, const void *packed,
                         const int32_t *bias, const float *mult, void *y, int32_t part, int32_t parts);

/* com.microsoft QLinearAdd of elements [i0, i1) of two same-shape 8-bit tensors (int8 when is_signed), as
 * cpu-ref defines it: c = clamp(rint(((float)(a - za) * sa + (float)(b - zb) * sb) / sc) + zc, qmin, qmax), every
 * step a separately rounded float32 operation; [qmin, qmax] is the type's range, or narrower where a Relu or Clip on
 * the quantized sum is fused. */
void sparq_qlinear_add_8(const uint8_t *a, const uint8_t *b, int64_t i0, int64_t i1, int32_t za, float sa, int32_t zb,
                         float sb, float sc, int32_t zc, int32_t is_signed, int32_t qmin, int32_t qmax, uint8_t *c);

/* MaxPool of 8-bit NCHW planes [p0, p1) (uint8, or int8 with is_signed 1), dilation 1; windows must each hold at
 * least one input pixel (pads < kernel), as ONNX requires. y holds planes of oh x ow. */
void sparq_maxpool_s8u8(const uint8_t *x, int32_t planes, int32_t h, int32_t w, int32_t kh, int32_t kw, int32_t sh,
                        int32_t sw, int32_t pad_top, int32_t pad_left, int32_t oh, int32_t ow, int32_t is_signed,
                        uint8_t *y, int32_t p0, int32_t p1);


/* ---- Pruned 8-bit convolution (qsparse.c) ----
 * The same convolution as sparq_qconv_compute (group 1; the 1x1 kernel is the GEMM / fully connected case) with
 * weights stored sparse: per output channel, a bitmask over its (tap, group of 4 input channels) blocks and the four
 * int8 weights of each block that has a nonzero. The descriptor's depthwise must be 0. Requantizes exactly as the
 * dense kernel. */

/* Name of the sparse path in use: "avx512-vnni" or "scalar"; forcing works as for the dense convolution. */
const char *sparq_qsparse_path(void);
int32_t sparq_qsparse_force(const char *path);

/* Bytes of the packed sparse weights of ONNX weights w [cout][c][kh][kw] (int8): depends on where the nonzeros are. */
int64_t sparq_qsparse_weights_size(const sparq_qconv_desc *d, const int8_t *w);

/* Packs w (as sparq_qconv_pack_weights does, into sparq_qsparse_weights_size bytes) and writes each output channel's
 * weight sum. */
void sparq_qsparse_pack_weights(const sparq_qconv_desc *d, const int8_t *w, void *packed, int32_t *sums);

/* Bytes of the per-image input scratch: the dense kernel's phase planes, then copies of them with 64-byte aligned
 * rows, one per column shift a tap needs (so no load of the sparse kernel straddles two cache lines). */
int64_t sparq_qsparse_scratch_size(const sparq_qconv_desc *d);

/* Fills the scratch (64-byte aligned for full speed) from one NCHW image in two stages, each split in parts for
 * threads; every part of stage 0 must finish before stage 1 starts: 0 writes the dense layout
 * (sparq_qconv_pack_input), 1 the aligned copies from it. Stage 2 does both in one pass, split by plane so that its
 * parts are independent (no barrier between the stages); the scratch is the same. */
void sparq_qsparse_pack_input(const sparq_qconv_desc *d, const uint8_t *x, uint8_t *scratch, int32_t stage,
                              int32_t part, int32_t parts);

/* y (NCHW, one image) = requantize(conv(x, weights) + bias) from the scratch sparq_qsparse_pack_input filled, part
 * `part` of `parts`, as sparq_qconv_compute. */
void sparq_qsparse_compute(const sparq_qconv_desc *d, const uint8_t *scratch, const void *packed, const int32_t *bias,
                           const float *mult, void *y, int32_t part, int32_t parts);

#ifdef __cplusplus
}
#endif
#endif
