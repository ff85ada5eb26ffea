package dev.sparq.backend;

import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A backend's table from (domain, op type) to kernel factory: the one hop from an op's name to its kernel.
 * Filled once when the backend is built, read-only afterwards.
 */
public final class KernelRegistry {
    private final Map<String, KernelFactory> factories = new TreeMap<>();

    public KernelRegistry register(String opType, KernelFactory factory) {
        return register("", opType, factory);
    }

    public KernelRegistry register(String domain, String opType, KernelFactory factory) {
        String key = key(domain, opType);
        if (factories.putIfAbsent(key, factory) != null) {
            throw new IllegalStateException("two kernels registered for " + key);
        }
        return this;
    }

    public KernelFactory find(String domain, String opType) {
        return factories.get(key(domain, opType));
    }

    /** A kernel for the request's node, or empty when no factory is registered or the factory declines. */
    public java.util.Optional<Kernel> kernelFor(KernelRequest request) {
        KernelFactory f = find(request.node().domain(), request.node().opType());
        if (f == null) {
            return java.util.Optional.empty();
        }
        try {
            return java.util.Optional.of(f.create(request));
        } catch (UnsupportedKernelException e) {
            return java.util.Optional.empty();
        }
    }

    /** Why this registry has no kernel for the node, or null if it has one. */
    public String whyUnsupported(KernelRequest request) {
        KernelFactory f = find(request.node().domain(), request.node().opType());
        if (f == null) {
            return "operator " + request.node().opType() + " is not implemented";
        }
        try {
            f.create(request);
            return null;
        } catch (UnsupportedKernelException e) {
            return e.getMessage();
        }
    }

    /** Registered op types, "domain:op" for non-default domains. */
    public Set<String> opTypes() {
        return new TreeSet<>(factories.keySet());
    }

    private static String key(String domain, String opType) {
        return domain == null || domain.isEmpty() || domain.equals("ai.onnx") ? opType : domain + ":" + opType;
    }
}
