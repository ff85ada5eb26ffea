package dev.sparq.backend.cpu.ref;

import dev.sparq.backend.Kernel;
import dev.sparq.backend.KernelRegistry;
import dev.sparq.backend.KernelRequest;
import dev.sparq.graph.Node;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import java.util.Arrays;

/**
 * The QOperator ops on 8-bit inputs: MatMulInteger, ConvInteger (int32 out), QLinearMatMul, QLinearConv (requantized
 * out). Zero points are subtracted first, products accumulate in int32 (wrapping, as the spec allows), and
 * requantization follows {@link QuantRange#requantize}.
 */
final class IntegerOps {
    private IntegerOps() {
    }

    static void register(KernelRegistry r) {
        r.register("MatMulInteger", RefSupport.withArity(4, IntegerOps::matMulInteger));
        r.register("QLinearMatMul", RefSupport.withArity(8, IntegerOps::qlinearMatMul));
        r.register("ConvInteger", RefSupport.withArity(4, IntegerOps::convInteger));
        r.register("QLinearConv", RefSupport.withArity(9, IntegerOps::qlinearConv));
    }

    private static void require8Bit(KernelRequest req, int... inputs) {
        for (int i : inputs) {
            RefSupport.requireKnownDType(req, i, DType.U8, DType.I8);
        }
    }

    private static void check8Bit(Tensor t, String what) {
        if (t.dtype() != DType.U8 && t.dtype() != DType.I8) {
            throw new IllegalArgumentException(what + " must be uint8 or int8, not " + t.dtype());
        }
    }

    /**
     * The values of {@code q} minus its zero point as longs. {@code zp} is null, one value, or broadcast onto q's
     * shape; a 1-D zero point for a row-quantized matrix (A of a matmul) is one value per row.
     */
    private static long[] centered(Tensor q, Tensor zp, boolean perRow, String what) {
        long[] v = q.toLongArray();
        if (zp == null) {
            return v;
        }
        if (zp.dtype() != q.dtype()) {
            throw new IllegalArgumentException(what + " zero point is " + zp.dtype() + " but the input is " + q.dtype());
        }
        long[] zs = zp.shape();
        if (perRow && zs.length == 1 && zp.size() > 1) {
            zs = new long[] {zs[0], 1};
        }
        int[] map = RefSupport.broadcastIndex(zs, q.shape(), what + " zero point");
        for (int i = 0; i < v.length; i++) {
            v[i] -= zp.getLong(map[i]);
        }
        return v;
    }

    /** Batched int64 matmul of centered operands, truncated to int32 (where the spec lets accumulation wrap). */
    private static long[] integerMatMul(MatMulShape s, long[] a, long[] b) {
        int aSize = s.m() * s.k();
        int bSize = s.k() * s.n();
        int cSize = s.m() * s.n();
        long[] c = new long[Math.multiplyExact(s.batches(), cSize)];
        for (int i = 0; i < s.batches(); i++) {
            MatMulOps.multiply(a, s.aMatrix()[i] * aSize, b, s.bMatrix()[i] * bSize, c, i * cSize, s.m(), s.k(), s.n());
        }
        for (int i = 0; i < c.length; i++) {
            c[i] = (int) c[i];
        }
        return c;
    }

    private static Kernel matMulInteger(KernelRequest req) {
        require8Bit(req, 0, 1, 2, 3);
        return (in, ctx) -> {
            check8Bit(in[0], "A");
            check8Bit(in[1], "B");
            MatMulShape s = MatMulShape.of(in[0].shape(), in[1].shape());
            long[] c = integerMatMul(s, centered(in[0], in[2], true, "a"), centered(in[1], in[3], false, "b"));
            return new Tensor[] {RefSupport.integerTensor(ctx, DType.I32, s.outputShape(), c)};
        };
    }

    private static Kernel qlinearMatMul(KernelRequest req) {
        require8Bit(req, 0, 2, 3, 5, 7);
        for (int i : new int[] {1, 4, 6}) {
            RefSupport.requireKnownDType(req, i, DType.F32);
        }
        return (in, ctx) -> {
            check8Bit(in[0], "a");
            check8Bit(in[3], "b");
            MatMulShape s = MatMulShape.of(in[0].shape(), in[3].shape());
            long[] c = integerMatMul(s, centered(in[0], in[2], true, "a"), centered(in[3], in[5], false, "b"));
            long[] out = s.outputShape();
            float[] aScale = scalesOver(in[1], out, true, "a_scale");
            float[] bScale = scalesOver(in[4], out, false, "b_scale");
            float[] yScale = scalesOver(in[6], out, false, "y_scale");
            Tensor yZero = in[7];
            DType outType = yZero != null ? yZero.dtype() : in[0].dtype();
            QuantRange range = QuantRange.of(outType);
            int[] zMap = yZero == null ? null : RefSupport.broadcastIndex(yZero.shape(), out, "y_zero_point");
            Tensor y = ctx.allocate(outType, out);
            for (int i = 0; i < c.length; i++) {
                float multiplier = aScale[i] * bScale[i] / yScale[i]; // float32, as the reference
                y.setLong(i, range.requantize(c[i], multiplier, zMap == null ? 0 : yZero.getLong(zMap[i])));
            }
            return new Tensor[] {y};
        };
    }

