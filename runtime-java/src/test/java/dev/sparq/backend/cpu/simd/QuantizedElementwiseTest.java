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

/**
 * Elementwise ops on quantized tensors, the glue QDQ fusion leaves between integer convolutions: Clip on 8-bit
 * values and com.microsoft QLinearAdd give the reference's bytes.
 */
class QuantizedElementwiseTest {
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

    @Test
    void byteClipSplitAcrossThreadsGivesTheReferenceBytes() {
        Random rnd = new Random(6);
        // over 64 KiB a thread: split in 2 or 3 parts, cut at 64-byte boundaries, with a ragged tail
        for (int size : new int[] {200_001, 3 * 65_536 + 17}) {
            byte[] v = new byte[size];
            rnd.nextBytes(v);
            Node n = KernelHarness.node("Clip", 3, 1);
            try (Tensor x = Tensor.fromBytes(DType.U8, v, size);
                 Tensor lo = Tensor.fromBytes(DType.U8, new byte[] {(byte) 100});
                 Tensor hi = Tensor.fromBytes(DType.U8, new byte[] {(byte) 200})) {
                Tensor want = KernelHarness.run(REF, n, 13, 1, x, lo, hi)[0];
                for (int threads : new int[] {2, 3}) {
                    try (dev.sparq.backend.WorkerPool pool = new dev.sparq.backend.WorkerPool(threads)) {
                        Tensor got = KernelHarness.run(SIMD, n, 13, 1,
                            dev.sparq.backend.ExecutionContext.standalone(threads, pool), x, lo, hi)[0];
                        assertArrayEquals(want.toLongArray(), got.toLongArray(), size + " bytes, " + threads + " threads");
                        got.close();
                    }
                }
                want.close();
            }
        }
    }

    @Test
    void quantizeSplitAcrossThreadsGivesTheReferenceBytes() {
        Random rnd = new Random(8);
        for (int size : new int[] {150_529, 2 * 32_768 + 3}) {
            float[] v = new float[size];
            for (int i = 0; i < size; i++) {
                v[i] = (float) (rnd.nextGaussian() * 3);
            }
            for (DType type : new DType[] {DType.I8, DType.U8}) {
                Node n = KernelHarness.node("QuantizeLinear", 3, 1);
                try (Tensor x = Tensor.fromFloats(v, size); Tensor scale = Tensor.fromFloats(new float[] {0.02f});
                     Tensor zero = Tensor.fromBytes(type, new byte[] {(byte) (type == DType.U8 ? 130 : -3)})) {
                    Tensor want = KernelHarness.run(REF, n, 13, 1, x, scale, zero)[0];
                    for (int threads : new int[] {2, 3}) {
                        try (dev.sparq.backend.WorkerPool pool = new dev.sparq.backend.WorkerPool(threads)) {
                            Tensor got = KernelHarness.run(SIMD, n, 13, 1,
                                dev.sparq.backend.ExecutionContext.standalone(threads, pool), x, scale, zero)[0];
                            assertArrayEquals(want.toLongArray(), got.toLongArray(), size + " " + type + ", " + threads
                                + " threads");
                            got.close();
                        }
                    }
                    want.close();
                }
            }
        }
    }

    @Test
    void qlinearAddMatchesTheReferenceBitForBit() {
        Random rnd = new Random(9);
        for (int size : new int[] {1, 15, 4096, 4097, 3 * 56 * 56 + 5, 100_000}) {
            byte[] va = new byte[size];
            byte[] vb = new byte[size];
            rnd.nextBytes(va);
            rnd.nextBytes(vb);
            for (DType type : new DType[] {DType.I8, DType.U8}) {
                java.util.List<String> in = java.util.List.of("a", "as", "az", "b", "bs", "bz", "cs", "cz");
                Node n = new Node("add", "QLinearAdd", "com.microsoft", in, java.util.List.of("c"), java.util.Map.of());
                int[][] zeros = type == DType.I8 ? new int[][] {{0, 0, 0}, {-128, 127, 3}} : new int[][] {{128, 0, 255}, {7, 7, 7}};
                for (int[] z : zeros) {
                    // scales where sums land on rounding ties and beyond the output range
                    float[][] scales = {{0.05f, 0.1f, 0.1f}, {0.0173f, 0.0291f, 0.0117f}, {1f, 1f, 0.5f}};
                    for (float[] sc : scales) {
                        try (Tensor a = Tensor.fromBytes(type, va, size); Tensor b = Tensor.fromBytes(type, vb, size);
                             Tensor as = Tensor.fromFloats(new float[] {sc[0]}); Tensor bs = Tensor.fromFloats(new float[] {sc[1]});
                             Tensor cs = Tensor.fromFloats(new float[] {sc[2]});
                             Tensor az = Tensor.fromBytes(type, new byte[] {(byte) z[0]});
                             Tensor bz = Tensor.fromBytes(type, new byte[] {(byte) z[1]});
                             Tensor cz = Tensor.fromBytes(type, new byte[] {(byte) z[2]})) {
                            Tensor want = KernelHarness.run(REF, n, 13, 1, a, as, az, b, bs, bz, cs, cz)[0];
                            Tensor got = KernelHarness.run(SIMD, n, 13, 1, a, as, az, b, bs, bz, cs, cz)[0];
                            assertArrayEquals(want.toLongArray(), got.toLongArray(), type + " " + size);
                            want.close();
                            got.close();
                        }
                    }
                }
            }
        }
    }
}
