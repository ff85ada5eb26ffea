package dev.sparq.graph;

/** A problem inside a model file; the importer prefixes the file's path before it reaches the user. */
public class ModelFormatException extends RuntimeException {
    public ModelFormatException(String message) {
        super(message);
    }
}
