package dev.sparq.backend.cpu.ref;

import dev.sparq.backend.Kernel;
import dev.sparq.backend.KernelRegistry;
import dev.sparq.backend.KernelRequest;
import dev.sparq.backend.UnsupportedKernelException;
import dev.sparq.graph.Node;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Shapes;
import dev.sparq.tensor.Tensor;
import java.util.Arrays;

/**
 * QuantizeLinear, DequantizeLinear (per tensor; per axis from opset 13; blocked from opset 21) and
 * DynamicQuantizeLinear. {@code q = saturate(round_half_even(x / scale) + zero_point)}, {@code x = (q - zp) * scale}.
 */
final class QuantizeOps {
    private QuantizeOps() {
    }

    static void register(KernelRegistry r) {
        r.register("QuantizeLinear", RefSupport.withArity(3, QuantizeOps::quantize));
        r.register("DequantizeLinear", RefSupport.withArity(3, QuantizeOps::dequantize));
        r.register("DynamicQuantizeLinear", QuantizeOps::dynamicQuantize);
    }

    private static final DType[] QUANTIZED = {DType.U8, DType.I8, DType.U16, DType.I16};

    /** Axis and block size of the scale, with the opset rules: no axis before 13, no blocks before 21. */
    private record ScaleLayout(long axis, long blockSize) {
        static ScaleLayout of(KernelRequest req) {
            Node n = req.node();
            long block = req.opset() >= 21 ? n.intAttr("block_size", 0) : 0;
            return new ScaleLayout(req.opset() >= 13 ? n.intAttr("axis", 1) : 1, block);
        }

        /** For each element of {@code x}, the index of its scale (and zero point) element. */
        int[] map(long[] x, Tensor scale) {
            if (blockSize < 0) {
                throw new IllegalArgumentException("block_size must be >= 0, got " + blockSize);
            }
            int[] out = new int[Math.toIntExact(Shapes.size(x))];
            if (scale.size() == 1 && blockSize == 0) {
                return out;
            }
            int ax = Shapes.axis(axis, x.length, "axis");
            long[] s = scale.shape();
            long[] strides;
            if (blockSize == 0) {
                if (s.length != 1 || s[0] != x[ax]) {
                    throw new IllegalArgumentException("per-axis scale " + Arrays.toString(s) + " does not match"
                        + " axis " + ax + " of " + Arrays.toString(x));
                }
                strides = new long[x.length];
                strides[ax] = 1;
            } else {
                for (int d = 0; d < x.length; d++) {
                    long expected = d == ax ? ConvGeometry.ceilDiv(x[d], blockSize) : x[d];
                    if (s.length != x.length || s[d] != expected) {
                        throw new IllegalArgumentException("blocked scale " + Arrays.toString(s)
                            + " does not match " + Arrays.toString(x) + " with block_size " + blockSize);
                    }
                }
                strides = Shapes.strides(s);
            }
            for (int i = 0; i < out.length; i++) {
                long rest = i;
                long flat = 0;
                for (int d = x.length - 1; d >= 0; d--) {
                    long coord = rest % x[d];
                    rest /= x[d];
                    flat += (d == ax && blockSize > 0 ? coord / blockSize : coord) * strides[d];
                }
                out[i] = (int) flat;
            }
            return out;
        }
    }

    private static void checkZeroPoint(Tensor scale, Tensor zeroPoint) {
        if (zeroPoint != null && !Arrays.equals(scale.shape(), zeroPoint.shape()) && zeroPoint.size() != scale.size()) {
            throw new IllegalArgumentException("zero point " + Arrays.toString(zeroPoint.shape())
                + " and scale " + Arrays.toString(scale.shape()) + " differ in shape");
        }
    }

