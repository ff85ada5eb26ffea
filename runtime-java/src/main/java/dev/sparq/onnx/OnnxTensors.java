package dev.sparq.onnx;

import dev.sparq.graph.ModelFormatException;
import com.google.protobuf.ByteString;
import dev.sparq.onnx.proto.Onnx.StringStringEntryProto;
import dev.sparq.onnx.proto.Onnx.TensorProto;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Shapes;
import dev.sparq.tensor.Tensor;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
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
        Tensor t = Tensor.allocate(dtype, shape, arena);
        MemorySegment dst = t.segment();
        if (tp.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
            readExternal(tp, name, dst, baseDir);
        } else if (tp.hasRawData()) {
            ByteString raw = tp.getRawData();
            if (raw.size() != bytes) {
                throw new ModelFormatException("tensor " + name + " has " + raw.size() + " bytes of raw_data, but "
                    + dtype + Arrays.toString(shape) + " needs " + bytes);
            }
            MemorySegment.copy(MemorySegment.ofBuffer(raw.asReadOnlyByteBuffer()), 0, dst, 0, bytes);
        } else {
            fillTyped(tp, name, t, count);
        }
        return t;
    }

    private static void fillTyped(TensorProto tp, String name, Tensor t, long count) {
        DType dtype = t.dtype();
        int available;
        switch (dtype) {
            case F32 -> {
                available = tp.getFloatDataCount();
                checkCount(name, available, count);
                for (int i = 0; i < count; i++) {
                    t.setFloat(i, tp.getFloatData(i));
                }
            }
            case F64 -> {
                available = tp.getDoubleDataCount();
                checkCount(name, available, count);
                for (int i = 0; i < count; i++) {
                    t.setDouble(i, tp.getDoubleData(i));
                }
            }
            case I64 -> {
                available = tp.getInt64DataCount();
                checkCount(name, available, count);
                for (int i = 0; i < count; i++) {
                    t.setLong(i, tp.getInt64Data(i));
                }
            }
            case U32 -> {
                available = tp.getUint64DataCount();
                checkCount(name, available, count);
                for (int i = 0; i < count; i++) {
                    t.setLong(i, tp.getUint64Data(i));
                }
            }
            case F16 -> {
                // float16 bit patterns are stored in int32_data, one per element.
                available = tp.getInt32DataCount();
                checkCount(name, available, count);
                for (int i = 0; i < count; i++) {
                    t.segment().setAtIndex(ValueLayout.JAVA_SHORT, i, (short) tp.getInt32Data(i));
                }
            }
            default -> {
                available = tp.getInt32DataCount();
                checkCount(name, available, count);
                for (int i = 0; i < count; i++) {
                    t.setLong(i, tp.getInt32Data(i));
                }
            }
        }
    }

    private static void checkCount(String name, int available, long count) {
        if (available != count) {
            throw new ModelFormatException("tensor " + name + " holds " + available + " values but its dims need "
                + count);
        }
    }

    private static void readExternal(TensorProto tp, String name, MemorySegment dst, Path baseDir) {
        String location = null;
        long offset = 0;
        long length = -1;
        for (StringStringEntryProto e : tp.getExternalDataList()) {
            try {
                switch (e.getKey()) {
                    case "location" -> location = e.getValue();
                    case "offset" -> offset = Long.parseLong(e.getValue());
                    case "length" -> length = Long.parseLong(e.getValue());
                    default -> { }
                }
            } catch (NumberFormatException ex) {
                throw new ModelFormatException("tensor " + name + ": external data " + e.getKey() + " '"
                    + e.getValue() + "' is not a number");
            }
        }
        if (baseDir == null) {
            throw new ModelFormatException("tensor " + name + " uses external data, which is not allowed here");
        }
        if (location == null || location.isEmpty()) {
            throw new ModelFormatException("tensor " + name + " uses external data without a location");
        }
        Path rel = Path.of(location);
        Path file = baseDir.resolve(rel).normalize();
        // Like ONNX's checker: external data must stay inside the model's folder.
        if (rel.isAbsolute() || !file.startsWith(baseDir.normalize())) {
            throw new ModelFormatException("tensor " + name + ": external data location '" + location
                + "' points outside the model's folder");
        }
        long bytes = dst.byteSize();
        if (offset < 0 || (length >= 0 && length != bytes)) {
            throw new ModelFormatException("tensor " + name + ": external data length " + length + " at offset "
                + offset + " does not match the " + bytes + " bytes its dims need");
        }
        if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS) && !Files.isRegularFile(file)) {
            throw new ModelFormatException("tensor " + name + ": external data file " + file + " does not exist");
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            if (offset > ch.size() || ch.size() - offset < bytes) {
                throw new ModelFormatException("tensor " + name + ": external data file " + file + " has "
                    + ch.size() + " bytes, too few for " + bytes + " bytes at offset " + offset);
            }
            long done = 0;
            while (done < bytes) {
                int n = ch.read(dst.asSlice(done, Math.min(bytes - done, 1 << 30)).asByteBuffer(), offset + done);
                if (n < 0) {
                    throw new ModelFormatException("tensor " + name + ": external data file " + file + " ended early");
                }
                done += n;
            }
        } catch (IOException e) {
            throw new ModelFormatException("tensor " + name + ": cannot read external data " + file + ": "
                + e.getMessage());
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
