package dev.sparq;

/** Base of every error sparq reports on purpose. Unchecked, like ONNX Runtime's OrtException is not: callers of a
 * runtime rarely recover mid-inference, and checked exceptions would leak into every lambda. */
public class SparqException extends RuntimeException {
    public SparqException(String message) {
        super(message);
    }

    public SparqException(String message, Throwable cause) {
        super(message, cause);
    }
}