    private static Kernel quantize(KernelRequest req) {
        RefSupport.requireKnownDType(req, 0, DType.F32, DType.I32);
        RefSupport.requireKnownDType(req, 1, DType.F32);
        RefSupport.requireKnownDType(req, 2, QUANTIZED);
        ScaleLayout layout = ScaleLayout.of(req);
        long outputDtypeCode = req.opset() >= 21 ? req.node().intAttr("output_dtype", 0) : 0;
        DType declared = outputDtypeCode == 0 ? null : DType.fromOnnx((int) outputDtypeCode);
        if (outputDtypeCode != 0 && (declared == null || !Arrays.asList(QUANTIZED).contains(declared))) {
            throw new UnsupportedKernelException("QuantizeLinear to " + DType.onnxName((int) outputDtypeCode));
        }
        return (in, ctx) -> {
            Tensor x = in[0];
            Tensor scale = in[1];
            Tensor zp = in[2];
            RefSupport.requireDType(scale, DType.F32, "y_scale");
            checkZeroPoint(scale, zp);
            DType outType = zp != null ? zp.dtype() : declared != null ? declared : DType.U8;
            if (declared != null && outType != declared) {
                throw new IllegalArgumentException("y_zero_point is " + outType + " but output_dtype is " + declared);
            }
            QuantRange range = QuantRange.of(outType);
            int[] map = layout.map(x.shape(), scale);
            Tensor y = ctx.allocate(outType, x.shape());
            boolean floatInput = x.dtype() == DType.F32;
            for (int i = 0; i < map.length; i++) {
                float s = scale.getFloat(map[i]);
                // numpy divides float32 by float32 in float32, but an int32 x by a float32 scale in float64.
                double v = floatInput ? x.getFloat(i) / s : x.getLong(i) / (double) s;
                long z = zp == null ? 0 : zp.getLong(map[i]);
                y.setLong(i, range.saturateRound(Math.rint(v) + z));
            }
            return new Tensor[] {y};
        };
    }

    private static Kernel dequantize(KernelRequest req) {
        RefSupport.requireKnownDType(req, 0, DType.U8, DType.I8, DType.U16, DType.I16, DType.I32);
        RefSupport.requireKnownDType(req, 1, DType.F32);
        ScaleLayout layout = ScaleLayout.of(req);
        return (in, ctx) -> {
            Tensor x = in[0];
            Tensor scale = in[1];
            Tensor zp = in[2];
            RefSupport.requireDType(scale, DType.F32, "x_scale");
            checkZeroPoint(scale, zp);
            if (zp != null && zp.dtype() != x.dtype()) {
                throw new IllegalArgumentException("x_zero_point is " + zp.dtype() + " but x is " + x.dtype());
            }
            QuantRange.of(x.dtype());
            int[] map = layout.map(x.shape(), scale);
            float[] y = new float[map.length];
            for (int i = 0; i < y.length; i++) {
                float z = zp == null ? 0f : (float) zp.getLong(map[i]);
                y[i] = ((float) x.getLong(i) - z) * scale.getFloat(map[i]);
            }
            return new Tensor[] {RefSupport.f32Tensor(ctx, x.shape(), y)};
        };
    }

    /** uint8 quantization with a range that always includes 0, computed in float32 as ONNX's reference does. */
    private static Kernel dynamicQuantize(KernelRequest req) {
        RefSupport.requireKnownDType(req, 0, DType.F32);
        return (in, ctx) -> {
            float[] x = RefSupport.f32(in[0], "x");
            float max = 0f;
            float min = 0f;
            for (float v : x) {
                max = Math.max(max, v);
                min = Math.min(min, v);
            }
            QuantRange range = QuantRange.of(DType.U8);
            float scale = (max == min ? 1f : max - min) / (float) (range.max() - range.min());
            float initialZeroPoint = (float) range.min() - min / scale;
            float zeroPoint = (float) Math.rint(Math.max(range.min(), Math.min(range.max(), initialZeroPoint)));
            Tensor y = ctx.allocate(DType.U8, in[0].shape());
            for (int i = 0; i < x.length; i++) {
                y.setLong(i, range.saturateRound(Math.rint(x[i] / scale) + zeroPoint));
            }
            Tensor yScale = ctx.allocate(DType.F32);
            yScale.setFloat(0, scale);
            Tensor yZero = ctx.allocate(DType.U8);
            yZero.setLong(0, (long) zeroPoint);
            return new Tensor[] {y, yScale, yZero};
        };
    }
}
