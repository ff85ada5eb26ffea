package dev.sparq.compress;

import static dev.sparq.testing.OnnxModels.floatInput;
import static dev.sparq.testing.OnnxModels.floatTensor;
import static dev.sparq.testing.OnnxModels.model;
import static dev.sparq.testing.OnnxModels.node;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparq.InvalidInputException;
import dev.sparq.Sparq;
import dev.sparq.graph.Model;
import dev.sparq.onnx.proto.Onnx.GraphProto;
import dev.sparq.onnx.proto.Onnx.ModelProto;
import dev.sparq.onnx.proto.Onnx.TensorProto;
import dev.sparq.tensor.Npy;
import dev.sparq.tensor.Tensor;
import dev.sparq.testing.Logits;
import dev.sparq.testing.OnnxRuntimeRunner;
import dev.sparq.testing.SharedData;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Channel pruning makes a smaller dense model that computes what the original computes with the removed channels
 * zeroed. The reference is built here, from the original file, by zeroing the channels the test itself picks by
 * L1 norm; both files run in ONNX Runtime.
 */
class ChannelPrunerTest {
    @TempDir
    Path dir;

    @Test
    void fullyConnectedChainThroughReluMulAndClipShrinksTheReader() throws Exception {
        Random r = new Random(11);
        float[] w1 = Fixtures.random(r, 8 * 12); // Gemm transB=0: W[K=8, N=12], channels on axis 1
        float[] b1 = Fixtures.random(r, 12);
        float[] k = Fixtures.random(r, 12);
        float[] w2 = Fixtures.random(r, 12 * 5);
        Path original = Fixtures.write(dir, "fc.onnx", fc(w1, b1, k, w2));
        int[] removed = smallestL1(12, 3, c -> IntStream.range(0, 8).mapToDouble(i -> Math.abs(w1[i * 12 + c])).sum());
        float[] w1z = w1.clone();
        float[] b1z = b1.clone();
        for (int c : removed) {
            for (int i = 0; i < 8; i++) {
                w1z[i * 12 + c] = 0;
            }
            b1z[c] = 0;
        }
        Path reference = Fixtures.write(dir, "fc-ref.onnx", fc(w1z, b1z, k, w2));
        try (Model m = Sparq.loadModel(original); Compressed c = ChannelPruner.prune(m, 0.25)) {
            assertArrayEquals(new long[] {8, 9}, shape(c, "w1"));
            assertArrayEquals(new long[] {9}, shape(c, "b1"));
            assertArrayEquals(new long[] {9}, shape(c, "k"), "the per-channel Mul constant loses the channels too");
            assertArrayEquals(new long[] {9, 5}, shape(c, "w2"));
            assertTrue(c.report().untouched().stream().anyMatch(u -> u.reason().contains("graph output")));
            sameAsReference(c, reference, "x", new long[] {6, 8}, 1e-5);
        }
    }

    @Test
    void convolutionsThroughMaxPoolAndFlattenIntoGemmLoseChannelBlocks() throws Exception {
        Random r = new Random(12);
        float[] c1 = Fixtures.random(r, 5 * 2 * 9);
        float[] b1 = Fixtures.random(r, 5);
        float[] c2 = Fixtures.random(r, 6 * 5 * 9);
        float[] b2 = Fixtures.random(r, 6);
        float[] fc = Fixtures.random(r, 4 * 54);
        Path original = Fixtures.write(dir, "cnn.onnx", cnn(c1, b1, c2, b2, fc));
        int[] gone1 = smallestL1(5, 2, o -> IntStream.range(0, 18).mapToDouble(i -> Math.abs(c1[o * 18 + i])).sum());
        int[] gone2 = smallestL1(6, 2, o -> IntStream.range(0, 45).mapToDouble(i -> Math.abs(c2[o * 45 + i])).sum());
        float[] c1z = zeroRows(c1, gone1, 18);
        float[] b1z = zeroRows(b1, gone1, 1);
        float[] c2z = zeroRows(c2, gone2, 45);
        float[] b2z = zeroRows(b2, gone2, 1);
        Path reference = Fixtures.write(dir, "cnn-ref.onnx", cnn(c1z, b1z, c2z, b2z, fc));
        try (Model m = Sparq.loadModel(original); Compressed c = ChannelPruner.prune(m, 0.4)) {
            assertArrayEquals(new long[] {3, 2, 3, 3}, shape(c, "c1"));
            assertArrayEquals(new long[] {4, 3, 3, 3}, shape(c, "c2"));
            assertArrayEquals(new long[] {4, 36}, shape(c, "fc"), "4 channels × 3×3 positions stay");
            assertTrue(c.report().totalParamsAfter() < c.report().totalParamsBefore());
            sameAsReference(c, reference, "x", new long[] {3, 2, 6, 6}, 1e-5);
        }
    }

