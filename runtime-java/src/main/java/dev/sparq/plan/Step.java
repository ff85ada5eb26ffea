package dev.sparq.plan;

import dev.sparq.backend.Kernel;
import dev.sparq.graph.Node;

/** One node of a plan bound to the backend and kernel that run it; inputs and outputs as value slots (-1 = absent). */
public record Step(Node node, String backendId, Kernel kernel, int[] inputs, int[] outputs) {
}
