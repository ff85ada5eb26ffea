#include "sparq_kernels.h"

void sparq_prefetch_l2(const void *base, int64_t offset, int64_t bytes) {
    const char *p = (const char *)base + offset;
    /* read access, locality 2: prefetcht1 on x86, prfm pldl2keep on AArch64 */
    for (int64_t i = 0; i < bytes; i += 64) {
        __builtin_prefetch(p + i, 0, 2);
    }
}
