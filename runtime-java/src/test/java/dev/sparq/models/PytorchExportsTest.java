package dev.sparq.models;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparq.Session;
import dev.sparq.SessionOptions;
import dev.sparq.Sparq;
import dev.sparq.tensor.Npy;
import dev.sparq.tensor.Tensor;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What torch.onnx.export writes for transformer encoders and conv autoencoders (made by
 * src/test/resources/pytorch-exports/make_models.py) runs on cpu-ref and matches torch.
 */
class PytorchExportsTest {
    @ParameterizedTest
    @ValueSource(strings = {"encoder_opset13", "encoder_opset17", "autoencoder_nearest_opset11",
        "autoencoder_bilinear_opset13"})
    void matchesTorch(String name) throws URISyntaxException {
        Path dir = Path.of(PytorchExportsTest.class.getResource("/pytorch-exports/make_models.py").toURI()).getParent();
        try (Session s = Sparq.load(dir.resolve(name + ".onnx"), SessionOptions.builder().backend("cpu-ref").build());
             Tensor x = Npy.read(dir.resolve(name + ".input_0.npy"));
             Tensor expected = Npy.read(dir.resolve(name + ".output_0.npy"));
             Session.Result r = s.run(Map.of(s.inputs().get(0).name(), x))) {
            double scale = 0;
            for (long i = 0; i < expected.size(); i++) {
                scale = Math.max(scale, Math.abs(expected.getFloat(i)));
            }
            double err = ReferenceModelsTest.maxAbsDiff(r.first(), expected);
            assertTrue(err <= 1e-4 * Math.max(1, scale), name + ": max abs error " + err + " (output scale " + scale + ")");
        }
    }
}
