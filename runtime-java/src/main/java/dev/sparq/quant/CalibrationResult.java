package dev.sparq.quant;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The outcome of calibration: quantization parameters of every calibrated activation (by value name), the
 * per-channel scales of the weights, the range method and how many samples were seen. Immutable.
 */
public final class CalibrationResult {
    private final Map<String, TensorQuant> activations;
    private final Map<String, WeightQuant> weights;
    private final String method;
    private final int samples;

    public CalibrationResult(String method, int samples, Map<String, TensorQuant> activations,
                             Map<String, WeightQuant> weights) {
        this.method = method;
        this.samples = samples;
        this.activations = Collections.unmodifiableMap(new LinkedHashMap<>(activations));
        this.weights = Collections.unmodifiableMap(new LinkedHashMap<>(weights));
    }

    /** Activation parameters by value name, in the order the model produced them. */
    public Map<String, TensorQuant> activations() {
        return activations;
    }

    /** Per-output-channel int8 weight scales by initializer name (empty for a result read from a cache). */
    public Map<String, WeightQuant> weights() {
        return weights;
    }

    /** The range method: "entropy", "minmax", "percentile", "mse", or the algorithm named by a foreign cache. */
    public String method() {
        return method;
    }

    /** Samples calibration ran over (0 for a result read from a cache). */
    public int samples() {
        return samples;
    }

    /**
     * A session running the INT8 model directly, without writing a file: {@code fp32} quantized as
     * {@link QdqWriter} would write it (the FP32 model stays open and unchanged), then optimized as any loaded model
     * is, so QDQ chains run as integer ops.
     */
    public dev.sparq.Session quantizedSession(dev.sparq.graph.Model fp32, dev.sparq.SessionOptions options) {
        return dev.sparq.Session.create(QdqWriter.quantize(fp32, activations), options);
    }

    /** Writes the activation scales as a TensorRT text calibration cache (see {@link CalibrationCache}). */
    public void writeCache(Path file) throws IOException {
        CalibrationCache.write(this, file);
    }

    /** Reads a TensorRT text calibration cache instead of calibrating; int8 zero points are 0. */
    public static CalibrationResult fromCache(Path file, QuantScheme scheme) {
        return CalibrationCache.read(file, scheme);
    }
}
