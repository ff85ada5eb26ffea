package dev.sparq.backend.tuning;

import dev.sparq.tensor.Tensor;
import java.util.List;
import java.util.function.Supplier;

/**
 * What the tuner needs to pick an implementation for one node.
 *
 * @param backend    the backend and its instruction set, e.g. "cpu-simd 512-bit Vector API": part of the device key
 * @param op         the operator, e.g. "Conv"
 * @param shape      everything that decides which candidate is fastest (input shape, weight shape, density,
 *                   attributes): with {@code op}, backend and the candidate names, the cache key
 * @param detail     what inspect shows next to the choice, e.g. "90.0% zeros" (may be empty)
 * @param candidates at least one, names distinct; the first is the baseline (the plain dense implementation),
 *                   which another candidate must clearly beat to be chosen
 * @param rule       the candidate today's fixed rules pick: used when tuning is off or cannot time
 * @param inputs     fresh synthetic inputs of the real shape (the tuner closes them after timing), or
 *                   null when the shape is not known at load: then the rule decides
 * @param note       how the timing shape relates to the real one, e.g. "timed at batch 1 (batch is symbolic)"
 * @param warmup     run before timing (may be null): brings the candidates' code to its compiled steady state, so
 *                   the timing does not measure the JIT; the backend makes it do its work once per process
 */
public record TuningRequest(String backend, String op, String shape, String detail, List<Candidate> candidates,
                            String rule, Supplier<Tensor[]> inputs, String note, Runnable warmup) {
    public TuningRequest {
        candidates = List.copyOf(candidates);
        if (candidates.isEmpty()) {
            throw new IllegalArgumentException("no candidates for " + op);
        }
        if (candidates.stream().map(Candidate::name).distinct().count() != candidates.size()) {
            throw new IllegalArgumentException("duplicate candidate names for " + op);
        }
        if (candidates.stream().noneMatch(c -> c.name().equals(rule))) {
            throw new IllegalArgumentException("rule '" + rule + "' is not a candidate of " + op);
        }
        detail = detail == null ? "" : detail;
        note = note == null ? "" : note;
    }

    /** A request without a JIT warm-up (code already warm, or not JIT-compiled). */
    public TuningRequest(String backend, String op, String shape, String detail, List<Candidate> candidates,
                         String rule, Supplier<Tensor[]> inputs, String note) {
        this(backend, op, shape, detail, candidates, rule, inputs, note, null);
    }

    /** The cache key: op, shape and the candidates on offer (a new candidate means timing again). */
    String key() {
        return op + " " + shape + " {" + String.join(",", candidates.stream().map(Candidate::name).toList()) + "}";
    }

    Candidate candidate(String name) {
        return candidates.stream().filter(c -> c.name().equals(name)).findFirst().orElse(null);
    }
}
