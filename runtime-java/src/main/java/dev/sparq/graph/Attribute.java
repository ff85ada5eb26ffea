package dev.sparq.graph;

import dev.sparq.tensor.Tensor;
import java.util.List;

/** A node attribute: one of ONNX's attribute kinds and its value (boxed; lists are immutable). */
public record Attribute(String name, Type type, Object value) {
    public enum Type { FLOAT, INT, STRING, TENSOR, GRAPH, FLOATS, INTS, STRINGS, TENSORS, GRAPHS, OTHER }

    public float asFloat() {
        return switch (type) {
            case FLOAT -> (Float) value;
            case INT -> (Long) value;
            default -> throw wrong("a float");
        };
    }

    public long asInt() {
        if (type != Type.INT) {
            throw wrong("an int");
        }
        return (Long) value;
    }

    public String asString() {
        if (type != Type.STRING) {
            throw wrong("a string");
        }
        return (String) value;
    }

    public Tensor asTensor() {
        if (type != Type.TENSOR) {
            throw wrong("a tensor");
        }
        return (Tensor) value;
    }

    public Graph asGraph() {
        if (type != Type.GRAPH) {
            throw wrong("a graph");
        }
        return (Graph) value;
    }

    public long[] asInts() {
        if (type != Type.INTS) {
            throw wrong("a list of ints");
        }
        @SuppressWarnings("unchecked")
        List<Long> l = (List<Long>) value;
        return l.stream().mapToLong(Long::longValue).toArray();
    }

    public float[] asFloats() {
        if (type != Type.FLOATS) {
            throw wrong("a list of floats");
        }
        @SuppressWarnings("unchecked")
        List<Float> l = (List<Float>) value;
        float[] out = new float[l.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = l.get(i);
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    public List<String> asStrings() {
        if (type != Type.STRINGS) {
            throw wrong("a list of strings");
        }
        return (List<String>) value;
    }

    private IllegalArgumentException wrong(String what) {
        return new IllegalArgumentException("attribute '" + name + "' is " + type + ", not " + what);
    }

    @Override
    public String toString() {
        return name + "=" + (value instanceof List<?> l && l.size() > 16 ? "[" + l.size() + " items]" : value);
    }
}
