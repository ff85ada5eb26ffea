package dev.sparq.backend.cpu.simd;

import static dev.sparq.testing.KernelHarness.i;
import static dev.sparq.testing.KernelHarness.ints;
import static dev.sparq.testing.KernelHarness.s;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparq.backend.Backend;
import dev.sparq.backend.ExecutionContext;
import dev.sparq.backend.Kernel;
import dev.sparq.backend.KernelRequest;
import dev.sparq.backend.WorkerPool;
import dev.sparq.backend.cpu.ref.CpuRefBackend;
import dev.sparq.graph.Attribute;
import dev.sparq.graph.ClampedQuantizedOp;
import dev.sparq.graph.Node;
import dev.sparq.graph.ValueType;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import dev.sparq.testing.KernelHarness;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * cpu-simd's QLinearConv, ConvInteger and QLinearMatMul against cpu-ref, bit for bit, on awkward shapes (1×1, primes,
 * channel counts off the vector length, every stride/dilation/padding/group kind) and adversarial quantization
 * (extreme zero points, saturating and infinite multipliers, exact rounding ties, int32 wrap-around). Like every
 * class here it runs once per SIMD width (see the surefire executions in the pom).
 */
class SimdIntegerConvTest {
    private static final Backend SIMD = new SimdBackend();
    private static final Backend REF = new CpuRefBackend();
    private final Random rnd = new Random(20261127);

    /** One convolution shape: input N×C×H×W, M filters kh×kw, stride, symmetric pad (or auto_pad), dilation, group. */
    record Shape(int n, int c, int h, int w, int m, int kh, int kw, int stride, int pad, int dil, int group,
                 String autoPad) {
        Shape(int n, int c, int h, int w, int m, int k, int stride, int pad, int dil, int group) {
            this(n, c, h, w, m, k, k, stride, pad, dil, group, "NOTSET");
        }

        int depth() {
            return c / group * kh * kw;
        }

        Attribute[] attributes() {
            List<Attribute> a = new ArrayList<>(List.of(i("group", group), ints("strides", stride, stride),
                ints("dilations", dil, dil), ints("kernel_shape", kh, kw), s("auto_pad", autoPad)));
            if (autoPad.equals("NOTSET")) {
                a.add(ints("pads", pad, pad, pad, pad));
            }
            return a.toArray(Attribute[]::new);
        }
    }

    private static final List<Shape> SHAPES = List.of(
        new Shape(1, 3, 1, 1, 5, 1, 1, 0, 1, 1),        // 1×1 everything
        new Shape(2, 13, 7, 11, 17, 1, 1, 0, 1, 1),     // pointwise, batch 2
        new Shape(1, 7, 13, 17, 19, 3, 1, 1, 1, 1),     // 3×3 pad 1
        new Shape(1, 7, 1, 1, 3, 3, 1, 1, 1, 1),        // 1×1 image, 3×3 pad 1: only the centre tap is real
        new Shape(1, 5, 12, 13, 7, 3, 2, 1, 1, 1),      // stride 2
        new Shape(1, 4, 11, 9, 6, 3, 1, 2, 2, 1),       // dilation 2
        new Shape(1, 3, 23, 29, 8, 7, 2, 3, 1, 1),      // the ResNet stem: 7×7 stride 2 pad 3
        new Shape(1, 3, 5, 7, 33, 3, 1, 0, 1, 1),       // 33 filters: a partial GEMM tile and panel
        new Shape(1, 32, 17, 19, 37, 3, 1, 1, 1, 1),    // K = 288: two k blocks
        new Shape(2, 6, 9, 9, 10, 3, 1, 1, 1, 2),       // groups 2
        new Shape(1, 12, 8, 7, 9, 3, 2, 1, 1, 3),       // groups 3, stride 2
        new Shape(1, 13, 15, 15, 13, 3, 1, 1, 1, 13),   // depthwise
        new Shape(2, 7, 14, 13, 7, 3, 2, 1, 1, 7),      // depthwise, stride 2, batch 2
        new Shape(1, 3, 11, 10, 6, 3, 1, 1, 1, 3),      // depthwise, multiplier 2
        new Shape(1, 5, 13, 11, 15, 5, 3, 2, 1, 5),     // depthwise 5×5 stride 3, multiplier 3
        new Shape(1, 4, 9, 9, 4, 3, 1, 2, 2, 4),        // depthwise, dilation 2
        new Shape(1, 11, 1, 1, 11, 3, 1, 1, 1, 11),     // depthwise on a 1×1 image
        new Shape(1, 5, 6, 7, 4, 1, 3, 1, 0, 1, 1, "SAME_UPPER"),  // 1×3 kernel
        new Shape(1, 3, 10, 9, 7, 3, 2, 2, 0, 1, 1, "SAME_LOWER"), // 3×2 kernel, stride 2
        new Shape(1, 6, 6, 7, 6, 5, 5, 1, 0, 1, 6, "SAME_UPPER"),  // depthwise SAME
        new Shape(1, 4, 7, 5, 3, 3, 3, 1, 0, 1, 1, "VALID"));

