package dev.sparq.compress;

import static dev.sparq.testing.OnnxModels.floatInput;
import static dev.sparq.testing.OnnxModels.floatTensor;
import static dev.sparq.testing.OnnxModels.model;
import static dev.sparq.testing.OnnxModels.node;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparq.Sparq;
import dev.sparq.graph.Model;
import dev.sparq.onnx.proto.Onnx.GraphProto;
import dev.sparq.onnx.proto.Onnx.ModelProto;
import dev.sparq.sparse.WeightSparsity;
import dev.sparq.tensor.Npy;
import dev.sparq.tensor.Tensor;
import dev.sparq.testing.Logits;
import dev.sparq.testing.OnnxRuntimeRunner;
import dev.sparq.testing.SharedData;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Unstructured and 2:4 magnitude pruning: exact counts, the smallest go, the pattern holds, the files run. */
class MagnitudePrunerTest {
    @TempDir
    Path dir;

    /** Gemm(transB=1, W1[24,16]) → Relu → MatMul(W2[24,12]) → Gemm(transB=0, W3[12,7]): every weight layout. */
    private static final long[] W1 = {24, 16};
    private static final long[] W2 = {24, 12};
    private static final long[] W3 = {12, 7};

    private Path mlp(Random r) throws Exception {
        GraphProto g = GraphProto.newBuilder().setName("mlp").addInput(floatInput("x", "N", 16))
            .addInitializer(floatTensor("w1", W1, Fixtures.random(r, 24 * 16)))
            .addInitializer(floatTensor("b1", new long[] {24}, Fixtures.random(r, 24)))
            .addInitializer(floatTensor("w2", W2, Fixtures.random(r, 24 * 12)))
            .addInitializer(floatTensor("w3", W3, Fixtures.random(r, 12 * 7)))
            .addInitializer(floatTensor("b3", new long[] {7}, Fixtures.random(r, 7)))
            .addNode(node("Gemm", List.of("x", "w1", "b1"), List.of("h1"), Fixtures.intAttr("transB", 1)))
            .addNode(node("Relu", List.of("h1"), List.of("a1")))
            .addNode(node("MatMul", List.of("a1", "w2"), List.of("h2")))
            .addNode(node("Gemm", List.of("h2", "w3", "b3"), List.of("y")))
            .addOutput(floatInput("y", "N", 7)).build();
        return Fixtures.write(dir, "mlp.onnx", model(g, 13));
    }

    /** Conv(W[6,3,3,3], reduction 27: no 2:4) → Relu → Conv(W[4,6,2,2], reduction 24). */
    private Path cnn(Random r) throws Exception {
        GraphProto g = GraphProto.newBuilder().setName("cnn").addInput(floatInput("x", "N", 3, 6, 6))
            .addInitializer(floatTensor("c1", new long[] {6, 3, 3, 3}, Fixtures.random(r, 6 * 27)))
            .addInitializer(floatTensor("c2", new long[] {4, 6, 2, 2}, Fixtures.random(r, 4 * 24)))
            .addNode(node("Conv", List.of("x", "c1"), List.of("h"), Fixtures.intsAttr("kernel_shape", 3, 3)))
            .addNode(node("Relu", List.of("h"), List.of("a")))
            .addNode(node("Conv", List.of("a", "c2"), List.of("y"), Fixtures.intsAttr("kernel_shape", 2, 2)))
            .addOutput(floatInput("y", "N", 4, 3, 3)).build();
        return Fixtures.write(dir, "cnn.onnx", model(g, 13));
    }

    @ParameterizedTest
    @ValueSource(doubles = {0.0, 0.3, 0.5, 0.9, 0.97})
    void perLayerPruningZeroesExactlyTheSmallestOfEachWeight(double s) throws Exception {
        Path file = mlp(new Random(1));
        try (Model m = Sparq.loadModel(file);
             Compressed c = MagnitudePruner.unstructured(m, s, MagnitudePruner.Scope.LAYER)) {
            for (String w : new String[] {"w1", "w2", "w3"}) {
                float[] before = m.graph().initializers().get(w).toFloatArray();
                float[] after = Fixtures.floats(c, w);
                assertEquals(Math.round(s * before.length), zeros(after), w + " at " + s);
                assertSmallestGone(before, after);
            }
            assertEquals(Arrays.toString(m.graph().initializers().get("b1").toFloatArray()),
                Arrays.toString(Fixtures.floats(c, "b1")), "biases are not pruned");
            assertEquals(3, c.report().layers().size());
            runsTheSameInOnnxRuntime(c, "x", new long[] {5, 16});
        }
    }

