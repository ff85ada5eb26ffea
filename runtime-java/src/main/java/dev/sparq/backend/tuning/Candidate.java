package dev.sparq.backend.tuning;

import dev.sparq.backend.Kernel;
import java.util.function.Supplier;

/**
 * One way to run a node, e.g. "im2col-gemm" or "sparse-csr". Built only when it is timed or chosen (a cache hit
 * builds just the winner), so formats that lose cost no memory.
 */
public record Candidate(String name, Supplier<Kernel> build) {
    public Candidate {
        if (name.isBlank() || name.chars().anyMatch(c -> c <= ' ' || c == '=' || c == ',')) {
            throw new IllegalArgumentException("candidate name '" + name + "' must be one word without '=' or ','");
        }
    }
}
