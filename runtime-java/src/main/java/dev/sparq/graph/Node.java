package dev.sparq.graph;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One operator application. Inputs and outputs are value names; an empty name is an omitted optional input or
 * output, as in ONNX. Immutable: passes replace nodes rather than edit them.
 */
public record Node(String name, String opType, String domain, List<String> inputs, List<String> outputs,
                   Map<String, Attribute> attributes) {
    public Node {
        domain = domain == null || domain.equals("ai.onnx") ? "" : domain;
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
        attributes = Collections.unmodifiableMap(new LinkedHashMap<>(attributes));
    }

    public Attribute attr(String attrName) {
        return attributes.get(attrName);
    }

    public boolean has(String attrName) {
        return attributes.containsKey(attrName);
    }

    public long intAttr(String attrName, long defaultValue) {
        Attribute a = attributes.get(attrName);
        return a == null ? defaultValue : a.asInt();
    }

    public float floatAttr(String attrName, float defaultValue) {
        Attribute a = attributes.get(attrName);
        return a == null ? defaultValue : a.asFloat();
    }

    public String stringAttr(String attrName, String defaultValue) {
        Attribute a = attributes.get(attrName);
        return a == null ? defaultValue : a.asString();
    }

    /** The ints attribute, or {@code defaultValue} (may be null) when absent. */
    public long[] intsAttr(String attrName, long[] defaultValue) {
        Attribute a = attributes.get(attrName);
        return a == null ? defaultValue : a.asInts();
    }

    /** Input name at {@code i}, or "" if the input is absent. */
    public String input(int i) {
        return i < inputs.size() ? inputs.get(i) : "";
    }

    public boolean hasInput(int i) {
        return !input(i).isEmpty();
    }

    /** A short label for messages: the op and the node's name or first output. */
    public String label() {
        String id = name != null && !name.isEmpty() ? name : (outputs.isEmpty() ? "?" : outputs.get(0));
        return opType + " node '" + id + "'";
    }
}