    private Tensor bytes(DType type, long... shape) {
        byte[] v = new byte[Math.toIntExact(Arrays.stream(shape).reduce(1, (a, b) -> a * b))];
        rnd.nextBytes(v);
        return Tensor.fromBytes(type, v, shape);
    }

    /** A zero point for the type: an extreme, the middle, or random. */
    private int zeroPoint(DType type) {
        int[] u8 = {0, 255, 128, 1, rnd.nextInt(256)};
        int[] s8 = {-128, 127, 0, -1, rnd.nextInt(256) - 128};
        return type == DType.U8 ? u8[rnd.nextInt(u8.length)] : s8[rnd.nextInt(s8.length)];
    }

    private static Tensor scalar(DType type, int v) {
        return Tensor.fromBytes(type, new byte[] {(byte) v});
    }

    /** The quantization of one QLinearConv case. */
    record Quant(DType x, DType w, DType y, boolean perChannel, boolean bias, boolean saturate) {
    }

    /** QLinearConv inputs for a shape and quantization: x, x_scale, x_zp, w, w_scale, w_zp, y_scale, y_zp, B. */
    private Tensor[] qlinearConvInputs(Shape sh, Quant q) {
        Tensor x = bytes(q.x(), sh.n(), sh.c(), sh.h(), sh.w());
        Tensor w = bytes(q.w(), sh.m(), sh.c() / sh.group(), sh.kh(), sh.kw());
        int channels = q.perChannel() ? sh.m() : 1;
        float[] wScale = new float[channels];
        byte[] wZero = new byte[channels];
        for (int c = 0; c < channels; c++) {
            wScale[c] = 0.002f + rnd.nextFloat() * 0.02f;
            wZero[c] = (byte) zeroPoint(q.w());
        }
        float xScale = 0.01f + rnd.nextFloat() * 0.05f;
        // accumulators spread about 74² · sqrt(K): aim the outputs at ±~60 (or far beyond, to saturate)
        float yScale = (float) (xScale * 0.012f * 5500 * Math.sqrt(sh.depth()) / 60 / (q.saturate() ? 40 : 1));
        Tensor bias = null;
        if (q.bias()) {
            int[] b = new int[sh.m()];
            for (int c = 0; c < b.length; c++) {
                b[c] = rnd.nextInt(20001) - 10000;
            }
            bias = Tensor.fromInts(b, sh.m());
        }
        return new Tensor[] {x, Tensor.fromFloats(new float[] {xScale}), scalar(q.x(), zeroPoint(q.x())), w,
            q.perChannel() ? Tensor.fromFloats(wScale, channels) : Tensor.fromFloats(wScale),
            q.perChannel() ? Tensor.fromBytes(q.w(), wZero, channels) : Tensor.fromBytes(q.w(), wZero),
            Tensor.fromFloats(new float[] {yScale}), scalar(q.y(), zeroPoint(q.y())), bias};
    }

