package dev.sparq.onnx;

import com.google.protobuf.CodedInputStream;
import dev.sparq.InvalidInputException;
import dev.sparq.graph.Attribute;
import dev.sparq.graph.Dim;
import dev.sparq.graph.Graph;
import dev.sparq.graph.GraphValidator;
import dev.sparq.graph.Model;
import dev.sparq.graph.ModelFormatException;
import dev.sparq.graph.Node;
import dev.sparq.graph.ValueInfo;
import dev.sparq.graph.ValueType;
import dev.sparq.onnx.proto.Onnx.AttributeProto;
import dev.sparq.onnx.proto.Onnx.GraphProto;
import dev.sparq.onnx.proto.Onnx.ModelProto;
import dev.sparq.onnx.proto.Onnx.NodeProto;
import dev.sparq.onnx.proto.Onnx.OperatorSetIdProto;
import dev.sparq.onnx.proto.Onnx.SparseTensorProto;
import dev.sparq.onnx.proto.Onnx.TensorProto;
import dev.sparq.onnx.proto.Onnx.TensorShapeProto;
import dev.sparq.onnx.proto.Onnx.TypeProto;
import dev.sparq.onnx.proto.Onnx.ValueInfoProto;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads an ONNX model file into sparq's graph IR. Every failure, from a truncated file to a dangling value name,
 * becomes an {@link InvalidInputException} whose message starts with the file's path.
 */
public final class OnnxImporter {
    /** Highest default-domain opset whose operator semantics sparq knows. */
    public static final long MAX_OPSET = 21;
    /** protobuf-java refuses messages of 2 GiB and more; beyond that ONNX itself requires external data. */
    private static final long MAX_FILE = Integer.MAX_VALUE;
    /** Nested subgraphs deeper than this are hostile, not real models. */
    private static final int RECURSION_LIMIT = 64;

    private OnnxImporter() {
    }

    public static Model load(Path path) {
        byte[] bytes = readFile(path);
        ModelProto proto = parse(path, bytes);
        try {
            return fromProto(proto, path.toAbsolutePath().getParent(), path);
        } catch (ModelFormatException | IllegalArgumentException e) {
            throw new InvalidInputException(path + ": " + e.getMessage(), e);
        }
    }

    static byte[] readFile(Path path) {
        try {
            if (Files.isDirectory(path)) {
                throw new InvalidInputException(path + ": is a folder, not an ONNX model file");
            }
            long size = Files.size(path);
            if (size > MAX_FILE) {
                throw new InvalidInputException(path + ": " + size + " bytes is over protobuf's 2 GiB limit; "
                    + "store the weights as ONNX external data");
            }
            if (size == 0) {
                throw new InvalidInputException(path + ": file is empty");
            }
            try (InputStream in = Files.newInputStream(path)) {
                return in.readAllBytes();
            }
        } catch (NoSuchFileException e) {
            throw new InvalidInputException(path + ": no such file");
        } catch (IOException e) {
            throw new InvalidInputException(path + ": cannot read: " + e.getMessage(), e);
        }
    }

    static ModelProto parse(Path path, byte[] bytes) {
        try {
            CodedInputStream in = CodedInputStream.newInstance(bytes);
            in.setRecursionLimit(RECURSION_LIMIT);
            in.setSizeLimit(Integer.MAX_VALUE);
            ModelProto m = ModelProto.parseFrom(in);
            if (!m.hasGraph()) {
                throw new InvalidInputException(path + ": not an ONNX model (no graph; truncated or another file type?)");
            }
            return m;
        } catch (IOException e) {
            throw new InvalidInputException(path + ": not a valid ONNX model (" + firstLine(e.getMessage()) + ")");
        } catch (RuntimeException e) {
            if (e instanceof InvalidInputException ie) {
                throw ie;
            }
            throw new InvalidInputException(path + ": not a valid ONNX model (" + e + ")");
        }
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "parse error";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }

    /** Builds the IR from a parsed model; {@code baseDir} resolves external data. */
    public static Model fromProto(ModelProto proto, Path baseDir, Path source) {
        Map<String, Long> opsets = new LinkedHashMap<>();
        for (OperatorSetIdProto o : proto.getOpsetImportList()) {
            String domain = o.getDomain().equals("ai.onnx") ? "" : o.getDomain();
            if (o.getVersion() < 1) {
                throw new ModelFormatException("opset import for domain '" + domain + "' has version " + o.getVersion());
            }
            opsets.put(domain, o.getVersion());
        }
        if (proto.getOpsetImportCount() == 0 && proto.getIrVersion() >= 3) {
            throw new ModelFormatException("declares no opset_import (required since IR version 3)");
        }
        opsets.putIfAbsent("", 1L);
        if (opsets.get("") > MAX_OPSET) {
            throw new ModelFormatException("uses ONNX opset " + opsets.get("") + "; sparq supports opsets up to "
                + MAX_OPSET);
        }
        Arena arena = Arena.ofShared();
        try {
            Graph g = new GraphReader(arena, baseDir).read(proto.getGraph(), List.of());
            return new Model(source, g, opsets, proto.getIrVersion(), proto.getProducerName()
                + (proto.getProducerVersion().isEmpty() ? "" : " " + proto.getProducerVersion()), arena);
        } catch (RuntimeException e) {
            arena.close();
            throw e;
        }
    }

    /** Converts graphs (and their subgraphs) with one arena for all tensors. */
    private record GraphReader(Arena arena, Path baseDir) {
        Graph read(GraphProto gp, List<String> outerScope) {
            Map<String, Tensor> inits = new LinkedHashMap<>();
            for (TensorProto tp : gp.getInitializerList()) {
                putUnique(inits, tp.getName(), OnnxTensors.toTensor(tp, arena, baseDir));
            }
            for (SparseTensorProto sp : gp.getSparseInitializerList()) {
                String name = sp.getValues().getName();
                putUnique(inits, name, SparseTensors.densify(sp, arena, baseDir));
            }
            Map<String, ValueType> types = new LinkedHashMap<>();
            List<ValueInfo> inputs = new ArrayList<>();
            for (ValueInfoProto vi : gp.getInputList()) {
                ValueType t = type(vi.getType());
                types.put(vi.getName(), t);
                if (!inits.containsKey(vi.getName())) {
                    inputs.add(new ValueInfo(vi.getName(), t));
                }
            }
            for (Map.Entry<String, Tensor> e : inits.entrySet()) {
                types.put(e.getKey(), ValueType.tensor(e.getValue().dtype(), e.getValue().shape()));
            }
            for (ValueInfoProto vi : gp.getValueInfoList()) {
                types.putIfAbsent(vi.getName(), type(vi.getType()));
            }
            List<ValueInfo> outputs = new ArrayList<>();
            for (ValueInfoProto vi : gp.getOutputList()) {
                ValueType t = type(vi.getType());
                types.putIfAbsent(vi.getName(), t);
                outputs.add(new ValueInfo(vi.getName(), t));
            }
            List<Node> nodes = new ArrayList<>();
            for (NodeProto np : gp.getNodeList()) {
                nodes.add(node(np, outerScope, gp, inits));
            }
            List<String> scope = new ArrayList<>(outerScope);
            inputs.forEach(i -> scope.add(i.name()));
            scope.addAll(inits.keySet());
            List<Node> sorted = GraphValidator.topologicalOrder(nodes, scope, outputs);
            return new Graph(gp.getName(), sorted, inputs, outputs, inits, types);
        }

        private static void putUnique(Map<String, Tensor> inits, String name, Tensor t) {
            if (name.isEmpty()) {
                throw new ModelFormatException("an initializer has no name");
            }
            if (inits.put(name, t) != null) {
                throw new ModelFormatException("initializer '" + name + "' is defined twice");
            }
        }

        private Node node(NodeProto np, List<String> outerScope, GraphProto gp, Map<String, Tensor> inits) {
            if (np.getOpType().isEmpty()) {
                throw new ModelFormatException("node '" + np.getName() + "' has no op_type");
            }
            Map<String, Attribute> attrs = new LinkedHashMap<>();
            List<String> scope = null;
            for (AttributeProto ap : np.getAttributeList()) {
                if (ap.getName().isEmpty()) {
                    throw new ModelFormatException(np.getOpType() + " node '" + np.getName()
                        + "' has an attribute without a name");
                }
                if ((ap.getType() == AttributeProto.AttributeType.GRAPH || ap.getType() == AttributeProto.AttributeType.GRAPHS)
                    && scope == null) {
                    scope = new ArrayList<>(outerScope);
                    for (ValueInfoProto vi : gp.getInputList()) {
                        scope.add(vi.getName());
                    }
                    scope.addAll(inits.keySet());
                    for (NodeProto other : gp.getNodeList()) {
                        scope.addAll(other.getOutputList());
                    }
                }
                attrs.put(ap.getName(), attribute(ap, scope));
            }
            return new Node(np.getName(), np.getOpType(), np.getDomain(), np.getInputList(), np.getOutputList(), attrs);
        }

