package dev.sparq.backend;

/** Thrown by a {@link KernelFactory} for a node it cannot implement; the message says what is missing. */
public class UnsupportedKernelException extends RuntimeException {
    public UnsupportedKernelException(String message) {
        super(message);
    }
}