    /**
     * digits-cnn: Conv → BatchNormalization → Relu → Conv → Relu → MaxPool → Flatten → Gemm. The reference zeroes the
     * BN scale and shift of conv1's removed channels (what a channel removed after folding means) and conv2's rows.
     */
    @Test
    void digitsCnnPrunedEqualsTheOriginalWithThoseChannelsZeroed() throws Exception {
        Path models = SharedData.models();
        Path file = models.resolve("digits-cnn.onnx");
        ModelProto proto = ModelProto.parseFrom(Files.readAllBytes(file));
        GraphProto g = proto.getGraph();
        var conv1 = g.getNodeList().stream().filter(n -> n.getOpType().equals("Conv")).findFirst().orElseThrow();
        var conv2 = g.getNodeList().stream().filter(n -> n.getOpType().equals("Conv")).skip(1).findFirst().orElseThrow();
        var bn = g.getNodeList().stream().filter(n -> n.getOpType().equals("BatchNormalization")).findFirst().orElseThrow();
        float[] w1 = floats(g, conv1.getInput(1));
        float[] gamma = floats(g, bn.getInput(1));
        float[] beta = floats(g, bn.getInput(2));
        float[] var = floats(g, bn.getInput(4));
        float[] w2 = floats(g, conv2.getInput(1));
        float[] b2 = floats(g, conv2.getInput(2));
        // conv1's channels are ranked after BN folding: L1 of W·gamma/sqrt(var+eps)
        int[] gone1 = smallestL1(16, 8, o -> Math.abs(gamma[o] / Math.sqrt(var[o] + 1e-5))
            * IntStream.range(0, 9).mapToDouble(i -> Math.abs(w1[o * 9 + i])).sum());
        int[] gone2 = smallestL1(32, 16, o -> IntStream.range(0, 144).mapToDouble(i -> Math.abs(w2[o * 144 + i])).sum());
        ModelProto ref = with(proto, bn.getInput(1), zeroRows(gamma, gone1, 1));
        ref = with(ref, bn.getInput(2), zeroRows(beta, gone1, 1));
        ref = with(ref, conv2.getInput(1), zeroRows(w2, gone2, 144));
        ref = with(ref, conv2.getInput(2), zeroRows(b2, gone2, 1));
        Path reference = Fixtures.write(dir, "digits-cnn-ref.onnx", ref);
        try (Model m = Sparq.loadModel(file); Compressed c = ChannelPruner.prune(m, 0.5);
             Tensor x = Npy.read(models.resolve("digits-test-split/x_nchw.npy"));
             Tensor y = Npy.read(models.resolve("digits-test-split/y.npy"))) {
            Path out = dir.resolve("digits-cnn-ch50.onnx");
            c.write(out);
            float[] pruned = OnnxRuntimeRunner.run(out, "input", x);
            float[] expected = OnnxRuntimeRunner.run(reference, "input", x);
            float diff = Logits.maxAbsDiff(pruned, expected);
            System.out.printf("digits-cnn channel 50%%: %d -> %d parameters, %d/360 correct, max |pruned - zeroed "
                    + "reference| = %.2e%n", c.report().totalParamsBefore(), c.report().totalParamsAfter(),
                Logits.correct(pruned, 10, y.toLongArray()), diff);
            assertTrue(diff < 1e-4, "max diff " + diff);
            assertTrue(Files.size(out) < Files.size(file) / 2, "a smaller dense file");
            assertTrue(Logits.maxAbsDiff(Fixtures.sparq(out, "input", x), pruned) < 1e-4, "sparq runs it too");
        }
    }

