package dev.sparq.quant;

import dev.sparq.Session;
import dev.sparq.SessionOptions;
import dev.sparq.graph.pass.GraphOptimizer;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A minimal max|x| calibration for tests: runs the FP32 model once on cpu-ref with the graph as imported (so value
 * names are the file's), records max |x| of every float value and writes a TensorRT-format cache, read back with
 * {@link CalibrationResult#fromCache} — the path that works with the stand-in and the real calibrator alike.
 */
public final class TestCalibrations {
    private TestCalibrations() {
    }

    public static CalibrationResult maxAbs(Path model, Map<String, Tensor> inputs, QuantScheme scheme, Path cache)
        throws IOException {
        Map<String, Float> maxAbs = new LinkedHashMap<>();
        inputs.forEach((name, t) -> observe(maxAbs, name, t));
        SessionOptions options = SessionOptions.builder().backend("cpu-ref")
            .optimization(GraphOptimizer.Level.NONE).build();
        try (Session s = dev.sparq.Sparq.load(model, options);
             Session.Result r = s.run(inputs, (name, t) -> observe(maxAbs, name, t))) {
            r.asMap().forEach((name, t) -> observe(maxAbs, name, t));
        }
        StringBuilder text = new StringBuilder("TRT-8601-MinMaxCalibration\n");
        maxAbs.forEach((name, m) -> text.append(name).append(": ")
            .append(String.format("%08x", Float.floatToRawIntBits(m > 0 ? m / 127f : 1f))).append('\n'));
        Files.writeString(cache, text);
        return CalibrationResult.fromCache(cache, scheme);
    }

    private static void observe(Map<String, Float> maxAbs, String name, Tensor t) {
        if (t.dtype() != DType.F32) {
            return;
        }
        float m = 0;
        for (float v : t.toFloatArray()) {
            m = Math.max(m, Math.abs(v));
        }
        maxAbs.merge(name, m, Math::max);
    }
}
