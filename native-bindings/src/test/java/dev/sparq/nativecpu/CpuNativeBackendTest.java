package dev.sparq.nativecpu;

import static dev.sparq.testing.KernelHarness.node;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparq.backend.cpu.ref.CpuRefBackend;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import dev.sparq.testing.KernelHarness;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** cpu-native against the cpu-ref oracle: integer paths must be exact, on every GEMM path this CPU has. */
class CpuNativeBackendTest {
    private final Random rnd = new Random(7);

    /** The native profile of kernels/pom.xml builds the library exactly when this compiler exists. */
    @org.junit.jupiter.api.BeforeEach
    void requireCompiler() {
        org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.Files.exists(java.nio.file.Path.of("/usr/bin/gcc")),
            "no C compiler at build time: the native library was not built");
    }

    @Test
    void libraryLoadsOnThisBuildMachine() {
        // The build compiled the library (gcc is on every machine of this kind); absent would be a packaging bug.
        assertNull(CpuKernels.get().failure(), CpuKernels.get().failure());
        assertTrue(new CpuNativeBackend().availability().available());
    }

    @Test
    void matMulIntegerIsExactOnEveryPath() {
        CpuKernels k = CpuKernels.get();
        String original = k.gemmPath();
        int[][] shapes = {{1, 1, 1}, {1, 7, 33}, {9, 5, 31}, {17, 129, 65}, {64, 64, 64}, {3, 300, 100}, {33, 1000, 17}};
        try {
            for (String path : new String[] {"scalar", "avx2", "avx2-widen", "avx2-maddubs", "avx-vnni", "avx512-vnni"}) {
                if (!k.forceGemmPath(path)) {
                    continue;
                }
                for (int[] s : shapes) {
                    for (int zp : new int[] {0, 128, 255}) {
                        try (Tensor a = bytes(DType.U8, s[0], s[1]); Tensor b = bytes(DType.I8, s[1], s[2]);
                             Tensor z = Tensor.fromBytes(DType.U8, new byte[] {(byte) zp})) {
                            Tensor want = KernelHarness.run(new CpuRefBackend(), node("MatMulInteger", 3, 1), 13, 1, a, b, z)[0];
                            Tensor got = KernelHarness.run(new CpuNativeBackend(), node("MatMulInteger", 3, 1), 13, 1, a, b, z)[0];
                            assertArrayEquals(want.toLongArray(), got.toLongArray(), path + " " + java.util.Arrays.toString(s)
                                + " zp " + zp);
                            want.close();
                            got.close();
                        }
                    }
                }
            }
        } finally {
            k.forceGemmPath(original);
        }
    }

    /** Each x86 path can be forced exactly where the CPU has its instructions (so the test above really ran it). */
    @Test
    void gemmPathsAreForceableWhereTheCpuHasThem() {
        CpuKernels k = CpuKernels.get();
        String original = k.gemmPath();
        int f = k.features();
        try {
            org.junit.jupiter.api.Assertions.assertEquals((f & 0x10) != 0 && (f & 0x1) != 0, k.forceGemmPath("avx-vnni"),
                "avx-vnni vs features " + CpuFeatures.describe(f));
            org.junit.jupiter.api.Assertions.assertEquals((f & 0x8) != 0 && (f & 0x4) != 0, k.forceGemmPath("avx512-vnni"));
            org.junit.jupiter.api.Assertions.assertEquals((f & 0x1) != 0, k.forceGemmPath("avx2-maddubs"));
            assertTrue(k.forceGemmPath("scalar"));
            org.junit.jupiter.api.Assertions.assertFalse(k.forceGemmPath("no-such-path"));
        } finally {
            k.forceGemmPath(original);
        }
    }

    @Test
    void badArgumentsThrowBeforeReachingC() {
        CpuKernels k = CpuKernels.get();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment small = arena.allocate(16);
            MemorySegment packed = arena.allocate(k.packedSize(8, 8));
            MemorySegment sums = arena.allocate(32);
            assertThrows(IllegalArgumentException.class, () -> k.gemmU8S8S32(8, 8, 8, small, 8, 0, packed, sums, small, 8));
            assertThrows(IllegalArgumentException.class, () -> k.gemmU8S8S32(0, 8, 8, small, 8, 0, packed, sums, small, 8));
            assertThrows(IllegalArgumentException.class, () -> k.packB(small, 8, 8, 4, packed, sums));
            assertThrows(IllegalArgumentException.class,
                () -> k.gemmU8S8S32(1, 1, 1, MemorySegment.ofArray(new byte[4]), 1, 0, packed, sums, small, 1));
            assertThrows(IllegalArgumentException.class, () -> k.gemmU8S8S32(1, 1, 1, small, 1, 300, packed, sums, small, 1));
        }
    }

    /** The fused requantizing GEMM with relu is the plain one clamped below at the zero point. */
    @Test
    void fusedReluClampsAtTheZeroPoint() {
        CpuKernels k = CpuKernels.get();
        int m = 5;
        int kk = 37;
        int n = 41;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment a = arena.allocate(m * kk);
            MemorySegment b = arena.allocate(kk * n);
            MemorySegment mult = arena.allocate(4L * n);
            for (int i = 0; i < m * kk; i++) {
                a.set(java.lang.foreign.ValueLayout.JAVA_BYTE, i, (byte) rnd.nextInt());
            }
            for (int i = 0; i < kk * n; i++) {
                b.set(java.lang.foreign.ValueLayout.JAVA_BYTE, i, (byte) rnd.nextInt());
            }
            for (int i = 0; i < n; i++) {
                mult.setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, i, 0.001f + 0.002f * rnd.nextFloat());
            }
            MemorySegment packed = arena.allocate(k.packedSize(kk, n));
            MemorySegment sums = arena.allocate(4L * n);
            k.packB(b, kk, n, n, packed, sums);
            for (boolean signed : new boolean[] {false, true}) {
                int zp = signed ? -7 : 120;
                MemorySegment plain = arena.allocate(m * n);
                MemorySegment relu = arena.allocate(m * n);
                k.gemmU8S8Requant(m, n, kk, a, kk, 100, packed, sums, null, mult, zp, signed, false, plain, n);
                k.gemmU8S8Requant(m, n, kk, a, kk, 100, packed, sums, null, mult, zp, signed, true, relu, n);
                int clamped = 0;
                for (int i = 0; i < m * n; i++) {
                    byte p = plain.get(java.lang.foreign.ValueLayout.JAVA_BYTE, i);
                    int v = signed ? p : p & 0xFF;
                    int r = relu.get(java.lang.foreign.ValueLayout.JAVA_BYTE, i);
                    assertEquals(Math.max(v, zp), signed ? r : r & 0xFF, "element " + i);
                    clamped += v < zp ? 1 : 0;
                }
                assertTrue(clamped > 0, "the data exercises the clamp");
            }
            MemorySegment out = arena.allocate(m * n);
            assertThrows(IllegalArgumentException.class,
                () -> k.gemmU8S8Requant(m, n, kk, a, kk, 0, packed, sums, null, mult, 200, true, false, out, n));
            assertThrows(IllegalArgumentException.class,
                () -> k.gemmU8S8Requant(m, n, kk, a, kk, 0, packed, sums, null, mult, 0, false, false, out, n - 1));
            assertThrows(IllegalArgumentException.class,
                () -> k.gemmU8S8Requant(m + 1, n, kk, a, kk, 0, packed, sums, null, mult, 0, false, false, out, n));
            assertThrows(IllegalArgumentException.class,
                () -> k.gemmU8S8Requant(m, n, kk, a, kk, 0, packed, sums, null, arena.allocate(4), 0, false, false, out, n));
        }
    }

    private Tensor bytes(DType t, int rows, int cols) {
        byte[] v = new byte[rows * cols];
        rnd.nextBytes(v);
        return Tensor.fromBytes(t, v, rows, cols);
    }
}
