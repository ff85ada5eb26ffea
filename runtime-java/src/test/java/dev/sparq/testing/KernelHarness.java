package dev.sparq.testing;

import dev.sparq.backend.Backend;
import dev.sparq.backend.ExecutionContext;
import dev.sparq.backend.Kernel;
import dev.sparq.backend.KernelRequest;
import dev.sparq.graph.Attribute;
import dev.sparq.graph.Node;
import dev.sparq.graph.ValueType;
import dev.sparq.tensor.Tensor;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Builds single nodes and runs them on one backend's kernel, for kernel unit tests. */
public final class KernelHarness {
    private KernelHarness() {
    }

    /** A node named after its op with inputs x0..xn-1 ("" where {@code inputs[i]} is null) and outputs y0..ym-1. */
    public static Node node(String opType, int inputCount, int outputCount, Attribute... attrs) {
        List<String> in = new ArrayList<>();
        for (int i = 0; i < inputCount; i++) {
            in.add("x" + i);
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < outputCount; i++) {
            out.add("y" + i);
        }
        Map<String, Attribute> map = new LinkedHashMap<>();
        for (Attribute a : attrs) {
            map.put(a.name(), a);
        }
        return new Node(opType, opType, "", in, out, map);
    }

    /** Runs {@code node} on {@code backend} with the given inputs (null = omitted optional input). */
    public static Tensor[] run(Backend backend, Node node, long opset, Tensor... inputs) {
        return run(backend, node, opset, Integer.MAX_VALUE, inputs);
    }

    /**
     * Like {@link #run(Backend, Node, long, Tensor...)}, but inputs from index {@code firstConstant} on are given to
     * the kernel factory as constants (initializers), as weights are in a real model.
     */
    public static Tensor[] run(Backend backend, Node node, long opset, int firstConstant, Tensor... inputs) {
        return run(backend, node, opset, firstConstant, ExecutionContext.standalone(), inputs);
    }

    /** The general form: constants from {@code firstConstant} on, and the context the kernel runs with. */
    public static Tensor[] run(Backend backend, Node node, long opset, int firstConstant, ExecutionContext ctx,
                               Tensor... inputs) {
        List<String> names = new ArrayList<>(node.inputs());
        for (int i = 0; i < inputs.length && i < names.size(); i++) {
            if (inputs[i] == null) {
                names.set(i, "");
            }
        }
        Node n = new Node(node.name(), node.opType(), node.domain(), names, node.outputs(), node.attributes());
        Map<String, Tensor> constants = new LinkedHashMap<>();
        Map<String, ValueType> types = new LinkedHashMap<>();
        for (int i = 0; i < inputs.length && i < names.size(); i++) {
            if (inputs[i] != null) {
                types.put(names.get(i), ValueType.tensor(inputs[i].dtype(), inputs[i].shape()));
                if (i >= firstConstant) {
                    constants.put(names.get(i), inputs[i]);
                }
            }
        }
        try (Arena arena = Arena.ofConfined()) {
            Kernel k = backend.kernelFor(new KernelRequest(n, opset, constants, types, arena))
                .orElseThrow(() -> new AssertionError(backend.id() + " has no kernel for " + n.opType()));
            return k.run(Arrays.copyOf(inputs, n.inputs().size()), ctx);
        }
    }

    public static Attribute i(String name, long v) {
        return new Attribute(name, Attribute.Type.INT, v);
    }

    public static Attribute f(String name, float v) {
        return new Attribute(name, Attribute.Type.FLOAT, v);
    }

    public static Attribute s(String name, String v) {
        return new Attribute(name, Attribute.Type.STRING, v);
    }

    public static Attribute ints(String name, long... v) {
        return new Attribute(name, Attribute.Type.INTS, Arrays.stream(v).boxed().toList());
    }

    public static Attribute floats(String name, float... v) {
        List<Float> l = new ArrayList<>();
        for (float x : v) {
            l.add(x);
        }
        return new Attribute(name, Attribute.Type.FLOATS, l);
    }
}
