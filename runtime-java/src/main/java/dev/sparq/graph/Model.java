package dev.sparq.graph;

import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.Map;

/**
 * An imported model: its main graph, the opset versions it was written for, and the arena that owns every
 * initializer and tensor attribute. Closing the model frees that memory.
 */
public final class Model implements AutoCloseable {
    private final Path source;
    private final Graph graph;
    private final Map<String, Long> opsets;
    private final long irVersion;
    private final String producer;
    private final Arena arena;

    public Model(Path source, Graph graph, Map<String, Long> opsets, long irVersion, String producer, Arena arena) {
        this.source = source;
        this.graph = graph;
        this.opsets = Map.copyOf(opsets);
        this.irVersion = irVersion;
        this.producer = producer;
        this.arena = arena;
    }

    public Path source() {
        return source;
    }

    public Graph graph() {
        return graph;
    }

    /** Opset version per domain ("" is the default ONNX domain). */
    public Map<String, Long> opsets() {
        return opsets;
    }

    public long opset(String domain) {
        return opsets.getOrDefault(domain == null || domain.equals("ai.onnx") ? "" : domain, 0L);
    }

    /**
     * The opset a node's kernel is chosen by: its domain's version, except for com.microsoft contrib ops (one
     * version each) and sparq's own fused ops, which get the default ONNX opset that the ONNX ops inside them follow.
     */
    public long opsetFor(Node node) {
        return node.domain().equals("com.microsoft") || node.domain().equals(ClampedQuantizedOp.DOMAIN) ? opset("")
            : opset(node.domain());
    }

    public long irVersion() {
        return irVersion;
    }

    public String producer() {
        return producer;
    }

    /** The arena that owns the weights; kernels that pre-pack weights allocate here so they live as long. */
    public Arena arena() {
        return arena;
    }

    private boolean closed;

    public boolean isClosed() {
        return closed;
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            arena.close();
        }
    }
}