    /** Runs the node on cpu-ref and cpu-simd (x computed, everything else constant) and compares every integer. */
    private static void assertSameIntegers(Node node, ExecutionContext ctx, String what, Tensor... inputs) {
        Tensor want = KernelHarness.run(REF, node, 10, 1, inputs)[0];
        Tensor got = KernelHarness.run(SIMD, node, 10, 1, ctx, inputs)[0];
        try {
            assertEquals(want.dtype(), got.dtype(), what);
            assertArrayEquals(want.shape(), got.shape(), what);
            long[] w = want.toLongArray();
            long[] g = got.toLongArray();
            for (int i = 0; i < w.length; i++) {
                if (w[i] != g[i]) {
                    throw new AssertionError(what + ": element " + i + " is " + g[i] + ", cpu-ref says " + w[i]);
                }
            }
        } finally {
            want.close();
            got.close();
        }
    }

    /** Swaps input {@code at} for {@code t}, closing the old one. */
    private static void replace(Tensor[] in, int at, Tensor t) {
        if (in[at] != null) {
            in[at].close();
        }
        in[at] = t;
    }

    private static void close(Tensor... ts) {
        for (Tensor t : ts) {
            if (t != null) {
                t.close();
            }
        }
    }

    /** The kernel cpu-simd picks for the node with inputs from 1 on constant. */
    private static Kernel simdKernel(Node node, Tensor... inputs) {
        Map<String, Tensor> constants = new LinkedHashMap<>();
        Map<String, ValueType> types = new LinkedHashMap<>();
        List<String> names = new ArrayList<>(node.inputs());
        for (int k = 0; k < inputs.length; k++) {
            if (inputs[k] == null) {
                names.set(k, "");
                continue;
            }
            types.put(names.get(k), ValueType.tensor(inputs[k].dtype(), inputs[k].shape()));
            if (k >= 1) {
                constants.put(names.get(k), inputs[k]);
            }
        }
        Node n = new Node(node.name(), node.opType(), node.domain(), names, node.outputs(), node.attributes());
        return SIMD.kernelFor(new KernelRequest(n, 10, constants, types, Arena.global())).orElseThrow();
    }

    @Test
    void qlinearConvMatchesTheReferenceOnEveryShape() {
        DType[] types = {DType.U8, DType.I8};
        for (Shape sh : SHAPES) {
            Node node = KernelHarness.node("QLinearConv", 9, 1, sh.attributes());
            for (int variant = 0; variant < 6; variant++) {
                // every input/output type pair, per-tensor and per-channel, with and without bias, once saturating
                Quant q = new Quant(types[variant % 2], variant == 5 ? DType.U8 : DType.I8, types[(variant / 2) % 2],
                    variant % 3 != 0, variant % 2 == 0, variant == 4);
                Tensor[] in = qlinearConvInputs(sh, q);
                if (variant == 3) {
                    replace(in, 8, null); // no bias input at all
                }
                assertSameIntegers(node, ExecutionContext.standalone(), sh + " " + q, in);
                close(in);
            }
        }
    }

    /** The clamped form (a Relu / Clip fused by IntegerClampFusion) on every shape: from the zero point, a band. */
    @Test
    void clampedQLinearConvMatchesTheReferenceOnEveryShape() {
        for (Shape sh : SHAPES) {
            Node plain = KernelHarness.node("QLinearConv", 9, 1, sh.attributes());
            for (DType y : new DType[] {DType.I8, DType.U8}) {
                Tensor[] in = qlinearConvInputs(sh, new Quant(DType.U8, DType.I8, y, true, true, false));
                int zero = (int) in[7].getLong(0);
                int lowest = y == DType.U8 ? 0 : -128;
                int highest = lowest + 255;
                String out = plain.outputs().get(0);
                assertSameIntegers(ClampedQuantizedOp.clamped(plain, zero, highest, out), ExecutionContext.standalone(),
                    "relu " + sh + " " + y, in);
                assertSameIntegers(ClampedQuantizedOp.clamped(plain, Math.max(lowest, zero - 9),
                    Math.min(highest, zero + 17), out), ExecutionContext.standalone(), "band " + sh + " " + y, in);
                close(in);
            }
        }
    }

