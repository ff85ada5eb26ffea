package dev.sparq.backend.cpu.ref;

import static dev.sparq.backend.cpu.ref.RefAssert.assertTensor;
import static dev.sparq.backend.cpu.ref.RefAssert.f;
import static dev.sparq.backend.cpu.ref.RefAssert.in;
import static dev.sparq.backend.cpu.ref.RefAssert.run1;
import static dev.sparq.backend.cpu.ref.RefAssert.s;
import static dev.sparq.testing.KernelHarness.i;
import static dev.sparq.testing.KernelHarness.ints;
import static dev.sparq.testing.KernelHarness.s;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparq.backend.KernelRequest;
import dev.sparq.graph.Attribute;
import dev.sparq.graph.ValueType;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import dev.sparq.testing.KernelHarness;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ConvOpsTest {
    private static float[] iota(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = i;
        }
        return v;
    }

    private static float[] ones(int n) {
        float[] v = new float[n];
        Arrays.fill(v, 1f);
        return v;
    }

    @Test
    void basicConvWithAndWithoutPadding() {
        Tensor x = f(s(1, 1, 5, 5), iota(25));
        Tensor w = f(s(1, 1, 3, 3), ones(9));
        assertTensor(s(1, 1, 5, 5), new float[] {12, 21, 27, 33, 24, 33, 54, 63, 72, 51, 63, 99, 108, 117, 81,
            93, 144, 153, 162, 111, 72, 111, 117, 123, 84}, run1("Conv", 11, in(x, w), ints("pads", 1, 1, 1, 1)), 0);
        assertTensor(s(1, 1, 3, 3), new float[] {54, 63, 72, 99, 108, 117, 144, 153, 162},
            run1("Conv", 11, in(x, w), ints("kernel_shape", 3, 3)), 0);
    }

    @Test
    void stridesWithAsymmetricPadding() {
        Tensor x = f(s(1, 1, 7, 5), iota(35));
        Tensor w = f(s(1, 1, 3, 3), ones(9));
        assertTensor(s(1, 1, 4, 2), new float[] {21, 33, 99, 117, 189, 207, 171, 183},
            run1("Conv", 11, in(x, w), ints("strides", 2, 2), ints("pads", 1, 0, 1, 0)), 0);
    }

    @Test
    void sameUpperPadsAtTheEndAndSameLowerAtTheStart() {
        Tensor x = f(s(1, 1, 4), 1, 2, 3, 4);
        Tensor w = f(s(1, 1, 2), 1, 10);
        assertTensor(s(1, 1, 4), new float[] {21, 32, 43, 4},
            run1("Conv", 11, in(x, w), s("auto_pad", "SAME_UPPER")), 0);
        assertTensor(s(1, 1, 4), new float[] {10, 21, 32, 43},
            run1("Conv", 11, in(x, w), s("auto_pad", "SAME_LOWER")), 0);
        // VALID ignores pads; stride 2 gives ceil((4 - 2 + 1) / 2) = 2 outputs.
        assertTensor(s(1, 1, 2), new float[] {21, 43},
            run1("Conv", 11, in(x, w), s("auto_pad", "VALID"), ints("strides", 2)), 0);
    }

    @Test
    void biasAndGroupsAddPerOutputChannel() {
        // Two groups of one channel each: channel 0 is scaled by 2, channel 1 by 3, then biased.
        Tensor x = f(s(1, 2, 2), 1, 2, 3, 4);
        Tensor w = f(s(2, 1, 1), 2, 3);
        Tensor b = f(s(2), 0.5f, -1f);
        assertTensor(s(1, 2, 2), new float[] {2.5f, 4.5f, 8, 11}, run1("Conv", 11, in(x, w, b), i("group", 2)), 0);
    }

    @Test
    void mismatchedChannelsAreAnError() {
        Tensor x = f(s(1, 3, 4, 4), new float[48]);
        Tensor w = f(s(2, 2, 3, 3), new float[36]);
        assertThrows(IllegalArgumentException.class, () -> run1("Conv", 11, in(x, w)));
    }

    @Test
    void knownNonFloatInputIsUnsupported() {
        var node = KernelHarness.node("Conv", 2, 1);
        try (Arena arena = Arena.ofConfined()) {
            var req = new KernelRequest(node, 11, Map.of(), Map.of("x0", ValueType.tensor(DType.F64, 1, 1, 3, 3)),
                arena);
            assertTrue(new CpuRefBackend().kernelFor(req).isEmpty());
            assertTrue(CpuRefBackend.whyUnsupported(req).contains("f64"));
        }
    }

    /** Conv straight from its definition, with bounds checks per element, accumulated in double. */
    private static double[] naiveConv(float[] x, long[] xs, float[] w, long[] ws, float[] bias, int group,
                                      int[] stride, int[] dil, int[] pads, long[] ys) {
        int r = xs.length - 2;
        int outVol = 1;
        for (int d = 0; d < r; d++) {
            outVol *= (int) ys[d + 2];
        }
        int inVol = 1;
        int kVol = 1;
        for (int d = 0; d < r; d++) {
            inVol *= (int) xs[d + 2];
            kVol *= (int) ws[d + 2];
        }
        int c = (int) xs[1];
        int m = (int) ws[0];
        int cg = c / group;
        double[] y = new double[(int) xs[0] * m * outVol];
        int[] o = new int[r];
        int[] k = new int[r];
        for (int n = 0; n < xs[0]; n++) {
            for (int oc = 0; oc < m; oc++) {
                int g = oc / (m / group);
                for (int op = 0; op < outVol; op++) {
                    unflatten(op, ys, o);
                    double acc = bias == null ? 0 : bias[oc];
                    for (int ic = 0; ic < cg; ic++) {
                        for (int kp = 0; kp < kVol; kp++) {
                            unflatten(kp, ws, k);
                            int flat = 0;
                            boolean inside = true;
                            for (int d = 0; d < r; d++) {
                                int pos = o[d] * stride[d] + k[d] * dil[d] - pads[d];
                                inside &= pos >= 0 && pos < xs[d + 2];
                                flat = flat * (int) xs[d + 2] + pos;
                            }
                            if (inside) {
                                acc += (double) x[(n * c + g * cg + ic) * inVol + flat]
                                    * w[(oc * cg + ic) * kVol + kp];
                            }
                        }
                    }
                    y[(n * m + oc) * outVol + op] = acc;
                }
            }
        }
        return y;
    }

    private static void unflatten(int flat, long[] shape, int[] out) {
        for (int d = out.length - 1; d >= 0; d--) {
            out[d] = (int) (flat % shape[d + 2]);
            flat /= (int) shape[d + 2];
        }
    }

    @Test
    void matchesTheNaiveDefinitionOnRandomShapes() {
        Random rnd = new Random(42);
        for (int trial = 0; trial < 60; trial++) {
            int r = 1 + trial % 3;
            int group = new int[] {1, 1, 2, 3}[rnd.nextInt(4)];
            boolean depthwise = trial % 5 == 0;
            int c = depthwise ? group * 1 : group * (1 + rnd.nextInt(3));
            int m = group * (1 + rnd.nextInt(3));
            long[] xs = new long[r + 2];
            long[] ws = new long[r + 2];
            xs[0] = 1 + rnd.nextInt(2);
            xs[1] = c;
            ws[0] = m;
            ws[1] = c / group;
            int[] stride = new int[r];
            int[] dil = new int[r];
            int[] pads = new int[2 * r];
            long[] ys = new long[r + 2];
            ys[0] = xs[0];
            ys[1] = m;
            for (int d = 0; d < r; d++) {
                ws[d + 2] = 1 + rnd.nextInt(r == 3 ? 2 : 3);
                stride[d] = 1 + rnd.nextInt(2);
                dil[d] = 1 + rnd.nextInt(2);
                pads[d] = rnd.nextInt(2);
                pads[d + r] = rnd.nextInt(2);
                long span = (ws[d + 2] - 1) * dil[d] + 1;
                xs[d + 2] = span + rnd.nextInt(r == 3 ? 3 : 7);
                ys[d + 2] = (xs[d + 2] + pads[d] + pads[d + r] - span) / stride[d] + 1;
            }
            float[] x = random(rnd, (int) Arrays.stream(xs).reduce(1, (a, b) -> a * b));
            float[] w = random(rnd, (int) Arrays.stream(ws).reduce(1, (a, b) -> a * b));
            float[] bias = trial % 2 == 0 ? random(rnd, m) : null;
            List<Attribute> attrs = new ArrayList<>();
            attrs.add(i("group", group));
            attrs.add(ints("strides", Arrays.stream(stride).asLongStream().toArray()));
            attrs.add(ints("dilations", Arrays.stream(dil).asLongStream().toArray()));
            attrs.add(ints("pads", Arrays.stream(pads).asLongStream().toArray()));
            Tensor[] inputs = bias == null ? in(f(xs, x), f(ws, w)) : in(f(xs, x), f(ws, w), f(s(m), bias));
            Tensor y = run1("Conv", 11, inputs, attrs.toArray(Attribute[]::new));
            double[] expected = naiveConv(x, xs, w, ws, bias, group, stride, dil, pads, ys);
            assertNear(ys, expected, y, "trial " + trial + " x" + Arrays.toString(xs) + " w" + Arrays.toString(ws));
        }
    }

    /** Shape equal, and every element within a relative 1e-4 of the double-precision expectation. */
    private static void assertNear(long[] shape, double[] expected, Tensor y, String context) {
        assertArrayEquals(shape, y.shape(), context);
        float[] actual = y.toFloatArray();
        for (int e = 0; e < expected.length; e++) {
            if (Math.abs(actual[e] - expected[e]) > 1e-4 * (1 + Math.abs(expected[e]))) {
                throw new AssertionError(context + " element " + e + ": " + actual[e] + " vs " + expected[e]);
            }
        }
    }

    private static float[] random(Random rnd, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = rnd.nextFloat() * 2 - 1;
        }
        return v;
    }

    /** ConvTranspose from its definition: every input element adds x * w to output (i * s + k * d - pad). */
    private static double[] naiveConvTranspose(float[] x, long[] xs, float[] w, long[] ws, int group, int[] stride,
                                               int[] dil, int[] padBegin, long[] ys) {
        int r = xs.length - 2;
        int c = (int) xs[1];
        int mg = (int) ws[1];
        int m = (int) ys[1];
        int inVol = (int) (Arrays.stream(xs).reduce(1, (a, b) -> a * b) / (xs[0] * c));
        int outVol = (int) (Arrays.stream(ys).reduce(1, (a, b) -> a * b) / (ys[0] * m));
        int kVol = (int) (Arrays.stream(ws).reduce(1, (a, b) -> a * b) / (ws[0] * mg));
        double[] y = new double[(int) xs[0] * m * outVol];
        int[] i = new int[r];
        int[] k = new int[r];
        for (int n = 0; n < xs[0]; n++) {
            for (int ic = 0; ic < c; ic++) {
                int g = ic / (c / group);
                for (int mm = 0; mm < mg; mm++) {
                    for (int ip = 0; ip < inVol; ip++) {
                        unflatten(ip, xs, i);
                        for (int kp = 0; kp < kVol; kp++) {
                            unflatten(kp, ws, k);
                            int flat = 0;
                            boolean inside = true;
                            for (int d = 0; d < r; d++) {
                                int pos = i[d] * stride[d] + k[d] * dil[d] - padBegin[d];
                                inside &= pos >= 0 && pos < ys[d + 2];
                                flat = flat * (int) ys[d + 2] + pos;
                            }
                            if (inside) {
                                y[(n * m + g * mg + mm) * outVol + flat] += (double) x[(n * c + ic) * inVol + ip]
                                    * w[(ic * mg + mm) * kVol + kp];
                            }
                        }
                    }
                }
            }
        }
        return y;
    }

    @Test
    void convTransposeMatchesTheNaiveDefinitionOnRandomShapes() {
        Random rnd = new Random(7);
        for (int trial = 0; trial < 40; trial++) {
            int r = 1 + trial % 3;
            int group = 1 + rnd.nextInt(2);
            int c = group * (1 + rnd.nextInt(2));
            int mg = 1 + rnd.nextInt(3);
            long[] xs = new long[r + 2];
            long[] ws = new long[r + 2];
            long[] ys = new long[r + 2];
            xs[0] = 1 + rnd.nextInt(2);
            xs[1] = c;
            ws[0] = c;
            ws[1] = mg;
            ys[0] = xs[0];
            ys[1] = (long) mg * group;
            int[] stride = new int[r];
            int[] dil = new int[r];
            int[] pads = new int[2 * r];
            int[] outPad = new int[r];
            for (int d = 0; d < r; d++) {
                ws[d + 2] = 1 + rnd.nextInt(3);
                stride[d] = 1 + rnd.nextInt(3);
                dil[d] = 1 + rnd.nextInt(2);
                pads[d] = rnd.nextInt(2);
                pads[d + r] = rnd.nextInt(2);
                outPad[d] = rnd.nextInt(stride[d]);
                xs[d + 2] = 1 + rnd.nextInt(r == 3 ? 3 : 5);
                long natural = stride[d] * (xs[d + 2] - 1) + outPad[d] + (ws[d + 2] - 1) * dil[d] + 1;
                if (natural - pads[d] - pads[d + r] < 1) {
                    pads[d] = 0; // keep the output non-empty
                    pads[d + r] = 0;
                }
                ys[d + 2] = natural - pads[d] - pads[d + r];
            }
            float[] x = random(rnd, (int) Arrays.stream(xs).reduce(1, (a, b) -> a * b));
            float[] w = random(rnd, (int) Arrays.stream(ws).reduce(1, (a, b) -> a * b));
            Tensor y = run1("ConvTranspose", 11, in(f(xs, x), f(ws, w)), i("group", group),
                ints("strides", Arrays.stream(stride).asLongStream().toArray()),
                ints("dilations", Arrays.stream(dil).asLongStream().toArray()),
                ints("pads", Arrays.stream(pads).asLongStream().toArray()),
                ints("output_padding", Arrays.stream(outPad).asLongStream().toArray()));
            double[] expected = naiveConvTranspose(x, xs, w, ws, group, stride, dil, pads, ys);
            assertNear(ys, expected, y, "trial " + trial + " x" + Arrays.toString(xs) + " w" + Arrays.toString(ws));
        }
    }

    @Test
    void convTransposeScattersWithStride() {
        Tensor x = f(s(1, 1, 3), 1, 2, 3);
        Tensor w = f(s(1, 1, 2), 1, 10);
        assertTensor(s(1, 1, 6), new float[] {1, 10, 2, 20, 3, 30}, run1("ConvTranspose", 11, in(x, w),
            ints("strides", 2)), 0);
        assertTensor(s(1, 1, 5), new float[] {10, 2, 20, 3, 30}, run1("ConvTranspose", 11, in(x, w),
            ints("strides", 2), ints("pads", 1, 0)), 0);
        assertTensor(s(1, 1, 7), new float[] {1, 10, 2, 20, 3, 30, 0}, run1("ConvTranspose", 11, in(x, w),
            ints("strides", 2), ints("output_padding", 1)), 0);
    }

    @Test
    void convTransposeOutputShapeDerivesPadsBySide() {
        Tensor x = f(s(1, 1, 3), 1, 2, 3);
        Tensor w = f(s(1, 1, 2), 1, 10);
        // natural size 6, asked 5: one unit of padding, at the end for SAME_UPPER, at the start otherwise.
        assertTensor(s(1, 1, 5), new float[] {1, 10, 2, 20, 3}, run1("ConvTranspose", 11, in(x, w),
            ints("strides", 2), ints("output_shape", 5), s("auto_pad", "SAME_UPPER")), 0);
        assertTensor(s(1, 1, 5), new float[] {10, 2, 20, 3, 30}, run1("ConvTranspose", 11, in(x, w),
            ints("strides", 2), ints("output_shape", 5)), 0);
        // SAME_UPPER without output_shape gives in * stride.
        assertTensor(s(1, 1, 6), new float[] {1, 10, 2, 20, 3, 30}, run1("ConvTranspose", 11, in(x, w),
            ints("strides", 2), s("auto_pad", "SAME_UPPER")), 0);
    }

    @Test
    void convTransposeGroupsAndBias() {
        // ONNX's test_convtranspose_1d, then two groups with a bias.
        Tensor x = f(s(1, 1, 3), 0, 1, 2);
        Tensor w = f(s(1, 2, 3), 1, 1, 1, 1, 1, 1);
        assertTensor(s(1, 2, 5), new float[] {0, 1, 3, 3, 2, 0, 1, 3, 3, 2}, run1("ConvTranspose", 11, in(x, w)), 0);
        Tensor x2 = f(s(1, 2, 2), 1, 2, 3, 4);
        Tensor w2 = f(s(2, 1, 1), 2, -1);
        Tensor b2 = f(s(2), 10, 20);
        assertTensor(s(1, 2, 2), new float[] {12, 14, 17, 16}, run1("ConvTranspose", 11, in(x2, w2, b2),
            i("group", 2)), 0);
    }

    @Test
    void convTransposeDilation2d() {
        Tensor x = f(s(1, 1, 1, 2), 1, 2);
        Tensor w = f(s(1, 1, 1, 2), 1, 10);
        // out width = (2-1) + (2-1)*2 + 1 = 4: y[o] += x[i] * w[k] at o = i + 2k.
        assertTensor(s(1, 1, 1, 4), new float[] {1, 2, 10, 20}, run1("ConvTranspose", 11, in(x, w),
            ints("dilations", 1, 2)), 0);
    }
}
