package dev.sparq.testing;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.sparq.tensor.Tensor;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Map;

/** Runs a model file in ONNX Runtime (Java, CPU, one thread, default optimizations): the independent reference. */
public final class OnnxRuntimeRunner {
    private OnnxRuntimeRunner() {
    }

    /** The first output, flattened, for one float input. */
    public static float[] run(Path model, String input, Tensor x) throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setIntraOpNumThreads(1);
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
}