    @Test
    void kernelsTakeTheIntendedPaths() {
        Quant q = new Quant(DType.U8, DType.I8, DType.U8, true, true, false);
        Shape dw = new Shape(1, 13, 15, 15, 13, 3, 1, 1, 1, 13);
        Shape dwMult = new Shape(1, 3, 11, 10, 6, 3, 1, 1, 1, 3);
        Shape grouped = new Shape(2, 6, 9, 9, 10, 3, 1, 1, 1, 2);
        for (Shape sh : List.of(dw, dwMult, grouped)) {
            Tensor[] in = qlinearConvInputs(sh, q);
            Kernel k = simdKernel(KernelHarness.node("QLinearConv", 9, 1, sh.attributes()), in);
            Class<?> want = sh.c() / sh.group() == 1 ? IntDepthwiseConv.class : IntConvGemm.class;
            assertEquals(want, k.getClass(), sh.toString());
            close(in);
        }
    }

    /**
     * Near full-scale centered weights with a full-range input zero point: Σ|w|·max|x| passes 2^24, so K is split
     * into chunks summed in int32 (and a depthwise filter that big goes through the GEMM instead of the direct loop).
     */
    @Test
    void sumsBeyondFloatPrecisionAreSplitIntoExactChunks() {
        for (Shape sh : List.of(new Shape(1, 64, 5, 6, 9, 3, 1, 1, 1, 1), new Shape(1, 3, 18, 17, 3, 17, 1, 8, 1, 3),
            new Shape(1, 130, 3, 3, 2, 3, 1, 1, 1, 1))) {
            for (DType xt : new DType[] {DType.U8, DType.I8}) {
                Tensor[] in = qlinearConvInputs(sh, new Quant(xt, DType.I8, DType.U8, true, true, false));
                replace(in, 2, scalar(xt, xt == DType.U8 ? 0 : -128)); // max |x - zero| = 255
                replace(in, 5, scalar(DType.I8, -128));
                for (long k = 0; k < in[3].size(); k++) {
                    in[3].setLong(k, 124 + rnd.nextInt(4)); // centered 252..255
                }
                replace(in, 4, Tensor.fromFloats(new float[] {1f}));
                replace(in, 1, Tensor.fromFloats(new float[] {1f}));
                // sums are about K·127·253: aim them at ~100
                replace(in, 6, Tensor.fromFloats(new float[] {sh.depth() * 127f * 253f / 100f}));
                Node node = KernelHarness.node("QLinearConv", 9, 1, sh.attributes());
                IntConvGemm gemm = assertInstanceOf(IntConvGemm.class, simdKernel(node, in), sh.toString());
                assertTrue(gemm.chunks().length > 2, "K split into chunks: " + Arrays.toString(gemm.chunks()));
                assertSameIntegers(node, ExecutionContext.standalone(), "chunked " + sh + " " + xt, in);
                Node convInteger = KernelHarness.node("ConvInteger", 4, 1, sh.attributes());
                assertSameIntegers(convInteger, ExecutionContext.standalone(), "ConvInteger chunked " + sh,
                    in[0], in[3], in[2], in[5]);
                close(in);
            }
        }
    }

    /** Random values pushed to the two extremes of the type, so sums are as large as they can be. */
    private void fillExtreme(Tensor t, int a, int b) {
        for (long k = 0; k < t.size(); k++) {
            t.setLong(k, rnd.nextBoolean() ? a : b);
        }
    }

