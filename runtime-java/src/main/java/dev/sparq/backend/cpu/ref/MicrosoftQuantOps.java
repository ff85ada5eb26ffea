package dev.sparq.backend.cpu.ref;

import dev.sparq.backend.Kernel;
import dev.sparq.backend.KernelRegistry;
import dev.sparq.backend.KernelRequest;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Shapes;
import dev.sparq.tensor.Tensor;

/**
 * ONNX Runtime's quantized contrib ops in domain com.microsoft: QLinearAdd, QLinearMul (numpy broadcasting) and
 * QLinearGlobalAveragePool. As a reference they are defined by their meaning: dequantize in float32, compute, then
 * quantize like QuantizeLinear ({@code saturate(rint(v / scale) + zp)}); ONNX Runtime's fixed-point paths may differ
 * from this by one unit.
 */
final class MicrosoftQuantOps {
    static final String DOMAIN = "com.microsoft";

    private MicrosoftQuantOps() {
    }

    static void register(KernelRegistry r) {
        r.register(DOMAIN, "QLinearAdd", RefSupport.withArity(8, req -> binary(req, false)));
        r.register(DOMAIN, "QLinearMul", RefSupport.withArity(8, req -> binary(req, true)));
        r.register(DOMAIN, "QLinearGlobalAveragePool", RefSupport.withArity(5, MicrosoftQuantOps::globalAveragePool));
    }

    /** One quantized operand: values, scale and zero point (scalars, as these ops require). */
    private record Quantized(Tensor values, float scale, long zeroPoint) {
        static Quantized of(Tensor values, Tensor scale, Tensor zeroPoint, String what) {
            if (values.dtype() != DType.U8 && values.dtype() != DType.I8) {
                throw new IllegalArgumentException(what + " must be uint8 or int8, not " + values.dtype());
            }
            RefSupport.requireDType(scale, DType.F32, what + " scale");
            return new Quantized(values, (float) RefSupport.scalar(scale, what + " scale"),
                zeroPoint == null ? 0 : (long) RefSupport.scalar(zeroPoint, what + " zero point"));
        }

        float dequantized(int i) {
            return ((float) values.getLong(i) - (float) zeroPoint) * scale;
        }
    }

    private static void require8BitAndF32(KernelRequest req, int[] quantized, int[] scales) {
        for (int i : quantized) {
            RefSupport.requireKnownDType(req, i, DType.U8, DType.I8);
        }
        for (int i : scales) {
            RefSupport.requireKnownDType(req, i, DType.F32);
        }
    }

    private static Kernel binary(KernelRequest req, boolean multiply) {
        require8BitAndF32(req, new int[] {0, 2, 3, 5, 7}, new int[] {1, 4, 6});
        return (in, ctx) -> {
            Quantized a = Quantized.of(in[0], in[1], in[2], "A");
            Quantized b = Quantized.of(in[3], in[4], in[5], "B");
            DType outType = in[7] != null ? in[7].dtype() : in[0].dtype();
            RefSupport.requireDType(in[6], DType.F32, "C scale");
            float cScale = (float) RefSupport.scalar(in[6], "C scale");
            long cZero = in[7] == null ? 0 : (long) RefSupport.scalar(in[7], "C zero point");
            long[] shape = Shapes.broadcast(in[0].shape(), in[3].shape());
            int[] aMap = RefSupport.broadcastIndex(in[0].shape(), shape, "A");
            int[] bMap = RefSupport.broadcastIndex(in[3].shape(), shape, "B");
            QuantRange range = QuantRange.of(outType);
            Tensor c = ctx.allocate(outType, shape);
            for (int i = 0; i < aMap.length; i++) {
                float x = a.dequantized(aMap[i]);
                float y = b.dequantized(bMap[i]);
                float v = multiply ? x * y : x + y;
                c.setLong(i, range.saturateRound(Math.rint(v / cScale) + cZero));
            }
            return new Tensor[] {c};
        };
    }

    private static Kernel globalAveragePool(KernelRequest req) {
        require8BitAndF32(req, new int[] {0, 2, 4}, new int[] {1, 3});
        boolean channelsLast = req.node().intAttr("channels_last", 0) != 0;
        return (in, ctx) -> {
            Quantized x = Quantized.of(in[0], in[1], in[2], "X");
            RefSupport.requireRank(in[0], 3, "X");
            DType outType = in[4] != null ? in[4].dtype() : in[0].dtype();
            RefSupport.requireDType(in[3], DType.F32, "y_scale");
            float yScale = (float) RefSupport.scalar(in[3], "y_scale");
            long yZero = in[4] == null ? 0 : (long) RefSupport.scalar(in[4], "y_zero_point");
            long[] shape = in[0].shape();
            int rank = shape.length;
            int batch = (int) shape[0];
            int channels = (int) shape[channelsLast ? rank - 1 : 1];
            int vol = Math.toIntExact(in[0].size() / ((long) batch * channels));
            long[] outShape = new long[rank];
            java.util.Arrays.fill(outShape, 1);
            outShape[0] = batch;
            outShape[channelsLast ? rank - 1 : 1] = channels;
            QuantRange range = QuantRange.of(outType);
            Tensor y = ctx.allocate(outType, outShape);
            for (int b = 0; b < batch; b++) {
                for (int c = 0; c < channels; c++) {
                    long sum = 0;
                    for (int s = 0; s < vol; s++) {
                        int i = channelsLast ? (b * vol + s) * channels + c : (b * channels + c) * vol + s;
                        sum += in[0].getLong(i) - x.zeroPoint();
                    }
                    double mean = (double) sum / vol * x.scale();
                    y.setLong(b * channels + c, range.saturateRound(Math.rint(mean / yScale) + yZero));
                }
            }
            return new Tensor[] {y};
        };
    }
}
