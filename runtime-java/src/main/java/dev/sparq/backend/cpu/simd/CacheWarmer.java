package dev.sparq.backend.cpu.simd;

/**
 * Brings weights into the caches just before a kernel needs them, by reading one value per cache line as fast as the
 * core can issue the reads. Java has no prefetch instruction, and a kernel's own reads, a few per FMA-bound step,
 * leave the weights streaming from memory at a fraction of the bandwidth: MobileNetV2's 7×7 pointwise layers ran
 * 1.4-1.6× their hot time in the model (49 × 320 → 1280: 283 against 177 µs), while one sequential pass of reads
 * takes 42 µs for its 1.6 MB (38 GB/s here; several interleaved streams measured slower, 18-25 GB/s). Read first, the
 * layer ran 230 µs (RESULTS, stop 26).
 */
final class CacheWarmer {
    /** Where the sum of the values read goes when it is NaN: a use the JIT must keep, so the reads stay. */
    @SuppressWarnings("unused")
    private static float sink;

    private CacheWarmer() {
    }

    /** Reads data[from, to) one float per 64-byte line, four lines per step so the misses overlap. */
    static void lines(float[] data, int from, int to) {
        float a = 0;
        float b = 0;
        float c = 0;
        float d = 0;
        int i = from;
        for (; i + 48 < to; i += 64) {
            a += data[i];
            b += data[i + 16];
            c += data[i + 32];
            d += data[i + 48];
        }
        for (; i < to; i += 16) {
            a += data[i];
        }
        float sum = a + b + c + d;
        if (Float.isNaN(sum)) {
            sink = sum;
        }
    }
}