    /**
     * Quantization edge cases: ties (multiplier 0.5, exact halves round to even), a zero y_scale (infinite
     * multiplier: ±saturation, and NaN → 0 where the accumulator is 0), biases that wrap int32, tiny multipliers and
     * the largest the vector path takes.
     */
    @Test
    void roundingTiesSaturationAndWrapAround() {
        Shape sh = new Shape(1, 5, 7, 6, 9, 3, 1, 1, 1, 1);
        Shape dw = new Shape(1, 9, 7, 6, 9, 3, 1, 1, 1, 9);
        for (Shape shape : List.of(sh, dw)) {
            Node node = KernelHarness.node("QLinearConv", 9, 1, shape.attributes());
            for (int variant = 0; variant < 6; variant++) {
                Tensor[] in = qlinearConvInputs(shape, new Quant(DType.U8, DType.I8, variant % 2 == 0 ? DType.U8 : DType.I8,
                    false, true, false));
                replace(in, 5, scalar(DType.I8, 0));
                switch (variant) {
                    case 0 -> { // x_scale · w_scale / y_scale = 0.5: every odd accumulator is a tie
                        replace(in, 1, Tensor.fromFloats(new float[] {0.5f}));
                        replace(in, 4, Tensor.fromFloats(new float[] {0.25f}));
                        replace(in, 6, Tensor.fromFloats(new float[] {0.25f}));
                        replace(in, 2, scalar(DType.U8, 1));
                        replace(in, 7, scalar(DType.U8, 100));
                        for (long k = 0; k < in[0].size(); k++) {
                            in[0].setLong(k, in[0].getLong(k) % 3); // small sums, so the ties land inside the range
                        }
                        for (long k = 0; k < in[3].size(); k++) {
                            in[3].setLong(k, in[3].getLong(k) % 4);
                        }
                        replace(in, 8, null);
                    }
                    case 1 -> { // multiplier +inf: ±saturation, and NaN (→ 0) where the accumulator is 0
                        replace(in, 6, Tensor.fromFloats(new float[] {0f}));
                        replace(in, 8, null);
                        long zero = in[2].getLong(0);
                        for (long k = 0; k < in[0].size() / 2; k++) {
                            in[0].setLong(k, zero);
                        }
                    }
                    case 2 -> { // biases at the int32 ends: the sums wrap around, ±2^31 maps to about ∓100
                        int[] b = new int[shape.m()];
                        for (int c = 0; c < b.length; c++) {
                            b[c] = c % 2 == 0 ? Integer.MAX_VALUE - rnd.nextInt(1000) : Integer.MIN_VALUE + rnd.nextInt(1000);
                        }
                        replace(in, 8, Tensor.fromInts(b, shape.m()));
                        replace(in, 6, Tensor.fromFloats(new float[] {in[1].getFloat(0) * in[4].getFloat(0) * 0x1p31f / 100}));
                    }
                    case 3 -> replace(in, 6, Tensor.fromFloats(new float[] {1e30f})); // everything rounds to the zero point
                    case 4 -> { // multiplier ~5e5, just under the vector path's 2^19 limit: |acc · m| up to ~2^50
                        replace(in, 6, Tensor.fromFloats(new float[] {in[1].getFloat(0) * in[4].getFloat(0) / 5e5f}));
                        int[] b = new int[shape.m()];
                        Arrays.fill(b, Integer.MIN_VALUE + 5);
                        replace(in, 8, Tensor.fromInts(b, shape.m()));
                    }
                    default -> replace(in, 6, Tensor.fromFloats(new float[] {1e-30f})); // everything saturates
                }
                assertSameIntegers(node, ExecutionContext.standalone(), "variant " + variant + " " + shape, in);
                close(in);
            }
        }
    }

    @Test
    void convIntegerMatchesTheReference() {
        for (Shape sh : SHAPES) {
            Node node = KernelHarness.node("ConvInteger", 4, 1, sh.attributes());
            for (DType xt : new DType[] {DType.U8, DType.I8}) {
                DType wt = rnd.nextBoolean() ? DType.I8 : DType.U8;
                Tensor x = bytes(xt, sh.n(), sh.c(), sh.h(), sh.w());
                Tensor w = bytes(wt, sh.m(), sh.c() / sh.group(), sh.kh(), sh.kw());
                Tensor xz = scalar(xt, zeroPoint(xt));
                byte[] z = new byte[sh.m()];
                for (int c = 0; c < z.length; c++) {
                    z[c] = (byte) zeroPoint(wt);
                }
                Tensor wz = xt == DType.U8 ? Tensor.fromBytes(wt, z, sh.m()) : scalar(wt, z[0]);
                assertSameIntegers(node, ExecutionContext.standalone(), "ConvInteger " + sh + " " + xt + "/" + wt, x, w,
                    xz, wz);
                assertSameIntegers(node, ExecutionContext.standalone(), "ConvInteger without zero points " + sh, x, w, null, null);
                close(x, w, xz, wz);
            }
        }
    }

