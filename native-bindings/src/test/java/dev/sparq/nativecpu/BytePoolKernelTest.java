package dev.sparq.nativecpu;

import static dev.sparq.testing.KernelHarness.ints;
import static dev.sparq.testing.KernelHarness.node;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparq.backend.cpu.ref.CpuRefBackend;
import dev.sparq.graph.Node;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import dev.sparq.testing.KernelHarness;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** 8-bit MaxPool on cpu-native: the same bytes as cpu-ref. */
class BytePoolKernelTest {
    private final Random rnd = new Random(5);

    @BeforeEach
    void requireCompiler() {
        org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.Files.exists(java.nio.file.Path.of("/usr/bin/gcc")),
            "no C compiler at build time: the native library was not built");
    }

    @Test
    void matchesTheReference() {
        // n, c, h, w, k, stride, pad
        int[][] cases = {{1, 3, 112, 112, 3, 2, 1}, {2, 2, 7, 9, 3, 1, 1}, {1, 4, 10, 11, 2, 2, 0}, {1, 1, 1, 1, 1, 1, 0},
            {1, 5, 13, 6, 5, 3, 2}, {2, 3, 20, 33, 3, 2, 0}};
        for (int[] c : cases) {
            for (DType t : new DType[] {DType.U8, DType.I8}) {
                byte[] v = new byte[c[0] * c[1] * c[2] * c[3]];
                rnd.nextBytes(v);
                Node n = node("MaxPool", 1, 1, ints("kernel_shape", c[4], c[4]), ints("strides", c[5], c[5]),
                    ints("pads", c[6], c[6], c[6], c[6]));
                try (Tensor x = Tensor.fromBytes(t, v, c[0], c[1], c[2], c[3])) {
                    Tensor want = KernelHarness.run(new CpuRefBackend(), n, 13, x)[0];
                    Tensor got = KernelHarness.run(new CpuNativeBackend(), n, 13, x)[0];
                    assertArrayEquals(want.shape(), got.shape());
                    assertArrayEquals(want.toLongArray(), got.toLongArray(), t + " " + java.util.Arrays.toString(c));
                    want.close();
                    got.close();
                }
            }
        }
    }

    @Test
    void floatInputAndDilationAreLeftToOtherBackends() {
        try (Tensor f = Tensor.fromFloats(new float[16], 1, 1, 4, 4);
             Tensor b = Tensor.fromBytes(DType.U8, new byte[16], 1, 1, 4, 4)) {
            AssertionError e = assertThrows(AssertionError.class, () -> KernelHarness.run(new CpuNativeBackend(),
                node("MaxPool", 1, 1, ints("kernel_shape", 2, 2)), 13, f));
            assertTrue(e.getMessage().contains("has no kernel"), e.getMessage());
            assertThrows(AssertionError.class, () -> KernelHarness.run(new CpuNativeBackend(),
                node("MaxPool", 1, 1, ints("kernel_shape", 2, 2), ints("dilations", 2, 2)), 13, b));
        }
    }
}
