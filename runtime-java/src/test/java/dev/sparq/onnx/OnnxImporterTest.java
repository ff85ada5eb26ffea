package dev.sparq.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.sparq.InvalidInputException;
import dev.sparq.graph.Dim;
import dev.sparq.graph.Model;
import dev.sparq.onnx.proto.Onnx.GraphProto;
import dev.sparq.onnx.proto.Onnx.ModelProto;
import dev.sparq.onnx.proto.Onnx.StringStringEntryProto;
import dev.sparq.onnx.proto.Onnx.TensorProto;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import dev.sparq.testing.OnnxModels;
import dev.sparq.testing.SharedData;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OnnxImporterTest {
    @TempDir
    Path dir;

    private Path write(String name, ModelProto m) throws IOException {
        Path f = dir.resolve(name);
        Files.write(f, m.toByteArray());
        return f;
    }

    @Test
    void importsGraphInitializersAndSymbolicDims() throws IOException {
        try (Model m = OnnxImporter.load(write("m.onnx", OnnxModels.addBias(1, 2, 3)))) {
            assertEquals(13, m.opset(""));
            assertEquals(1, m.graph().inputs().size());
            assertEquals(Dim.symbol("N"), m.graph().inputs().get(0).type().dims().get(0));
            Tensor bias = m.graph().initializers().get("bias");
            assertArrayEquals(new float[] {1, 2, 3}, bias.toFloatArray());
        }
    }

    @Test
    void readsTypedFieldsAndExternalData() throws IOException {
        ByteBuffer raw = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        raw.putFloat(9).putFloat(8).putFloat(7).putFloat(6);
        Files.write(dir.resolve("weights.bin"), raw.array());
        TensorProto external = TensorProto.newBuilder().setName("w").setDataType(1).addDims(2).addDims(1)
            .setDataLocation(TensorProto.DataLocation.EXTERNAL)
            .addExternalData(StringStringEntryProto.newBuilder().setKey("location").setValue("weights.bin"))
            .addExternalData(StringStringEntryProto.newBuilder().setKey("offset").setValue("8"))
            .addExternalData(StringStringEntryProto.newBuilder().setKey("length").setValue("8")).build();
        TensorProto typed = TensorProto.newBuilder().setName("i").setDataType(7).addDims(3)
            .addAllInt64Data(List.of(5L, -6L, 7L)).build();
        TensorProto int8 = TensorProto.newBuilder().setName("q").setDataType(3).addDims(2)
            .addAllInt32Data(List.of(-128, 127)).build();
        GraphProto g = GraphProto.newBuilder().addInitializer(external).addInitializer(typed).addInitializer(int8)
            .addOutput(OnnxModels.floatInput("w", 2, 1)).build();
        try (Model m = OnnxImporter.load(write("ext.onnx", OnnxModels.model(g, 13)))) {
            assertArrayEquals(new float[] {7, 6}, m.graph().initializers().get("w").toFloatArray());
            assertArrayEquals(new long[] {5, -6, 7}, m.graph().initializers().get("i").toLongArray());
            assertEquals(DType.I8, m.graph().initializers().get("q").dtype());
            assertArrayEquals(new long[] {-128, 127}, m.graph().initializers().get("q").toLongArray());
        }
    }

    @Test
    void rejectsExternalDataOutsideTheModelFolder() throws IOException {
        TensorProto evil = TensorProto.newBuilder().setName("w").setDataType(1).addDims(1)
            .setDataLocation(TensorProto.DataLocation.EXTERNAL)
            .addExternalData(StringStringEntryProto.newBuilder().setKey("location").setValue("../../etc/passwd")).build();
        assertBad(OnnxModels.model(GraphProto.newBuilder().addInitializer(evil).build(), 13), "outside the model's folder");
        TensorProto tooLong = TensorProto.newBuilder().setName("w").setDataType(1).addDims(1000)
            .setDataLocation(TensorProto.DataLocation.EXTERNAL)
            .addExternalData(StringStringEntryProto.newBuilder().setKey("location").setValue("small.bin")).build();
        Files.write(dir.resolve("small.bin"), new byte[8]);
        assertBad(OnnxModels.model(GraphProto.newBuilder().addInitializer(tooLong).build(), 13), "too few");
    }

    @Test
    void rejectsHostileTensorHeadersWithoutAllocating() throws IOException {
        TensorProto huge = TensorProto.newBuilder().setName("w").setDataType(1).addDims(1L << 20).addDims(1L << 20)
            .setRawData(ByteString.copyFrom(new byte[4])).build();
        assertBad(OnnxModels.model(GraphProto.newBuilder().addInitializer(huge).build(), 13), "raw_data");
        TensorProto negative = TensorProto.newBuilder().setName("w").setDataType(1).addDims(-4).build();
        assertBad(OnnxModels.model(GraphProto.newBuilder().addInitializer(negative).build(), 13), "negative");
        TensorProto overflow = TensorProto.newBuilder().setName("w").setDataType(1).addDims(Long.MAX_VALUE)
            .addDims(Long.MAX_VALUE).build();
        assertBad(OnnxModels.model(GraphProto.newBuilder().addInitializer(overflow).build(), 13), "too many elements");
        TensorProto strings = TensorProto.newBuilder().setName("s").setDataType(8).addDims(1).build();
        assertBad(OnnxModels.model(GraphProto.newBuilder().addInitializer(strings).build(), 13), "STRING");
    }

    @Test
    void rejectsBrokenGraphs() throws IOException {
        GraphProto dangling = GraphProto.newBuilder().addInput(OnnxModels.floatInput("x", 1))
            .addNode(OnnxModels.node("Add", List.of("x", "nowhere"), List.of("y")))
            .addOutput(OnnxModels.floatInput("y", 1)).build();
        assertBad(OnnxModels.model(dangling, 13), "'nowhere'");
        GraphProto cycle = GraphProto.newBuilder().addInput(OnnxModels.floatInput("x", 1))
            .addNode(OnnxModels.node("Add", List.of("x", "b"), List.of("a")))
            .addNode(OnnxModels.node("Add", List.of("x", "a"), List.of("b")))
            .addOutput(OnnxModels.floatInput("b", 1)).build();
        assertBad(OnnxModels.model(cycle, 13), "cycle");
        GraphProto twice = GraphProto.newBuilder().addInput(OnnxModels.floatInput("x", 1))
            .addNode(OnnxModels.node("Relu", List.of("x"), List.of("y")))
            .addNode(OnnxModels.node("Relu", List.of("x"), List.of("y")))
            .addOutput(OnnxModels.floatInput("y", 1)).build();
        assertBad(OnnxModels.model(twice, 13), "more than once");
        GraphProto noProducer = GraphProto.newBuilder().addInput(OnnxModels.floatInput("x", 1))
            .addOutput(OnnxModels.floatInput("z", 1)).build();
        assertBad(OnnxModels.model(noProducer, 13), "'z'");
        assertBad(OnnxModels.model(GraphProto.newBuilder().build(), 99), "opset 99");
    }

    @Test
    void sortsNodesGivenOutOfOrder() throws IOException {
        GraphProto g = GraphProto.newBuilder().addInput(OnnxModels.floatInput("x", 1))
            .addNode(OnnxModels.node("Relu", List.of("a"), List.of("y")))
            .addNode(OnnxModels.node("Neg", List.of("x"), List.of("a")))
            .addOutput(OnnxModels.floatInput("y", 1)).build();
        try (Model m = OnnxImporter.load(write("unsorted.onnx", OnnxModels.model(g, 13)))) {
            assertEquals(List.of("Neg", "Relu"), m.graph().nodes().stream().map(n -> n.opType()).toList());
        }
    }

    @Test
    void garbageAndTruncatedFilesGiveOneLineErrors() throws IOException {
        Path missing = dir.resolve("missing.onnx");
        assertEquals(missing + ": no such file", assertThrows(InvalidInputException.class,
            () -> OnnxImporter.load(missing)).getMessage());
        Path empty = dir.resolve("empty.onnx");
        Files.write(empty, new byte[0]);
        assertTrue(assertThrows(InvalidInputException.class, () -> OnnxImporter.load(empty)).getMessage()
            .contains("empty"));
        Random rnd = new Random(42);
        for (int i = 0; i < 200; i++) {
            byte[] junk = new byte[1 + rnd.nextInt(512)];
            rnd.nextBytes(junk);
            Path f = dir.resolve("junk.onnx");
            Files.write(f, junk);
            InvalidInputException e = assertThrows(InvalidInputException.class, () -> OnnxImporter.load(f).close());
            assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
            assertTrue(!e.getMessage().contains("\n"), e.getMessage());
        }
    }

    @Test
    void everyTruncationOfARealModelIsRejectedCleanly() throws IOException {
        byte[] full = Files.readAllBytes(SharedData.models().resolve("digits-cnn.onnx"));
        Path f = dir.resolve("cut.onnx");
        for (int len = 1; len < full.length - 64; len += 997) { // the opset import at the end is shorter
            Files.write(f, Arrays.copyOf(full, len));
            assertThrows(InvalidInputException.class, () -> OnnxImporter.load(f).close(), "length " + len);
        }
    }

    private void assertBad(ModelProto m, String expected) throws IOException {
        Path f = write("bad.onnx", m);
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> OnnxImporter.load(f).close());
        assertTrue(e.getMessage().startsWith(f + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }
}
