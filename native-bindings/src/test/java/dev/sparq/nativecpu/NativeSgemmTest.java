package dev.sparq.nativecpu;

import static dev.sparq.testing.KernelHarness.node;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparq.backend.cpu.ref.CpuRefBackend;
import dev.sparq.graph.Node;
import dev.sparq.tensor.Tensor;
import dev.sparq.testing.KernelHarness;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The C FP32 GEMM against cpu-ref's MatMul and Gemm, on every path this CPU has, within float rounding. */
class NativeSgemmTest {
    private final Random rnd = new Random(5);

    @BeforeEach
    void requireCompiler() {
        org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.Files.exists(java.nio.file.Path.of("/usr/bin/gcc")),
            "no C compiler at build time: the native library was not built");
    }

    @Test
    void matchesCpuRefOnEveryPath() {
        NativeSgemm g = NativeSgemm.get();
        assertEquals(null, g.failure());
        String original = g.path();
        // m, k, n: 1x1, a fully connected layer, primes, tails shorter than a vector, K over several 256-row blocks,
        // N over several 512-column blocks
        int[][] shapes = {{1, 1, 1}, {1, 512, 1000}, {7, 3, 17}, {13, 257, 33}, {97, 513, 13}, {5, 31, 1030},
            {12, 16, 32}, {25, 300, 47}};
        int ran = 0;
        try {
            for (String path : new String[] {"scalar", "avx2-fma", "avx512-fma", "neon"}) {
                if (!g.force(path)) {
                    continue;
                }
                ran++;
                for (int[] s : shapes) {
                    for (String op : new String[] {"MatMul", "Gemm"}) {
                        check(g, path, op, s[0], s[1], s[2], op.equals("Gemm") ? 3 : 0);
                    }
                }
            }
        } finally {
            g.force(original);
        }
        assertTrue(ran >= 2, "scalar and at least one vector path");
    }

    /** C = A·B through the native kernel with row strides padded by {@code pad}, against cpu-ref's {@code op}. */
    private void check(NativeSgemm g, String path, String op, int m, int k, int n, int pad) {
        float[] a = random(m * k);
        float[] b = random(k * n);
        Node node = op.equals("Gemm") ? node("Gemm", 2, 1) : node("MatMul", 2, 1);
        float[] want;
        try (Tensor ta = Tensor.fromFloats(a, m, k); Tensor tb = Tensor.fromFloats(b, k, n)) {
            Tensor y = KernelHarness.run(new CpuRefBackend(), node, 13, ta, tb)[0];
            want = y.toFloatArray();
            y.close();
        }
        int lda = k + pad;
        int ldb = n + pad;
        int ldc = n + pad;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment sa = arena.allocate(4L * m * lda);
            MemorySegment sb = arena.allocate(4L * k * ldb);
            MemorySegment sc = arena.allocate(4L * m * ldc);
            for (int i = 0; i < m; i++) {
                MemorySegment.copy(a, i * k, sa, ValueLayout.JAVA_FLOAT, 4L * i * lda, k);
            }
            for (int i = 0; i < k; i++) {
                MemorySegment.copy(b, i * n, sb, ValueLayout.JAVA_FLOAT, 4L * i * ldb, n);
            }
            try (NativeSgemm.PackedB p = g.pack(sb, k, n, ldb)) {
                g.multiply(m, sa, lda, p, sc, ldc);
            }
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    double mag = 0;
                    for (int q = 0; q < k; q++) {
                        mag += Math.abs((double) a[i * k + q] * b[q * n + j]);
                    }
                    float got = sc.getAtIndex(ValueLayout.JAVA_FLOAT, (long) i * ldc + j);
                    float w = want[i * n + j];
                    if (!(Math.abs(got - w) <= 1e-5 * mag + 1e-30)) {
                        throw new AssertionError(path + " " + op + " " + m + "x" + k + "x" + n + " at (" + i + "," + j
                            + "): got " + got + ", cpu-ref " + w);
                    }
                }
            }
        }
    }

    @Test
    void badArgumentsThrowBeforeReachingC() {
        NativeSgemm g = NativeSgemm.get();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment b = arena.allocate(4L * 8 * 8);
            MemorySegment small = arena.allocate(16);
            assertThrows(IllegalArgumentException.class, () -> g.pack(small, 8, 8, 8));
            assertThrows(IllegalArgumentException.class, () -> g.pack(b, 8, 8, 4));
            assertThrows(IllegalArgumentException.class, () -> g.pack(b, 0, 8, 8));
            assertThrows(IllegalArgumentException.class, () -> g.pack(MemorySegment.ofArray(new float[64]), 8, 8, 8));
            NativeSgemm.PackedB p = g.pack(b, 8, 8, 8);
            assertThrows(IllegalArgumentException.class, () -> g.multiply(2, small, 8, p, b, 8));
            assertThrows(IllegalArgumentException.class, () -> g.multiply(8, b, 8, p, small, 8));
            assertThrows(IllegalArgumentException.class, () -> g.multiply(1, b, 4, p, b, 8));
            assertThrows(IllegalArgumentException.class, () -> g.multiply(0, b, 8, p, b, 8));
            p.close();
            assertThrows(IllegalStateException.class, () -> g.multiply(1, b, 8, p, b, 8));
        }
    }

    private float[] random(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = rnd.nextFloat() * 2 - 1;
        }
        return v;
    }
}
