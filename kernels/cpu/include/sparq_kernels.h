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
#define SPARQ_CPU_NEON (1u << 8)
#define SPARQ_CPU_DOTPROD (1u << 9)

/* ABI version: bumped whenever a signature changes, checked by the Java loader. */
int32_t sparq_abi_version(void);

/* ISA extensions of this CPU that the kernels can use (bits above). */
uint32_t sparq_cpu_features(void);

/* Name of the int8 GEMM path in use: "avx512-vnni", "avx2", "neon-dotprod" or "scalar". */
const char *sparq_gemm_s8_path(void);

/* Forces a path by name (for tests and comparisons); returns 0 if unknown or unsupported here. */
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

#ifdef __cplusplus
}
#endif
#endif