        private Attribute attribute(AttributeProto ap, List<String> scope) {
            AttributeProto.AttributeType type = ap.getType();
            if (type == AttributeProto.AttributeType.UNDEFINED) {
                type = guessType(ap); // files from before IR version 0.0.2 leave the type out
            }
            String n = ap.getName();
            return switch (type) {
                case FLOAT -> new Attribute(n, Attribute.Type.FLOAT, ap.getF());
                case INT -> new Attribute(n, Attribute.Type.INT, ap.getI());
                case STRING -> new Attribute(n, Attribute.Type.STRING, ap.getS().toStringUtf8());
                case TENSOR -> new Attribute(n, Attribute.Type.TENSOR, OnnxTensors.toTensor(ap.getT(), arena, baseDir));
                case GRAPH -> new Attribute(n, Attribute.Type.GRAPH, read(ap.getG(), scope));
                case FLOATS -> new Attribute(n, Attribute.Type.FLOATS, List.copyOf(ap.getFloatsList()));
                case INTS -> new Attribute(n, Attribute.Type.INTS, List.copyOf(ap.getIntsList()));
                case STRINGS -> new Attribute(n, Attribute.Type.STRINGS,
                    ap.getStringsList().stream().map(com.google.protobuf.ByteString::toStringUtf8).toList());
                case TENSORS -> new Attribute(n, Attribute.Type.TENSORS,
                    ap.getTensorsList().stream().map(t -> OnnxTensors.toTensor(t, arena, baseDir)).toList());
                case GRAPHS -> new Attribute(n, Attribute.Type.GRAPHS,
                    ap.getGraphsList().stream().map(g -> read(g, scope)).toList());
                case SPARSE_TENSOR -> new Attribute(n, Attribute.Type.TENSOR,
                    SparseTensors.densify(ap.getSparseTensor(), arena, baseDir));
                default -> new Attribute(n, Attribute.Type.OTHER, type.name());
            };
        }

        private static AttributeProto.AttributeType guessType(AttributeProto ap) {
            if (ap.hasF()) {
                return AttributeProto.AttributeType.FLOAT;
            } else if (ap.hasI()) {
                return AttributeProto.AttributeType.INT;
            } else if (ap.hasS()) {
                return AttributeProto.AttributeType.STRING;
            } else if (ap.hasT()) {
                return AttributeProto.AttributeType.TENSOR;
            } else if (ap.hasG()) {
                return AttributeProto.AttributeType.GRAPH;
            } else if (ap.getFloatsCount() > 0) {
                return AttributeProto.AttributeType.FLOATS;
            } else if (ap.getIntsCount() > 0) {
                return AttributeProto.AttributeType.INTS;
            } else if (ap.getStringsCount() > 0) {
                return AttributeProto.AttributeType.STRINGS;
            }
            return AttributeProto.AttributeType.UNDEFINED;
        }
    }

    /** The IR type of an ONNX TypeProto; tensor element types sparq lacks become a null dtype. */
    static ValueType type(TypeProto tp) {
        return switch (tp.getValueCase()) {
            case TENSOR_TYPE -> {
                TypeProto.Tensor t = tp.getTensorType();
                yield ValueType.tensor(DType.fromOnnx(t.getElemType()), t.hasShape() ? dims(t.getShape()) : null);
            }
            case SEQUENCE_TYPE -> new ValueType(ValueType.Kind.SEQUENCE, null, null);
            case OPTIONAL_TYPE -> new ValueType(ValueType.Kind.OPTIONAL, null, null);
            case MAP_TYPE -> new ValueType(ValueType.Kind.MAP, null, null);
            case SPARSE_TENSOR_TYPE -> new ValueType(ValueType.Kind.SPARSE_TENSOR, null, null);
            default -> ValueType.UNKNOWN;
        };
    }

    private static List<Dim> dims(TensorShapeProto shape) {
        List<Dim> dims = new ArrayList<>();
        for (TensorShapeProto.Dimension d : shape.getDimList()) {
            if (d.hasDimValue() && d.getDimValue() >= 0) {
                dims.add(Dim.of(d.getDimValue()));
            } else if (d.hasDimParam() && !d.getDimParam().isEmpty()) {
                dims.add(Dim.symbol(d.getDimParam()));
            } else {
                dims.add(Dim.UNKNOWN);
            }
        }
        return dims;
    }
}