    @Test
    void qlinearMatMulMatchesTheReference() {
        long[][][] shapes = {{{1, 1}, {1, 1}}, {{7, 33}, {33, 5}}, {{16, 64}, {64, 64}}, {{3, 300}, {300, 47}},
            {{2, 3, 5, 19}, {19, 23}}, {{37}, {37, 17}}, {{1, 129}, {129, 1000}}};
        for (long[][] sh : shapes) {
            long k = sh[1][0];
            int n = (int) sh[1][1];
            for (int variant = 0; variant < 6; variant++) {
                DType at = variant % 2 == 0 ? DType.U8 : DType.I8;
                DType bt = variant == 5 ? DType.U8 : DType.I8;
                DType yt = (variant / 2) % 2 == 0 ? DType.U8 : DType.I8;
                boolean perColumn = variant % 3 != 0;
                int cols = perColumn ? n : 1;
                float[] bScale = new float[cols];
                byte[] bZero = new byte[cols];
                for (int j = 0; j < cols; j++) {
                    bScale[j] = 0.002f + rnd.nextFloat() * 0.02f;
                    bZero[j] = (byte) zeroPoint(bt);
                }
                float aScale = 0.01f + rnd.nextFloat() * 0.05f;
                float yScale = (float) (aScale * 0.012f * 5500 * Math.sqrt(k) / 60 / (variant == 4 ? 40 : 1));
                Tensor[] in = {bytes(at, sh[0]), Tensor.fromFloats(new float[] {aScale}), scalar(at, zeroPoint(at)),
                    bytes(bt, sh[1]), perColumn ? Tensor.fromFloats(bScale, cols) : Tensor.fromFloats(bScale),
                    perColumn ? Tensor.fromBytes(bt, bZero, cols) : Tensor.fromBytes(bt, bZero),
                    Tensor.fromFloats(new float[] {yScale}), scalar(yt, zeroPoint(yt))};
                Node plain = KernelHarness.node("QLinearMatMul", 8, 1);
                assertSameIntegers(plain, ExecutionContext.standalone(),
                    "QLinearMatMul " + Arrays.deepToString(sh) + " variant " + variant, in);
                // clamped from the zero point (a fused Relu)
                int zero = (int) in[7].getLong(0);
                assertSameIntegers(ClampedQuantizedOp.clamped(plain, zero, yt == DType.U8 ? 255 : 127,
                    plain.outputs().get(0)), ExecutionContext.standalone(), "clamped QLinearMatMul "
                    + Arrays.deepToString(sh) + " variant " + variant, in);
                close(in);
            }
        }
    }

    @Test
    void qgemmMatchesTheReferenceWithRequantizedAndFloatOutputs() {
        int[][] shapes = {{1, 1, 1}, {7, 33, 5}, {1, 1280, 1000}, {3, 300, 47}, {16, 64, 64}};
        for (int[] sh : shapes) {
            int m = sh[0];
            int k = sh[1];
            int n = sh[2];
            for (int variant = 0; variant < 8; variant++) {
                boolean transB = variant % 2 == 1;
                boolean withC = (variant / 2) % 2 == 1;
                boolean floatOut = variant / 4 == 1;
                DType at = variant % 3 == 0 ? DType.I8 : DType.U8;
                float[] bScale = new float[n];
                for (int j = 0; j < n; j++) {
                    bScale[j] = 0.002f + rnd.nextFloat() * 0.02f;
                }
                int[] c = new int[n];
                for (int j = 0; j < n; j++) {
                    c[j] = rnd.nextInt(200001) - 100000;
                }
                float aScale = 0.01f + rnd.nextFloat() * 0.05f;
                float yScale = (float) (aScale * 0.012f * 5500 * Math.sqrt(k) / 60);
                Tensor[] in = {bytes(at, m, k), Tensor.fromFloats(new float[] {aScale}), scalar(at, zeroPoint(at)),
                    transB ? bytes(DType.I8, n, k) : bytes(DType.I8, k, n), Tensor.fromFloats(bScale, n),
                    Tensor.fromBytes(DType.I8, new byte[n], n), withC ? Tensor.fromInts(c, n) : null,
                    floatOut ? null : Tensor.fromFloats(new float[] {yScale}), floatOut ? null : scalar(DType.U8, 120)};
                Node node = new Node("qgemm", "QGemm", "com.microsoft", List.of("x0", "x1", "x2", "x3", "x4", "x5",
                    "x6", "x7", "x8"), List.of("y0"), Map.of("transB", KernelHarness.i("transB", transB ? 1 : 0)));
                String what = "QGemm " + Arrays.toString(sh) + " variant " + variant;
                if (floatOut) {
                    Tensor want = KernelHarness.run(REF, node, 10, 1, in)[0];
                    Tensor got = KernelHarness.run(SIMD, node, 10, 1, in)[0];
                    assertEquals(DType.F32, got.dtype(), what);
                    assertArrayEquals(want.toFloatArray(), got.toFloatArray(), what);
                    close(want, got);
                } else {
                    assertSameIntegers(node, ExecutionContext.standalone(), what, in);
                }
                close(in);
            }
        }
    }

