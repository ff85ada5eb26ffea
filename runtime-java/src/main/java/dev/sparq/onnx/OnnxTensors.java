package dev.sparq.onnx;

import dev.sparq.graph.ModelFormatException;
import com.google.protobuf.ByteString;
import dev.sparq.onnx.proto.Onnx.TensorProto;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Shapes;
import dev.sparq.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Converts between ONNX {@code TensorProto} and {@link Tensor}: raw_data, the typed repeated fields, and external
 * data files. Every size is checked against the declared dims before a byte is copied, so a hostile file cannot
 * make sparq read outside what it holds.
 */
public final class OnnxTensors {
    private OnnxTensors() {
    }

    /**
     * Decodes {@code tp} into memory owned by {@code arena}.
     *
     * @param baseDir folder of the model file, for external data; null forbids external data
     * @throws ModelFormatException with a message naming the tensor and the problem
     */
    public static Tensor toTensor(TensorProto tp, Arena arena, Path baseDir) {
        String name = tp.hasName() && !tp.getName().isEmpty() ? "'" + tp.getName() + "'" : "(unnamed)";
        DType dtype = DType.fromOnnx(tp.getDataType());
        if (dtype == null) {
            throw new ModelFormatException("tensor " + name + " has data type " + DType.onnxName(tp.getDataType())
                + ", which sparq does not support");
        }
        long[] shape = tp.getDimsList().stream().mapToLong(Long::longValue).toArray();
        long count;
        try {
            count = Shapes.size(shape);
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException("tensor " + name + ": " + e.getMessage());
        }
        long bytes = count * dtype.byteSize();
        if (tp.hasSegment()) {
            throw new ModelFormatException("tensor " + name + " is segmented, which sparq does not support");
        }
        // Every size is checked before memory is reserved: a hostile header must not make us allocate terabytes.
        if (tp.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
            ExternalData ext = ExternalData.locate(tp, name, bytes, baseDir);
            Tensor t = Tensor.allocate(dtype, shape, arena);
            ext.readInto(t.segment());
            return t;
        }
        if (tp.hasRawData()) {
            ByteString raw = tp.getRawData();
            if (raw.size() != bytes) {
                throw new ModelFormatException("tensor " + name + " has " + raw.size() + " bytes of raw_data, but "
                    + dtype + Arrays.toString(shape) + " needs " + bytes);
            }
            Tensor t = Tensor.allocate(dtype, shape, arena);
            MemorySegment.copy(MemorySegment.ofBuffer(raw.asReadOnlyByteBuffer()), 0, t.segment(), 0, bytes);
            return t;
        }
        checkCount(name, typedCount(tp, dtype), count);
        Tensor t = Tensor.allocate(dtype, shape, arena);
        fillTyped(tp, t, count);
        return t;
    }

    private static int typedCount(TensorProto tp, DType dtype) {
        return switch (dtype) {
            case F32 -> tp.getFloatDataCount();
            case F64 -> tp.getDoubleDataCount();
            case I64 -> tp.getInt64DataCount();
            case U32 -> tp.getUint64DataCount();
            default -> tp.getInt32DataCount();
        };
    }

    private static void fillTyped(TensorProto tp, Tensor t, long count) {
        for (int i = 0; i < count; i++) {
            switch (t.dtype()) {
                case F32 -> t.setFloat(i, tp.getFloatData(i));
                case F64 -> t.setDouble(i, tp.getDoubleData(i));
                case I64 -> t.setLong(i, tp.getInt64Data(i));
                case U32 -> t.setLong(i, tp.getUint64Data(i));
                // float16 bit patterns are stored in int32_data, one per element.
                case F16 -> t.segment().setAtIndex(ValueLayout.JAVA_SHORT, i, (short) tp.getInt32Data(i));
                default -> t.setLong(i, tp.getInt32Data(i));
            }
        }
    }

    private static void checkCount(String name, int available, long count) {
        if (available != count) {
            throw new ModelFormatException("tensor " + name + " holds " + available + " values but its dims need "
                + count);
        }
    }

    /** Encodes a tensor as a TensorProto with raw_data (little-endian), as ONNX writers do. */
    public static TensorProto toProto(String name, Tensor t) {
        byte[] bytes = t.segment().toArray(ValueLayout.JAVA_BYTE);
        TensorProto.Builder b = TensorProto.newBuilder().setName(name).setDataType(t.dtype().onnxCode());
        for (long d : t.shape()) {
            b.addDims(d);
        }
        return b.setRawData(ByteString.copyFrom(bytes)).build();
    }
}
