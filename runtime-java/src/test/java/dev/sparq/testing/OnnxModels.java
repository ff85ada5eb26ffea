package dev.sparq.testing;

import com.google.protobuf.ByteString;
import dev.sparq.onnx.proto.Onnx.AttributeProto;
import dev.sparq.onnx.proto.Onnx.GraphProto;
import dev.sparq.onnx.proto.Onnx.ModelProto;
import dev.sparq.onnx.proto.Onnx.NodeProto;
import dev.sparq.onnx.proto.Onnx.OperatorSetIdProto;
import dev.sparq.onnx.proto.Onnx.TensorProto;
import dev.sparq.onnx.proto.Onnx.TensorShapeProto;
import dev.sparq.onnx.proto.Onnx.TypeProto;
import dev.sparq.onnx.proto.Onnx.ValueInfoProto;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/** Small ONNX protos built in code, for importer and session tests. */
public final class OnnxModels {
    private OnnxModels() {
    }

    /** A float tensor value_info; a dim given as a String is symbolic. */
    public static ValueInfoProto floatInput(String name, Object... dims) {
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
        for (Object d : dims) {
            TensorShapeProto.Dimension.Builder b = TensorShapeProto.Dimension.newBuilder();
            if (d instanceof String s) {
                b.setDimParam(s);
            } else {
                b.setDimValue(((Number) d).longValue());
            }
            shape.addDim(b);
        }
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder()
            .setTensorType(TypeProto.Tensor.newBuilder().setElemType(1).setShape(shape))).build();
    }

    public static TensorProto floatTensor(String name, long[] dims, float... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(1)
            .setRawData(ByteString.copyFrom(b.array()));
        for (long d : dims) {
            t.addDims(d);
        }
        return t.build();
    }

    /** An INTS attribute (pads, strides, kernel_shape, ...). */
    public static AttributeProto ints(String name, long... v) {
        AttributeProto.Builder a = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
        for (long x : v) {
            a.addInts(x);
        }
        return a.build();
    }

    public static NodeProto node(String op, List<String> in, List<String> out, AttributeProto... attrs) {
        return NodeProto.newBuilder().setOpType(op).setName(op + "_" + out.get(0)).addAllInput(in).addAllOutput(out)
            .addAllAttribute(List.of(attrs)).build();
    }

    public static ModelProto model(GraphProto graph, long opset) {
        return ModelProto.newBuilder().setIrVersion(8).setProducerName("sparq-tests")
            .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset)).setGraph(graph).build();
    }

    /** y = x + bias, with x [N,3] and a constant bias [3]: exercises inputs, initializers and a symbolic batch. */
    public static ModelProto addBias(float... bias) {
        GraphProto g = GraphProto.newBuilder().setName("add_bias")
            .addInput(floatInput("x", "N", 3))
            .addInitializer(floatTensor("bias", new long[] {3}, bias))
            .addNode(node("Add", List.of("x", "bias"), List.of("y")))
            .addOutput(floatInput("y", "N", 3))
            .build();
        return model(g, 13);
    }
}