    @Test
    void oneAndTwoThreadsGiveIdenticalIntegers() {
        List<Shape> shapes = List.of(new Shape(2, 16, 20, 18, 24, 3, 1, 1, 1, 1), new Shape(1, 24, 17, 17, 24, 3, 2, 1, 1, 24),
            new Shape(1, 64, 9, 9, 9, 3, 1, 1, 1, 1), new Shape(1, 8, 12, 12, 8, 3, 1, 1, 1, 2));
        try (WorkerPool pool = new WorkerPool(2)) {
            for (Shape sh : shapes) {
                Tensor[] in = qlinearConvInputs(sh, new Quant(DType.U8, DType.I8, DType.U8, true, true, false));
                if (sh.c() == 64) { // the chunked path too
                    fillExtreme(in[0], 0, 255);
                    fillExtreme(in[3], -128, 127);
                }
                Node node = KernelHarness.node("QLinearConv", 9, 1, sh.attributes());
                Tensor one = KernelHarness.run(SIMD, node, 10, 1, ExecutionContext.standalone(), in)[0];
                Tensor two = KernelHarness.run(SIMD, node, 10, 1, ExecutionContext.standalone(2, pool), in)[0];
                assertArrayEquals(one.toLongArray(), two.toLongArray(), sh.toString());
                assertSameIntegers(node, ExecutionContext.standalone(2, pool), "2 threads " + sh, in);
                close(one, two);
                close(in);
            }
            Tensor[] mm = {bytes(DType.U8, 9, 70), Tensor.fromFloats(new float[] {0.02f}), scalar(DType.U8, 128),
                bytes(DType.I8, 70, 50), Tensor.fromFloats(new float[] {0.01f}), scalar(DType.I8, 0),
                Tensor.fromFloats(new float[] {0.1f}), scalar(DType.U8, 100)};
            assertSameIntegers(KernelHarness.node("QLinearMatMul", 8, 1), ExecutionContext.standalone(2, pool),
                "QLinearMatMul on 2 threads", mm);
            close(mm);
        }
    }

    @Test
    void unsupportedInputsFallBack() {
        Shape sh = new Shape(1, 4, 5, 5, 4, 3, 1, 1, 1, 1);
        Tensor[] in = qlinearConvInputs(sh, new Quant(DType.U8, DType.I8, DType.U8, false, true, false));
        Node node = KernelHarness.node("QLinearConv", 9, 1, sh.attributes());
        KernelRequest computedScale = new KernelRequest(node, 10, Map.of("x3", in[3], "x4", in[4], "x6", in[6]),
            Map.of(), Arena.global());
        assertTrue(SIMD.kernelFor(computedScale).isEmpty(), "x_scale computed at run time: left to cpu-ref");
        KernelRequest computedWeights = new KernelRequest(node, 10, Map.of("x1", in[1], "x4", in[4], "x6", in[6]),
            Map.of(), Arena.global());
        assertTrue(SIMD.kernelFor(computedWeights).isEmpty(), "weights computed at run time: left to cpu-ref");
        close(in);
    }
}
