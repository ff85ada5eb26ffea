package dev.sparq.backend.cpu.simd;

import static dev.sparq.testing.KernelHarness.floats;
import static dev.sparq.testing.KernelHarness.ints;
import static dev.sparq.testing.KernelHarness.s;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparq.backend.Backend;
import dev.sparq.backend.ExecutionContext;
import dev.sparq.backend.WorkerPool;
import dev.sparq.backend.cpu.ref.CpuRefBackend;
import dev.sparq.backend.geometry.ConvAttributes;
import dev.sparq.graph.Attribute;
import dev.sparq.graph.Node;
import dev.sparq.graph.pass.ConvMaxPoolFusion;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import dev.sparq.testing.KernelHarness;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The fused first layer + 3×3/2 MaxPool against the two layers it replaces: bit for bit against cpu-simd's own
 * pixel-gemm convolution followed by its MaxPool (the fusion only moves the bias and clamp after the maxima), close
 * to cpu-ref's, the same bits at 1 and 2 threads (the second thread starts mid-image and recomputes the row above
 * its first window). Shapes: odd and even convolution outputs (the last window with and without a row and column
 * past the edge), pool pads after of 0 and 1, channels of one part panel, one panel and two, 1×1 and 2×2 pooled
 * images, batch 2, and clamps that bite on both sides.
 */
class PixelGemmMaxPoolTest {
    private static final Backend SIMD = new SimdBackend();
    private static final Backend REF = new CpuRefBackend();
    private final Random rnd = new Random(1127);

    private Tensor random(long... shape) {
        Tensor t = Tensor.allocate(DType.F32, shape);
        for (long j = 0; j < t.size(); j++) {
            t.setFloat(j, (float) rnd.nextGaussian());
        }
        return t;
    }

    /** {n, cin, h, w, cout, k, stride, pool pad after} */
    private static final int[][] CASES = {{1, 3, 37, 29, 64, 7, 2, 1}, {2, 3, 16, 18, 40, 7, 2, 1},
        {1, 3, 16, 18, 20, 7, 2, 0}, {1, 1, 9, 11, 8, 3, 1, 0}, {2, 4, 5, 6, 33, 3, 1, 1}, {1, 3, 2, 2, 16, 3, 2, 1},
        {1, 2, 3, 3, 70, 3, 1, 1}};

    private static Attribute[] convAttributes(int[] c, Attribute... activation) {
        int p = c[5] / 2;
        List<Attribute> a = new ArrayList<>(List.of(ints("kernel_shape", c[5], c[5]), ints("strides", c[6], c[6]),
            ints("pads", p, p, p, p)));
        a.addAll(List.of(activation));
        return a.toArray(Attribute[]::new);
    }

    private static Node fused(int[] c, Attribute... activation) {
        Map<String, Attribute> a = new LinkedHashMap<>();
        for (Attribute x : convAttributes(c, activation)) {
            a.put(x.name(), x);
        }
        a.put(ConvMaxPoolFusion.POOL_KERNEL_SHAPE, ints(ConvMaxPoolFusion.POOL_KERNEL_SHAPE, 3, 3));
        a.put(ConvMaxPoolFusion.POOL_STRIDES, ints(ConvMaxPoolFusion.POOL_STRIDES, 2, 2));
        a.put(ConvMaxPoolFusion.POOL_PADS, ints(ConvMaxPoolFusion.POOL_PADS, 1, 1, c[7], c[7]));
        return new Node("f", ConvMaxPoolFusion.OP, ConvMaxPoolFusion.DOMAIN, List.of("x0", "x1", "x2"), List.of("y0"),
            a);
    }

    private static Node maxPool(int[] c) {
        return KernelHarness.node("MaxPool", 1, 1, ints("kernel_shape", 3, 3), ints("strides", 2, 2),
            ints("pads", 1, 1, c[7], c[7]));
    }

    @Test
    void matchesPixelGemmThenMaxPoolBitForBitAndTheReferenceClosely() {
        WorkerPool pool = new WorkerPool(2);
        try {
            for (Attribute[] act : List.of(new Attribute[] {s("activation", "Relu")}, new Attribute[0],
                new Attribute[] {s("activation", "Clip"), floats("activation_params", -0.3f, 0.4f)})) {
                for (int[] c : CASES) {
                    String what = Arrays.toString(c) + " " + Arrays.toString(act);
                    try (Tensor x = random(c[0], c[1], c[2], c[3]); Tensor w = random(c[4], c[1], c[5], c[5]);
                         Tensor b = random(c[4])) {
                        Node conv = new Node("c", "FusedConv", "com.microsoft", List.of("x0", "x1", "x2"),
                            List.of("y0"), KernelHarness.node("FusedConv", 3, 1, convAttributes(c, act)).attributes());
                        PixelGemmConv alone = new PixelGemmConv(ConvAttributes.of(conv, w), w.toFloatArray(),
                            b.toFloatArray(), Activation.ofFused(conv), c[1]);
                        Tensor convOut = alone.run(new Tensor[] {x, w, b}, ExecutionContext.standalone())[0];
                        Tensor want = KernelHarness.run(SIMD, maxPool(c), 13, convOut)[0];
                        Tensor refConv = KernelHarness.run(REF, conv, 13, 1, x, w, b)[0];
                        Tensor ref = KernelHarness.run(REF, maxPool(c), 13, refConv)[0];
                        Tensor one = KernelHarness.run(SIMD, fused(c, act), 13, 1, x, w, b)[0];
                        Tensor two = KernelHarness.run(SIMD, fused(c, act), 13, 1, ExecutionContext.standalone(2, pool),
                            x, w, b)[0];
                        assertArrayEquals(want.shape(), one.shape(), what);
                        assertArrayEquals(want.toFloatArray(), one.toFloatArray(), what);
                        assertArrayEquals(one.toFloatArray(), two.toFloatArray(), what + " at 2 threads");
                        SimdVsReferenceTest.assertClose(ref, one, 1e-5, what);
                        for (Tensor t : new Tensor[] {convOut, want, refConv, ref, one, two}) {
                            t.close();
                        }
                    }
                }
            }
        } finally {
            pool.close();
        }
    }

    @Test
    void anImageTooSmallForItsWindowsIsRefused() {
        // a 2×2 convolution output pooled with two rows and columns after: the second window's centre is outside
        int[] c = {1, 3, 2, 2, 8, 3, 1, 1};
        Node node = fused(c);
        Map<String, Attribute> a = new LinkedHashMap<>(node.attributes());
        a.put(ConvMaxPoolFusion.POOL_PADS, ints(ConvMaxPoolFusion.POOL_PADS, 1, 1, 2, 2));
        Node wide = new Node("f", node.opType(), node.domain(), node.inputs(), node.outputs(), a);
        try (Tensor x = random(1, 3, 2, 2); Tensor w = random(8, 3, 3, 3); Tensor b = random(8)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> KernelHarness.run(SIMD, wide, 13, 1, x, w, b));
            assertTrue(e.getMessage().contains("window"), e.getMessage());
        }
    }
}
