package dev.sparq.nativecpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sparq.backend.cpu.ref.CpuRefBackend;
import dev.sparq.graph.ClampedQuantizedOp;
import dev.sparq.graph.Node;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import dev.sparq.testing.KernelHarness;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** com.microsoft QLinearAdd on cpu-native, plain and clamped: the same bytes as cpu-ref's float32 definition. */
class QLinearAddKernelTest {
    private final Random rnd = new Random(3);

    @BeforeEach
    void requireCompiler() {
        org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.Files.exists(java.nio.file.Path.of("/usr/bin/gcc")),
            "no C compiler at build time: the native library was not built");
    }

    private static Node qlinearAdd() {
        List<String> in = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            in.add("x" + i);
        }
        return new Node("add", "QLinearAdd", "com.microsoft", in, List.of("y"), Map.of());
    }

    private static Tensor zero(DType t, int v) {
        return Tensor.fromBytes(t, new byte[] {(byte) v});
    }

    @Test
    void matchesTheReference() {
        long[][] shapes = {{1}, {17}, {1, 64, 56, 56}, {2, 3, 5, 7}, {4099}};
        float[][] scales = {{0.02f, 0.03f, 0.05f}, {0.1f, 0.1f, 0.1f}, {0.013f, 0.07f, 0.0011f}, {1f, 1f, 3f}};
        for (long[] shape : shapes) {
            for (float[] s : scales) {
                for (DType t : new DType[] {DType.U8, DType.I8}) {
                    int n = (int) dev.sparq.tensor.Shapes.size(shape);
                    byte[] av = new byte[n];
                    byte[] bv = new byte[n];
                    rnd.nextBytes(av);
                    rnd.nextBytes(bv);
                    int lo = t == DType.U8 ? 0 : -128;
                    try (Tensor a = Tensor.fromBytes(t, av, shape); Tensor b = Tensor.fromBytes(t, bv, shape)) {
                        Tensor[] in = {a, Tensor.fromFloats(new float[] {s[0]}), zero(t, lo + rnd.nextInt(256)), b,
                            Tensor.fromFloats(new float[] {s[1]}), zero(t, lo + rnd.nextInt(256)),
                            Tensor.fromFloats(new float[] {s[2]}), zero(t, lo + rnd.nextInt(256))};
                        // plain, then clamped from C's zero point (a fused Relu) and to a band around it (a Clip)
                        int zc = (int) in[7].getLong(0);
                        int hi = lo + 255;
                        for (Node node : List.of(qlinearAdd(), ClampedQuantizedOp.clamped(qlinearAdd(), zc, hi, "y"),
                            ClampedQuantizedOp.clamped(qlinearAdd(), Math.max(lo, zc - 9), Math.min(hi, zc + 17), "y"))) {
                            Tensor want = KernelHarness.run(new CpuRefBackend(), node, 13, 1, in)[0];
                            Tensor got = KernelHarness.run(new CpuNativeBackend(), node, 13, 1, in)[0];
                            assertArrayEquals(want.toLongArray(), got.toLongArray(), t + " "
                                + java.util.Arrays.toString(shape) + " " + node.domain() + node.attributes().keySet());
                            want.close();
                            got.close();
                        }
                    }
                }
            }
        }
    }

    @Test
    void broadcastingIsLeftToOtherBackends() {
        try (Tensor a = Tensor.fromBytes(DType.U8, new byte[4], 1, 4); Tensor b = Tensor.fromBytes(DType.U8, new byte[1], 1, 1)) {
            Tensor[] in = {a, Tensor.fromFloats(new float[] {0.1f}), zero(DType.U8, 0), b,
                Tensor.fromFloats(new float[] {0.1f}), zero(DType.U8, 0), Tensor.fromFloats(new float[] {0.1f}),
                zero(DType.U8, 0)};
            // declined when planned (the harness reports "has no kernel"), so cpu-ref's broadcasting kernel runs it
            AssertionError e = assertThrows(AssertionError.class,
                () -> KernelHarness.run(new CpuNativeBackend(), qlinearAdd(), 13, 1, in));
            org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("has no kernel"), e.getMessage());
        }
    }
}
