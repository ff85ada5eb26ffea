package dev.sparq;

import dev.sparq.graph.Model;
import dev.sparq.onnx.OnnxImporter;
import java.nio.file.Path;

/** Entry point: load a model into a {@link Session}. */
public final class Sparq {
    private Sparq() {
    }

    public static Session load(Path model) {
        return load(model, SessionOptions.defaults());
    }

    /** Loads an ONNX file and plans it; bad files throw {@link InvalidInputException} naming the file. */
    public static Session load(Path model, SessionOptions options) {
        return Session.create(loadModel(model), options);
    }

    /** Imports a model without planning it (for inspection and graph tools). */
    public static Model loadModel(Path model) {
        return OnnxImporter.load(model);
    }

    public static String version() {
        String v = Sparq.class.getPackage().getImplementationVersion();
        return v != null ? v : "dev";
    }
}
