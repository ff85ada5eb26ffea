/* CPU feature discovery for kernel dispatch. */
#include "sparq_kernels.h"

#if defined(__x86_64__)
#include <cpuid.h>

static int os_saves_zmm(void) {
    /* AVX-512 state must be enabled by the OS (XCR0 bits 5-7 and 1-2). */
    unsigned int eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return (eax & 0xE6) == 0xE6;
}

static int os_saves_ymm(void) {
    unsigned int eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return (eax & 0x6) == 0x6;
}

uint32_t sparq_cpu_features(void) {
    unsigned int a, b, c, d;
    uint32_t f = 0;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 27))) { /* OSXSAVE */
        return 0;
    }
    int ymm = os_saves_ymm();
    int zmm = os_saves_zmm();
    if (ymm && (c & (1u << 12))) f |= SPARQ_CPU_FMA;
    if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
        if (ymm && (b & (1u << 5))) f |= SPARQ_CPU_AVX2;
        if (zmm && (b & (1u << 16))) f |= SPARQ_CPU_AVX512F;
        if (zmm && (b & (1u << 30))) f |= SPARQ_CPU_AVX512BW;
        if (zmm && (c & (1u << 11))) f |= SPARQ_CPU_AVX512VNNI;
        if (zmm && (c & (1u << 1))) f |= SPARQ_CPU_AVX512VBMI;
    }
    if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
        unsigned int xa, xd;
        __asm__ volatile("xgetbv" : "=a"(xa), "=d"(xd) : "c"(0));
        /* AMX-TILE (edx 24) and AMX-INT8 (edx 25), tile config and data enabled in XCR0 (bits 17, 18) */
        if ((d & (1u << 24)) && (d & (1u << 25)) && (xa & (3u << 17)) == (3u << 17)) f |= SPARQ_CPU_AMXINT8;
    }
    if (__get_cpuid_count(7, 1, &a, &b, &c, &d)) {
        if (ymm && (a & (1u << 4))) f |= SPARQ_CPU_AVXVNNI;
    }
    return f;
}
#elif defined(__aarch64__)
#include <sys/auxv.h>
#ifndef HWCAP_ASIMDDP
#define HWCAP_ASIMDDP (1 << 20)
#endif
uint32_t sparq_cpu_features(void) {
    unsigned long hw = getauxval(AT_HWCAP);
    return SPARQ_CPU_NEON | ((hw & HWCAP_ASIMDDP) ? SPARQ_CPU_DOTPROD : 0);
}
#else
uint32_t sparq_cpu_features(void) {
    return 0;
}
#endif

int32_t sparq_abi_version(void) {
    return 8;
}

/* Does nothing: the cost of an FFM downcall with sparq_qconv_compute's signature, measured by the benchmarks. */
void sparq_noop8(const void *a, const void *b, const void *c, const void *d, const void *e, const void *f, void *g,
                 int32_t h, int32_t i) {
    (void)a; (void)b; (void)c; (void)d; (void)e; (void)f; (void)g; (void)h; (void)i;
}
