package dev.sparq.quant;

import dev.sparq.Session;
import dev.sparq.SessionOptions;
import dev.sparq.graph.pass.GraphOptimizer;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A minimal max|x| calibration for the QDQ tests, independent of {@link Calibrator}: runs the FP32 model once on
 * cpu-ref with the graph as imported (so value names are the file's) and records max |x| of every float value.
 * int8: scale max/127, zero point 0; uint8: the same symmetric range on 0..255 (scale 2·max/255, zero point 128).
 */
public final class TestCalibrations {
    private TestCalibrations() {
    }

    public static CalibrationResult maxAbs(Path model, Map<String, Tensor> inputs, QuantScheme scheme) {
        Map<String, Float> maxAbs = new LinkedHashMap<>();
        inputs.forEach((name, t) -> observe(maxAbs, name, t));
        SessionOptions options = SessionOptions.builder().backend("cpu-ref")
            .optimization(GraphOptimizer.Level.NONE).build();
        try (Session s = dev.sparq.Sparq.load(model, options);
             Session.Result r = s.run(inputs, (name, t) -> observe(maxAbs, name, t))) {
            r.asMap().forEach((name, t) -> observe(maxAbs, name, t));
        }
        Map<String, TensorQuant> acts = new LinkedHashMap<>();
        maxAbs.forEach((name, m) -> {
            float max = m > 0 ? m : 1f;
            acts.put(name, switch (scheme) {
                case INT8_SYMMETRIC -> new TensorQuant(name, max / 127, 0, DType.I8);
                case UINT8_ASYMMETRIC -> new TensorQuant(name, 2 * max / 255, 128, DType.U8);
            });
        });
        int samples = (int) inputs.values().iterator().next().dim(0);
        return new CalibrationResult("test-maxabs", samples, acts, Map.of());
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

    /**
     * Writes a uint8 QDQ model of {@code fp32} (single input "input") calibrated by max |x| on {@code x}: uint8 on
     * [0, max] with zero point 0, right for models whose quantized activations are all >= 0 (pixels, Relu outputs),
     * as an asymmetric min/max calibration gives.
     */
    public static void writeUint8Qdq(Path fp32, Tensor x, Path out) throws IOException {
        CalibrationResult cal = maxAbs(fp32, Map.of("input", x), QuantScheme.INT8_SYMMETRIC);
        Map<String, TensorQuant> u8 = new LinkedHashMap<>();
        cal.activations().forEach((name, q) -> u8.put(name, new TensorQuant(name, q.scale() * 127 / 255, 0, DType.U8)));
        try (dev.sparq.graph.Model m = dev.sparq.Sparq.loadModel(fp32)) {
            QdqWriter.write(m, u8, out);
        }
    }
}