    @Test
    void refusesChannelsThatFeedAResidualAddOrAnOpThatMovesZero() throws Exception {
        Random r = new Random(13);
        GraphProto residual = GraphProto.newBuilder().setName("res").addInput(floatInput("x", "N", 8))
            .addInitializer(floatTensor("w1", new long[] {8, 8}, Fixtures.random(r, 64)))
            .addInitializer(floatTensor("w2", new long[] {3, 8}, Fixtures.random(r, 24)))
            .addNode(node("Gemm", List.of("x", "w1"), List.of("h"), Fixtures.intAttr("transB", 1)))
            .addNode(node("Add", List.of("h", "x"), List.of("s")))
            .addNode(node("Gemm", List.of("s", "w2"), List.of("y"), Fixtures.intAttr("transB", 1)))
            .addOutput(floatInput("y", "N", 3)).build();
        assertRefused(residual, "residual Add");
        GraphProto sigmoid = residual.toBuilder().setNode(1, node("Sigmoid", List.of("h"), List.of("s"))).build();
        assertRefused(sigmoid, "Sigmoid");
        GraphProto clip = residual.toBuilder()
            .addInitializer(floatTensor("lo", new long[] {}, 1f))
            .setNode(1, node("Clip", List.of("h", "lo"), List.of("s"))).build();
        assertRefused(clip, "moves a zero channel");
    }

    private void assertRefused(GraphProto g, String reason) throws Exception {
        Path f = Fixtures.write(dir, "refused.onnx", model(g, 13));
        try (Model m = Sparq.loadModel(f)) {
            InvalidInputException e = assertThrows(InvalidInputException.class, () -> ChannelPruner.prune(m, 0.5));
            assertTrue(e.getMessage().startsWith(f.toString()) && e.getMessage().contains(reason), e.getMessage());
        }
    }

    private void sameAsReference(Compressed c, Path reference, String input, long[] shape, double tol) throws Exception {
        Path out = dir.resolve("pruned.onnx");
        c.write(out);
        try (Tensor x = Fixtures.input(new Random(5), shape)) {
            float[] pruned = OnnxRuntimeRunner.run(out, input, x);
            float[] expected = OnnxRuntimeRunner.run(reference, input, x);
            assertTrue(Logits.maxAbsDiff(pruned, expected) <= tol, "max diff " + Logits.maxAbsDiff(pruned, expected));
            assertTrue(Logits.maxAbsDiff(Fixtures.sparq(out, input, x), pruned) <= tol, "sparq agrees");
        }
    }

    /** x[N,8] → Gemm(W1[8,12], b1) → Relu → Mul(k[12]) → Clip(0, 6) → MatMul(W2[12,5]) → y. */
    private static ModelProto fc(float[] w1, float[] b1, float[] k, float[] w2) {
        GraphProto g = GraphProto.newBuilder().setName("fc").addInput(floatInput("x", "N", 8))
            .addInitializer(floatTensor("w1", new long[] {8, 12}, w1))
            .addInitializer(floatTensor("b1", new long[] {12}, b1))
            .addInitializer(floatTensor("k", new long[] {12}, k))
            .addInitializer(floatTensor("lo", new long[] {}, 0f))
            .addInitializer(floatTensor("hi", new long[] {}, 6f))
            .addInitializer(floatTensor("w2", new long[] {12, 5}, w2))
            .addNode(node("Gemm", List.of("x", "w1", "b1"), List.of("h")))
            .addNode(node("Relu", List.of("h"), List.of("a")))
            .addNode(node("Mul", List.of("a", "k"), List.of("s")))
            .addNode(node("Clip", List.of("s", "lo", "hi"), List.of("c")))
            .addNode(node("MatMul", List.of("c", "w2"), List.of("y")))
            .addOutput(floatInput("y", "N", 5)).build();
        return model(g, 13);
    }

