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

    /** Registered op types, "domain:op" for non-default domains. */
    public Set<String> opTypes() {
        return new TreeSet<>(factories.keySet());
    }

    private static String key(String domain, String opType) {
        return domain == null || domain.isEmpty() || domain.equals("ai.onnx") ? opType : domain + ":" + opType;
    }
}
