package dev.sparq.backend;

/**
 * Makes a kernel for one node. Throws {@link UnsupportedKernelException} when this implementation cannot handle
 * the node (an attribute value, dtype or opset it does not implement); the backend then reports no kernel.
 */
@FunctionalInterface
public interface KernelFactory {
    Kernel create(KernelRequest request);
}
