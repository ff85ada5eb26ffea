package dev.sparq.onnx;

import com.google.protobuf.ByteString;
import dev.sparq.graph.Attribute;
import dev.sparq.graph.Dim;
import dev.sparq.graph.Graph;
import dev.sparq.graph.Model;
import dev.sparq.graph.Node;
import dev.sparq.graph.ValueInfo;
import dev.sparq.graph.ValueType;
import dev.sparq.onnx.proto.Onnx.AttributeProto;
import dev.sparq.onnx.proto.Onnx.GraphProto;
import dev.sparq.onnx.proto.Onnx.ModelProto;
import dev.sparq.onnx.proto.Onnx.NodeProto;
import dev.sparq.onnx.proto.Onnx.OperatorSetIdProto;
import dev.sparq.onnx.proto.Onnx.TensorShapeProto;
import dev.sparq.onnx.proto.Onnx.TypeProto;
import dev.sparq.onnx.proto.Onnx.ValueInfoProto;
import dev.sparq.tensor.Tensor;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes sparq's graph IR back to an ONNX model file: the model's IR version and opset imports, graph inputs,
 * outputs and value_info with their types (symbolic dims kept), initializers as raw_data and nodes with every
 * attribute kind, subgraphs included. The inverse of {@link OnnxImporter} for everything the IR holds.
 */
public final class OnnxExporter {
    /** Contrib ops have a single version; ONNX Runtime registers them under com.microsoft opset 1. */
    private static final String MICROSOFT = "com.microsoft";
    /** From IR version 4 on, initializers need not be repeated as graph inputs, which is how the IR holds them. */
    private static final long MIN_IR_VERSION = 4;

    private OnnxExporter() {
    }

    /** Writes {@code model} to {@code file} (replacing it). */
    public static void write(Model model, Path file) throws IOException {
        ModelProto proto = toProto(model);
        try (OutputStream out = Files.newOutputStream(file)) {
            proto.writeTo(out);
        }
    }

    /** The ONNX ModelProto of {@code model}; its tensors are copied, so the proto outlives the model. */
    public static ModelProto toProto(Model model) {
        ModelProto.Builder b = ModelProto.newBuilder()
            .setIrVersion(Math.max(model.irVersion(), MIN_IR_VERSION))
            .setProducerName("sparq")
            .setGraph(graph(model.graph()));
        Map<String, Long> opsets = new LinkedHashMap<>(model.opsets());
        if (usesDomain(model.graph(), MICROSOFT)) {
            opsets.putIfAbsent(MICROSOFT, 1L);
        }
        opsets.forEach((domain, version) ->
            b.addOpsetImport(OperatorSetIdProto.newBuilder().setDomain(domain).setVersion(version)));
        return b.build();
    }

    private static boolean usesDomain(Graph g, String domain) {
        for (Node n : g.nodes()) {
            if (n.domain().equals(domain)) {
                return true;
            }
            for (Attribute a : n.attributes().values()) {
                if (a.type() == Attribute.Type.GRAPH && usesDomain(a.asGraph(), domain)) {
                    return true;
                }
                if (a.type() == Attribute.Type.GRAPHS && subgraphs(a).stream().anyMatch(s -> usesDomain(s, domain))) {
                    return true;
                }
            }
        }
        return false;
    }

    static GraphProto graph(Graph g) {
        GraphProto.Builder b = GraphProto.newBuilder().setName(g.name() == null ? "" : g.name());
        for (Node n : g.nodes()) {
            b.addNode(node(n));
        }
        g.initializers().forEach((name, t) -> b.addInitializer(OnnxTensors.toProto(name, t)));
        Set<String> declared = new HashSet<>(g.initializers().keySet());
        for (ValueInfo in : g.inputs()) {
            b.addInput(valueInfo(in.name(), in.type()));
            declared.add(in.name());
        }
        for (ValueInfo out : g.outputs()) {
            b.addOutput(valueInfo(out.name(), out.type()));
            declared.add(out.name());
        }
        // value_info only for what the nodes compute and is known: passes leave types of values they removed.
        Set<String> computed = new HashSet<>();
        g.nodes().forEach(n -> computed.addAll(n.outputs()));
        g.types().forEach((name, type) -> {
            if (computed.contains(name) && !declared.contains(name) && type.kind() != ValueType.Kind.UNKNOWN) {
                b.addValueInfo(valueInfo(name, type));
            }
        });
        return b.build();
    }

