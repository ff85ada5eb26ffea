package dev.sparq.compress;

import dev.sparq.graph.Model;
import dev.sparq.onnx.OnnxExporter;
import java.io.IOException;
import java.nio.file.Path;

/**
 * What a compression tool returns: the new model (its own memory, closed with this) and what changed.
 *
 * @param model  the compressed model; the source model is left untouched
 * @param report per-layer parameters and nonzeros before and after, layers left alone and why
 */
public record Compressed(Model model, CompressionReport report) implements AutoCloseable {
    /** Writes the model as an ONNX file. */
    public void write(Path file) throws IOException {
        OnnxExporter.write(model, file);
    }

    @Override
    public void close() {
        model.close();
    }
}