    /** x[N,2,6,6] → Conv(5, 3×3, pad 1) → Relu → MaxPool 2 → Conv(6, 3×3, pad 1) → Relu → Flatten → Gemm(4). */
    private static ModelProto cnn(float[] c1, float[] b1, float[] c2, float[] b2, float[] fc) {
        GraphProto g = GraphProto.newBuilder().setName("cnn").addInput(floatInput("x", "N", 2, 6, 6))
            .addInitializer(floatTensor("c1", new long[] {5, 2, 3, 3}, c1))
            .addInitializer(floatTensor("b1", new long[] {5}, b1))
            .addInitializer(floatTensor("c2", new long[] {6, 5, 3, 3}, c2))
            .addInitializer(floatTensor("b2", new long[] {6}, b2))
            .addInitializer(floatTensor("fc", new long[] {4, 54}, fc))
            .addNode(node("Conv", List.of("x", "c1", "b1"), List.of("h1"), Fixtures.intsAttr("kernel_shape", 3, 3),
                Fixtures.intsAttr("pads", 1, 1, 1, 1)))
            .addNode(node("Relu", List.of("h1"), List.of("a1")))
            .addNode(node("MaxPool", List.of("a1"), List.of("p1"), Fixtures.intsAttr("kernel_shape", 2, 2),
                Fixtures.intsAttr("strides", 2, 2)))
            .addNode(node("Conv", List.of("p1", "c2", "b2"), List.of("h2"), Fixtures.intsAttr("kernel_shape", 3, 3),
                Fixtures.intsAttr("pads", 1, 1, 1, 1)))
            .addNode(node("Relu", List.of("h2"), List.of("a2")))
            .addNode(node("Flatten", List.of("a2"), List.of("f")))
            .addNode(node("Gemm", List.of("f", "fc"), List.of("y"), Fixtures.intAttr("transB", 1)))
            .addOutput(floatInput("y", "N", 4)).build();
        return model(g, 13);
    }

    /** The {@code remove} channels of smallest norm (ties: lower index first). */
    private static int[] smallestL1(int channels, int remove, java.util.function.IntToDoubleFunction norm) {
        return IntStream.range(0, channels).boxed()
            .sorted((a, b) -> norm.applyAsDouble(a) != norm.applyAsDouble(b)
                ? Double.compare(norm.applyAsDouble(a), norm.applyAsDouble(b)) : Integer.compare(a, b))
            .limit(remove).mapToInt(Integer::intValue).toArray();
    }

    private static float[] zeroRows(float[] w, int[] rows, int rowLength) {
        float[] z = w.clone();
        for (int r : rows) {
            Arrays.fill(z, r * rowLength, (r + 1) * rowLength, 0f);
        }
        return z;
    }

    private static long[] shape(Compressed c, String name) {
        return c.model().graph().initializers().get(name).shape();
    }

    private static float[] floats(GraphProto g, String name) {
        TensorProto t = g.getInitializerList().stream().filter(i -> i.getName().equals(name)).findFirst().orElseThrow();
        ByteBuffer b = t.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        float[] v = new float[b.remaining() / 4];
        b.asFloatBuffer().get(v);
        return v;
    }

    private static ModelProto with(ModelProto m, String name, float[] values) {
        GraphProto.Builder g = m.getGraph().toBuilder();
        for (int i = 0; i < g.getInitializerCount(); i++) {
            TensorProto t = g.getInitializer(i);
            if (t.getName().equals(name)) {
                long[] dims = t.getDimsList().stream().mapToLong(Long::longValue).toArray();
                g.setInitializer(i, floatTensor(name, dims, values));
            }
        }
        return m.toBuilder().setGraph(g).build();
    }
}