    @Test
    void globalPruningUsesOneThresholdAcrossLayers() throws Exception {
        Path file = mlp(new Random(2));
        double s = 0.6;
        try (Model m = Sparq.loadModel(file);
             Compressed c = MagnitudePruner.unstructured(m, s, MagnitudePruner.Scope.GLOBAL)) {
            List<Float> pruned = new ArrayList<>();
            List<Float> kept = new ArrayList<>();
            long total = 0;
            long zeros = 0;
            for (String w : new String[] {"w1", "w2", "w3"}) {
                float[] before = m.graph().initializers().get(w).toFloatArray();
                float[] after = Fixtures.floats(c, w);
                total += before.length;
                zeros += zeros(after);
                for (int i = 0; i < before.length; i++) {
                    (after[i] == 0 ? pruned : kept).add(Math.abs(before[i]));
                }
            }
            assertEquals(Math.round(s * total), zeros);
            float maxPruned = pruned.stream().max(Float::compare).orElseThrow();
            float minKept = kept.stream().min(Float::compare).orElseThrow();
            assertTrue(maxPruned <= minKept, maxPruned + " pruned but " + minKept + " kept");
            assertEquals(total - zeros + 24 + 7, c.report().totalNonzerosAfter(), "biases stay");
        }
    }

    @Test
    void twoOfFourKeepsTheTwoLargestOfEachGroupAlongTheReductionAxis() throws Exception {
        Path file = mlp(new Random(3));
        try (Model m = Sparq.loadModel(file); Compressed c = MagnitudePruner.twoOfFour(m)) {
            // Gemm transB=1 W1[N=24, K=16]: groups along the last axis
            checkGroups(m, c, "w1", 24, 16, (n, k) -> n * 16 + k);
            // MatMul W2[K=24, N=12] and Gemm transB=0 W3[K=12, N=7]: groups along axis 0
            checkGroups(m, c, "w2", 12, 24, (n, k) -> k * 12 + n);
            checkGroups(m, c, "w3", 7, 12, (n, k) -> k * 7 + n);
            try (Tensor w1 = Tensor.fromFloats(Fixtures.floats(c, "w1"), W1)) {
                assertTrue(WeightSparsity.rowMajor(w1).twoOfFour(), "sparq's own detector sees 2:4");
            }
            runsTheSameInOnnxRuntime(c, "x", new long[] {3, 16});
        }
    }

    @Test
    void twoOfFourLeavesAReductionThatIsNotAMultipleOfFourDense() throws Exception {
        Path file = cnn(new Random(4));
        try (Model m = Sparq.loadModel(file); Compressed c = MagnitudePruner.twoOfFour(m)) {
            assertArrayEquals(m.graph().initializers().get("c1").toFloatArray(), Fixtures.floats(c, "c1"));
            assertEquals(1, c.report().untouched().size());
            assertTrue(c.report().untouched().get(0).reason().contains("27 is not a multiple of 4"),
                c.report().untouched().toString());
            // Conv W[Cout=4, Cin·kh·kw=24]: rows of 24, groups of 4 consecutive
            checkGroups(m, c, "c2", 4, 24, (o, k) -> o * 24 + k);
            runsTheSameInOnnxRuntime(c, "x", new long[] {2, 3, 6, 6});
        }
    }

