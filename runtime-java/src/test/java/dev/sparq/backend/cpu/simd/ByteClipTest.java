package dev.sparq.backend.cpu.simd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.sparq.backend.Backend;
import dev.sparq.backend.cpu.ref.CpuRefBackend;
import dev.sparq.graph.Node;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import dev.sparq.testing.KernelHarness;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Clip on uint8/int8 (what QDQ fusion leaves of a Relu before an int8 output): the reference's bytes. */
class ByteClipTest {
    private static final Backend REF = new CpuRefBackend();
    private static final Backend SIMD = new SimdBackend();

    @Test
    void byteClipMatchesTheReferenceAcrossTailsAndBounds() {
        Random rnd = new Random(5);
        int[][] signedBounds = {{0, 127}, {-128, 127}, {-5, 60}, {-128, -128}, {127, 127}, {10, -10}};
        int[][] unsignedBounds = {{128, 255}, {0, 255}, {0, 60}, {100, 160}, {255, 255}, {200, 100}};
        for (int size : new int[] {1, 7, 63, 64, 65, 1000, 4099}) {
            byte[] v = new byte[size];
            rnd.nextBytes(v);
            for (DType type : new DType[] {DType.I8, DType.U8}) {
                for (int[] b : type == DType.I8 ? signedBounds : unsignedBounds) {
                    Node n = KernelHarness.node("Clip", 3, 1);
                    try (Tensor x = Tensor.fromBytes(type, v, size);
                         Tensor lo = Tensor.fromBytes(type, new byte[] {(byte) b[0]});
                         Tensor hi = Tensor.fromBytes(type, new byte[] {(byte) b[1]})) {
                        Tensor want = KernelHarness.run(REF, n, 13, 1, x, lo, hi)[0];
                        Tensor got = KernelHarness.run(SIMD, n, 13, 1, x, lo, hi)[0];
                        assertArrayEquals(want.toLongArray(), got.toLongArray(), type + " " + size + " " + b[0] + ".." + b[1]);
                        want.close();
                        got.close();
                    }
                }
            }
        }
    }
}
