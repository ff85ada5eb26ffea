package dev.sparq.graph.pass;

import dev.sparq.graph.Model;

/** One graph rewrite. Passes are small and separate, each with its own tests, and keep the graph's meaning. */
public interface GraphPass {
    String name();

    /** Rewrites the model's main graph in place; returns how many nodes it changed, added or removed. */
    int apply(Model model);
}