    @Test
    void digitsMlpAt2of4LoadsInOnnxRuntimeAndReportsPerLayer() throws Exception {
        Path models = SharedData.models();
        Path split = models.resolve("digits-test-split");
        try (Model m = Sparq.loadModel(models.resolve("digits-mlp.onnx")); Compressed c = MagnitudePruner.twoOfFour(m);
             Tensor x = Npy.read(split.resolve("x.npy")); Tensor y = Npy.read(split.resolve("y.npy"))) {
            Path out = dir.resolve("mlp24.onnx");
            c.write(out);
            float[] ort = OnnxRuntimeRunner.run(out, "input", x);
            float[] original = OnnxRuntimeRunner.run(models.resolve("digits-mlp.onnx"), "input", x);
            int correct = Logits.correct(ort, 10, y.toLongArray());
            System.out.printf("digits-mlp 2:4 without fine-tuning: %d/360 (dense %d), max |Δlogit| %.3f%n", correct,
                Logits.correct(original, 10, y.toLongArray()), Logits.maxAbsDiff(ort, original));
            assertTrue(correct > 300, correct + "/360: 2:4 by magnitude should keep most of the accuracy");
            assertEquals(50826, c.report().totalParamsAfter());
            for (String w : c.model().graph().initializers().keySet()) {
                Tensor t = c.model().graph().initializers().get(w);
                if (t.rank() == 2) {
                    assertTrue(WeightSparsity.rowMajor(t).twoOfFour(), w);
                }
            }
        }
    }

    @Test
    void rejectsSparsityOutsideTheRange() throws Exception {
        Path file = mlp(new Random(5));
        try (Model m = Sparq.loadModel(file)) {
            for (double s : new double[] {-0.1, 1.0, Double.NaN}) {
                assertThrowsIllegal(() -> MagnitudePruner.unstructured(m, s, MagnitudePruner.Scope.LAYER));
            }
        }
    }

    private static void assertThrowsIllegal(org.junit.jupiter.api.function.Executable e) {
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, e);
    }

    private void runsTheSameInOnnxRuntime(Compressed c, String input, long[] shape) throws Exception {
        Path out = dir.resolve("pruned.onnx");
        c.write(out);
        try (Tensor x = Fixtures.input(new Random(9), shape)) {
            float[] ort = OnnxRuntimeRunner.run(out, input, x);
            float[] ours = Fixtures.sparq(out, input, x);
            assertTrue(Logits.maxAbsDiff(ort, ours) < 1e-4, "sparq and onnxruntime agree on the pruned file");
        }
    }

    interface Index {
        int at(int row, int k);
    }

    /** Every aligned group of 4 along the reduction has exactly 2 zeros, and the 2 kept are the 2 largest. */
    private static void checkGroups(Model m, Compressed c, String w, int rows, int depth, Index idx) {
        float[] before = m.graph().initializers().get(w).toFloatArray();
        float[] after = Fixtures.floats(c, w);
        for (int r = 0; r < rows; r++) {
            for (int k = 0; k < depth; k += 4) {
                float[] mags = new float[4];
                int zeros = 0;
                for (int q = 0; q < 4; q++) {
                    mags[q] = Math.abs(before[idx.at(r, k + q)]);
                    zeros += after[idx.at(r, k + q)] == 0 ? 1 : 0;
                }
                assertEquals(2, zeros, w + " row " + r + " group " + k);
                float[] sorted = mags.clone();
                Arrays.sort(sorted);
                for (int q = 0; q < 4; q++) {
                    float a = after[idx.at(r, k + q)];
                    if (a != 0) {
                        assertEquals(before[idx.at(r, k + q)], a);
                        assertTrue(mags[q] >= sorted[2], "a kept weight is one of the 2 largest");
                    }
                }
            }
        }
    }

    private static long zeros(float[] v) {
        long z = 0;
        for (float x : v) {
            z += x == 0 ? 1 : 0;
        }
        return z;
    }

    private static void assertSmallestGone(float[] before, float[] after) {
        float maxPruned = 0;
        float minKept = Float.MAX_VALUE;
        for (int i = 0; i < before.length; i++) {
            if (after[i] == 0) {
                maxPruned = Math.max(maxPruned, Math.abs(before[i]));
            } else {
                assertEquals(before[i], after[i], "kept weights are unchanged");
                minKept = Math.min(minKept, Math.abs(before[i]));
            }
        }
        assertTrue(maxPruned <= minKept, maxPruned + " pruned but " + minKept + " kept");
    }
}
