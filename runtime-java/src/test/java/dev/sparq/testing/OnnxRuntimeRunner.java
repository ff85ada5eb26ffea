package dev.sparq.testing;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.sparq.tensor.Tensor;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Map;

/** Runs a model file in ONNX Runtime (Java, CPU, one thread): the independent reference. */
public final class OnnxRuntimeRunner {
    private OnnxRuntimeRunner() {
    }

    /** The first output, flattened, for one float input, with ONNX Runtime's default graph optimizations. */
    public static float[] run(Path model, String input, Tensor x) throws OrtException {
        return run(model, input, x, true);
    }

    /**
     * As {@link #run(Path, String, Tensor)}; {@code optimize} false runs the graph as written (QDQ stays float
     * DequantizeLinear → op → QuantizeLinear instead of becoming ONNX Runtime's integer kernels).
     */
    public static float[] run(Path model, String input, Tensor x, boolean optimize) throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(1);
            if (!optimize) {
                options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.NO_OPT);
            }
            try (OrtSession s = env.createSession(model.toString(), options);
                 OnnxTensor in = OnnxTensor.createTensor(env, FloatBuffer.wrap(x.toFloatArray()), x.shape());
                 OrtSession.Result r = s.run(Map.of(input, in))) {
                FloatBuffer out = ((OnnxTensor) r.get(0)).getFloatBuffer();
                float[] flat = new float[out.remaining()];
                out.get(flat);
                return flat;
            }
        }
    }

    /** Every 8-bit output (quantized codes, uint8 read unsigned) by name, running the graph as written. */
    public static Map<String, long[]> codes(Path model, String input, Tensor x) throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        Map<String, long[]> out = new java.util.LinkedHashMap<>();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(1);
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.NO_OPT);
            try (OrtSession s = env.createSession(model.toString(), options);
                 OnnxTensor in = OnnxTensor.createTensor(env, FloatBuffer.wrap(x.toFloatArray()), x.shape());
                 OrtSession.Result r = s.run(Map.of(input, in))) {
                for (Map.Entry<String, ai.onnxruntime.OnnxValue> e : r) {
                    OnnxTensor t = (OnnxTensor) e.getValue();
                    ai.onnxruntime.OnnxJavaType type = t.getInfo().type;
                    if (type == ai.onnxruntime.OnnxJavaType.INT8 || type == ai.onnxruntime.OnnxJavaType.UINT8) {
                        java.nio.ByteBuffer b = t.getByteBuffer();
                        long[] v = new long[b.remaining()];
                        for (int i = 0; i < v.length; i++) {
                            v[i] = type == ai.onnxruntime.OnnxJavaType.UINT8 ? b.get(i) & 0xFF : b.get(i);
                        }
                        out.put(e.getKey(), v);
                    }
                }
            }
        }
        return out;
    }
}