    static NodeProto node(Node n) {
        NodeProto.Builder b = NodeProto.newBuilder().setOpType(n.opType()).addAllInput(n.inputs())
            .addAllOutput(n.outputs());
        if (n.name() != null && !n.name().isEmpty()) {
            b.setName(n.name());
        }
        if (!n.domain().isEmpty()) {
            b.setDomain(n.domain());
        }
        for (Attribute a : n.attributes().values()) {
            b.addAttribute(attribute(a, n));
        }
        return b.build();
    }

    @SuppressWarnings("unchecked")
    private static AttributeProto attribute(Attribute a, Node owner) {
        AttributeProto.Builder b = AttributeProto.newBuilder().setName(a.name());
        switch (a.type()) {
            case FLOAT -> b.setType(AttributeProto.AttributeType.FLOAT).setF(a.asFloat());
            case INT -> b.setType(AttributeProto.AttributeType.INT).setI(a.asInt());
            case STRING -> b.setType(AttributeProto.AttributeType.STRING).setS(ByteString.copyFromUtf8(a.asString()));
            case TENSOR -> b.setType(AttributeProto.AttributeType.TENSOR).setT(OnnxTensors.toProto("", a.asTensor()));
            case GRAPH -> b.setType(AttributeProto.AttributeType.GRAPH).setG(graph(a.asGraph()));
            case FLOATS -> b.setType(AttributeProto.AttributeType.FLOATS).addAllFloats((List<Float>) a.value());
            case INTS -> b.setType(AttributeProto.AttributeType.INTS).addAllInts((List<Long>) a.value());
            case STRINGS -> {
                b.setType(AttributeProto.AttributeType.STRINGS);
                a.asStrings().forEach(s -> b.addStrings(ByteString.copyFromUtf8(s)));
            }
            case TENSORS -> {
                b.setType(AttributeProto.AttributeType.TENSORS);
                ((List<Tensor>) a.value()).forEach(t -> b.addTensors(OnnxTensors.toProto("", t)));
            }
            case GRAPHS -> {
                b.setType(AttributeProto.AttributeType.GRAPHS);
                subgraphs(a).forEach(g -> b.addGraphs(graph(g)));
            }
            // The importer keeps only the kind name of attributes it cannot represent: writing them would lie.
            case OTHER -> throw new IllegalArgumentException(owner.label() + ": attribute '" + a.name()
                + "' of kind " + a.value() + " cannot be exported");
        }
        return b.build();
    }

    @SuppressWarnings("unchecked")
    private static List<Graph> subgraphs(Attribute a) {
        return (List<Graph>) a.value();
    }

    static ValueInfoProto valueInfo(String name, ValueType type) {
        return ValueInfoProto.newBuilder().setName(name).setType(type(type)).build();
    }

    private static TypeProto type(ValueType vt) {
        TypeProto.Builder b = TypeProto.newBuilder();
        switch (vt.kind()) {
            case TENSOR -> {
                TypeProto.Tensor.Builder t = TypeProto.Tensor.newBuilder()
                    .setElemType(vt.dtype() == null ? 0 : vt.dtype().onnxCode());
                if (vt.hasRank()) {
                    TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
                    for (Dim d : vt.dims()) {
                        shape.addDim(dim(d));
                    }
                    t.setShape(shape);
                }
                b.setTensorType(t);
            }
            // The IR keeps no element type for these kinds: an empty type of the right kind is what is known.
            case SEQUENCE -> b.setSequenceType(TypeProto.Sequence.getDefaultInstance());
            case OPTIONAL -> b.setOptionalType(TypeProto.Optional.getDefaultInstance());
            case MAP -> b.setMapType(TypeProto.Map.getDefaultInstance());
            case SPARSE_TENSOR -> b.setSparseTensorType(TypeProto.SparseTensor.getDefaultInstance());
            case UNKNOWN -> { }
        }
        return b.build();
    }

    private static TensorShapeProto.Dimension dim(Dim d) {
        TensorShapeProto.Dimension.Builder b = TensorShapeProto.Dimension.newBuilder();
        if (d.isKnown()) {
            b.setDimValue(d.value());
        } else if (d.symbol() != null) {
            b.setDimParam(d.symbol());
        }
        return b.build();
    }
}
