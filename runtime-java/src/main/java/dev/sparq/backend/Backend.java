package dev.sparq.backend;

import dev.sparq.graph.Node;
import dev.sparq.graph.pass.GraphPass;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * A place kernels run: a CPU implementation, a native library, a GPU. Backends are found through
 * {@link java.util.ServiceLoader} (see {@link Backends}); one that cannot run on this machine still registers and
 * says why through {@link #availability()}, so {@code sparq devices} can tell the user.
 */
public interface Backend {
    /** Stable id used on the command line and in plans, e.g. {@code cpu-ref}. */
    String id();

    /** One line on what this backend is. */
    String description();

    /** Whether it can run here, and if not, exactly why. Must not throw. */
    Availability availability();

    /**
     * A kernel for the node, or empty if this backend cannot run it (unknown op, unsupported dtype or attribute):
     * the planner then tries the next backend. Like ONNX Runtime's GetCapability, but per node.
     */
    Optional<Kernel> kernelFor(KernelRequest request);

    /**
     * Passes that put the graph into this backend's own layout (e.g. channels-last), run after the graph optimizer
     * when the optimization level is ALL and this is the first selected backend that has any. They must leave
     * alone the nodes {@code claimed} says an earlier backend in the preference order takes, and make only nodes
     * this backend runs.
     */
    default List<GraphPass> layoutPasses(Predicate<Node> claimed) {
        return List.of();
    }
}
