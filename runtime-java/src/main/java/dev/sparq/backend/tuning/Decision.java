package dev.sparq.backend.tuning;

import java.util.Map;

/** The outcome of timing one node's candidates: the fastest, and each candidate's nanoseconds per run. */
public record Decision(String chosen, Map<String, Double> nanos) {
    public Decision {
        nanos = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(nanos));
        if (!nanos.containsKey(chosen)) {
            throw new IllegalArgumentException("chosen '" + chosen + "' was not timed");
        }
    }
}