    /** A scale (scalar, per row of a, or per column of b) spread over every output element. */
    private static float[] scalesOver(Tensor scale, long[] out, boolean perRow, String what) {
        RefSupport.requireDType(scale, DType.F32, what);
        long[] ss = scale.shape();
        if (perRow && ss.length == 1 && scale.size() > 1) {
            ss = new long[] {ss[0], 1};
        }
        int[] map = RefSupport.broadcastIndex(ss, out, what);
        float[] src = scale.toFloatArray();
        float[] v = new float[map.length];
        for (int i = 0; i < v.length; i++) {
            v[i] = src[map[i]];
        }
        return v;
    }

    /** int32 accumulation of a direct convolution over centered inputs: y += conv(x, w). */
    private static void convolve(ConvLayout layout, long[] x, long[] w, long[] y) {
        ConvGeometry g = layout.geometry();
        layout.forEachPlanePair((outBase, inBase, weightBase) -> g.forEachBlock(outBase, inBase, b -> {
            long wv = w[weightBase + b.tap];
            int count = b.count;
            int xStride = b.bigStride;
            for (int r = 0, yi = b.smallIndex, xi = b.bigIndex; r < b.rows; r++, yi += b.smallRowStep,
                xi += b.bigRowStep) {
                for (int i = 0; i < count; i++) {
                    y[yi + i] += wv * x[xi + i * xStride];
                }
            }
        }));
        for (int i = 0; i < y.length; i++) {
            y[i] = (int) y[i];
        }
    }

    /** A convolution's centered input: its zero point is a single value. */
    private static long[] centeredInput(Tensor x, Tensor zp) {
        if (zp != null && zp.size() != 1) {
            throw new IllegalArgumentException("x_zero_point must be a scalar, got " + Arrays.toString(zp.shape()));
        }
        return centered(x, zp == null ? null : zp.reshape(), false, "x");
    }

    /** Centered weights: the zero point is one value or one per output channel (W's first dim). */
    private static long[] centeredWeights(Tensor w, Tensor zp) {
        if (zp == null || zp.size() == 1) {
            return centered(w, zp == null ? null : zp.reshape(), false, "w");
        }
        if (zp.rank() != 1 || zp.dim(0) != w.dim(0)) {
            throw new IllegalArgumentException("w zero point " + Arrays.toString(zp.shape())
                + " must be one value or one per output channel");
        }
        long[] asColumn = new long[w.rank()];
        Arrays.fill(asColumn, 1);
        asColumn[0] = zp.dim(0);
        return centered(w, zp.reshape(asColumn), false, "w");
    }

    private static Kernel convInteger(KernelRequest req) {
        require8Bit(req, 0, 1, 2, 3);
        Node n = req.node();
        WindowAttrs attrs = WindowAttrs.of(n);
        long group = n.intAttr("group", 1);
        return (in, ctx) -> {
            check8Bit(in[0], "x");
            check8Bit(in[1], "w");
            ConvLayout layout = ConvLayout.of(in[0], in[1], attrs, group);
            long[] y = new long[layout.outputSize()];
            convolve(layout, centeredInput(in[0], in[2]), centeredWeights(in[1], in[3]), y);
            return new Tensor[] {RefSupport.integerTensor(ctx, DType.I32, layout.outputShape(), y)};
        };
    }

    private static Kernel qlinearConv(KernelRequest req) {
        require8Bit(req, 0, 2, 3, 5, 7);
        for (int i : new int[] {1, 4, 6}) {
            RefSupport.requireKnownDType(req, i, DType.F32);
        }
        RefSupport.requireKnownDType(req, 8, DType.I32);
        Node n = req.node();
        WindowAttrs attrs = WindowAttrs.of(n);
        long group = n.intAttr("group", 1);
        return (in, ctx) -> {
            check8Bit(in[0], "x");
            check8Bit(in[3], "w");
            ConvLayout layout = ConvLayout.of(in[0], in[3], attrs, group);
            int channels = layout.outChannels();
            float xScale = (float) RefSupport.scalar(in[1], "x_scale");
            float yScale = (float) RefSupport.scalar(in[6], "y_scale");
            long yZero = in[7] == null ? 0 : (long) RefSupport.scalar(in[7], "y_zero_point");
            Tensor wScale = in[4];
            RefSupport.requireDType(wScale, DType.F32, "w_scale");
            if (wScale.size() != 1 && wScale.size() != channels) {
                throw new IllegalArgumentException("w_scale must be one value or one per output channel");
            }
            long[] y = new long[layout.outputSize()];
            int plane = layout.geometry().smallVolume();
            if (in[8] != null) {
                RefSupport.requireDType(in[8], DType.I32, "B");
                if (in[8].size() != channels) {
                    throw new IllegalArgumentException("B must have " + channels + " values");
                }
                for (int i = 0; i < y.length; i++) {
                    y[i] = in[8].getLong((i / plane) % channels);
                }
            }
            convolve(layout, centeredInput(in[0], in[2]), centeredWeights(in[3], in[5]), y);
            DType outType = in[7] != null ? in[7].dtype() : in[0].dtype();
            QuantRange range = QuantRange.of(outType);
            Tensor out = ctx.allocate(outType, layout.outputShape());
            for (int i = 0; i < y.length; i++) {
                int m = (i / plane) % channels;
                float multiplier = xScale * wScale.getFloat(wScale.size() == 1 ? 0 : m) / yScale;
                out.setLong(i, range.requantize(y[i], multiplier, yZero));
            }
            return new Tensor[] {out};
        };
    }
}
