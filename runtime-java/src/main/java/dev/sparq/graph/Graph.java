package dev.sparq.graph;

import dev.sparq.tensor.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A computation graph: nodes in topological order, named inputs and outputs, constant initializers and the type
 * of every value known from the file or from shape inference. Initializer memory belongs to the {@link Model}.
 */
public final class Graph {
    private final String name;
    private final List<Node> nodes;
    private final List<ValueInfo> inputs;
    private final List<ValueInfo> outputs;
    private final Map<String, Tensor> initializers;
    private final Map<String, ValueType> types;

    public Graph(String name, List<Node> nodes, List<ValueInfo> inputs, List<ValueInfo> outputs,
                 Map<String, Tensor> initializers, Map<String, ValueType> types) {
        this.name = name;
        this.nodes = new ArrayList<>(nodes);
        this.inputs = List.copyOf(inputs);
        this.outputs = List.copyOf(outputs);
        this.initializers = new LinkedHashMap<>(initializers);
        this.types = new LinkedHashMap<>(types);
    }

    public String name() {
        return name;
    }

    public List<Node> nodes() {
        return nodes;
    }

    /** Graph inputs that are fed at run time (initializers listed as inputs are not included). */
    public List<ValueInfo> inputs() {
        return inputs;
    }

    public List<ValueInfo> outputs() {
        return outputs;
    }

    public Map<String, Tensor> initializers() {
        return initializers;
    }

    /** Known type of a value, or {@link ValueType#UNKNOWN}. */
    public ValueType type(String value) {
        return types.getOrDefault(value, ValueType.UNKNOWN);
    }

    public Map<String, ValueType> types() {
        return types;
    }

    public void setType(String value, ValueType type) {
        types.put(value, type);
    }
}
