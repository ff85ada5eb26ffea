package dev.sparq.backend;

import dev.sparq.graph.ClampedQuantizedOp;
import dev.sparq.graph.Node;
import dev.sparq.graph.ValueType;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import java.lang.foreign.Arena;
import java.util.Map;

/**
 * Everything a backend may look at when choosing a kernel for a node: the node, the opset version of its domain,
 * which inputs are constant (initializers, with their values), the types known at load, and the arena where
 * pre-packed weights may be put so they live as long as the session.
 */
public record KernelRequest(Node node, long opset, Map<String, Tensor> constants, Map<String, ValueType> types,
                            Arena weightArena) {
    /** The constant value of input {@code i}, or null if it is computed at run time or absent. */
    public Tensor constantInput(int i) {
        return node.hasInput(i) ? constants.get(node.input(i)) : null;
    }

    public ValueType inputType(int i) {
        return node.hasInput(i) ? types.getOrDefault(node.input(i), ValueType.UNKNOWN) : ValueType.UNKNOWN;
    }

    /**
     * [min, max] of the node's 8-bit output of {@code type}: the type's range, or the bounds of a fused clamp
     * ({@link ClampedQuantizedOp}); malformed bounds are not supported.
     */
    public int[] outputBounds(DType type) {
        int[] b = ClampedQuantizedOp.bounds(node, type);
        if (b == null) {
            throw new UnsupportedKernelException(ClampedQuantizedOp.malformed(node, type));
        }
        return b;
    }
}
