package dev.sparq.compress;

import static dev.sparq.testing.OnnxModels.floatInput;
import static dev.sparq.testing.OnnxModels.floatTensor;
import static dev.sparq.testing.OnnxModels.model;
import static dev.sparq.testing.OnnxModels.node;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparq.Sparq;
import dev.sparq.graph.Model;
import dev.sparq.onnx.proto.Onnx.GraphProto;
import dev.sparq.tensor.Npy;
import dev.sparq.tensor.Tensor;
import dev.sparq.testing.Logits;
import dev.sparq.testing.OnnxRuntimeRunner;
import dev.sparq.testing.SharedData;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Truncated SVD: exact at full energy on low-rank weights, fewer parameters at 0.95, files ONNX Runtime runs. */
class SvdFactorizerTest {
    @TempDir
    Path dir;

    /** A K×N matrix of rank {@code rank}: a sum of random outer products. */
    private static float[] lowRank(Random r, int k, int n, int rank) {
        float[] w = new float[k * n];
        for (int q = 0; q < rank; q++) {
            float[] u = Fixtures.random(r, k);
            float[] v = Fixtures.random(r, n);
            for (int i = 0; i < k; i++) {
                for (int j = 0; j < n; j++) {
                    w[i * n + j] += u[i] * v[j];
                }
            }
        }
        return w;
    }

    /**
     * Gemm(transB=1, W1[N=40, K=32] of rank 3, bias, alpha 0.5, beta 2) → Relu → MatMul(W2[K=40, N=24] of rank 5) →
     * Gemm(transB=0, W3[24, 6], full rank).
     */
    private Path lowRankModel(Random r) throws Exception {
        float[] w1t = lowRank(r, 32, 40, 3); // as [K, N]; stored transposed for transB=1
        float[] w1 = new float[40 * 32];
        for (int i = 0; i < 32; i++) {
            for (int j = 0; j < 40; j++) {
                w1[j * 32 + i] = w1t[i * 40 + j];
            }
        }
        dev.sparq.onnx.proto.Onnx.AttributeProto alpha = dev.sparq.onnx.proto.Onnx.AttributeProto.newBuilder()
            .setName("alpha").setType(dev.sparq.onnx.proto.Onnx.AttributeProto.AttributeType.FLOAT).setF(0.5f).build();
        dev.sparq.onnx.proto.Onnx.AttributeProto beta = alpha.toBuilder().setName("beta").setF(2f).build();
        GraphProto g = GraphProto.newBuilder().setName("lowrank").addInput(floatInput("x", "N", 32))
            .addInitializer(floatTensor("w1", new long[] {40, 32}, w1))
            .addInitializer(floatTensor("b1", new long[] {40}, Fixtures.random(r, 40)))
            .addInitializer(floatTensor("w2", new long[] {40, 24}, lowRank(r, 40, 24, 5)))
            .addInitializer(floatTensor("w3", new long[] {24, 6}, Fixtures.random(r, 24 * 6)))
            .addNode(node("Gemm", List.of("x", "w1", "b1"), List.of("h"), Fixtures.intAttr("transB", 1), alpha, beta))
            .addNode(node("Relu", List.of("h"), List.of("a")))
            .addNode(node("MatMul", List.of("a", "w2"), List.of("m")))
            .addNode(node("Gemm", List.of("m", "w3"), List.of("y")))
            .addOutput(floatInput("y", "N", 6)).build();
        return Fixtures.write(dir, "lowrank.onnx", model(g, 13));
    }

    @Test
    void fullEnergyReproducesLowRankLayersWithFewerParameters() throws Exception {
        Path file = lowRankModel(new Random(21));
        try (Model m = Sparq.loadModel(file); Compressed c = SvdFactorizer.factorize(m, 1.0);
             Tensor x = Fixtures.input(new Random(3), 7, 32)) {
            assertEquals(2, c.report().layers().size(), c.report().lines().toString());
            assertTrue(c.report().layers().get(0).note().startsWith("rank 3 of 32"), c.report().layers().get(0).note());
            assertTrue(c.report().layers().get(1).note().startsWith("rank 5 of 24"), c.report().layers().get(1).note());
            assertTrue(c.report().untouched().get(0).reason().contains("rank 6 of 6"), "full-rank W3 stays");
            assertEquals(40 * 32 + 40 * 24 - 3 * (32 + 40) - 5 * (40 + 24),
                c.report().totalParamsBefore() - c.report().totalParamsAfter());
            Path out = dir.resolve("svd.onnx");
            c.write(out);
            float[] expected = OnnxRuntimeRunner.run(file, "x", x);
            float[] ort = OnnxRuntimeRunner.run(out, "x", x);
            float[] ours = Fixtures.sparq(out, "x", x);
            double scale = 0;
            for (float v : expected) {
                scale = Math.max(scale, Math.abs(v));
            }
            assertTrue(Logits.maxAbsDiff(ort, expected) <= 1e-4 * Math.max(1, scale),
                Logits.maxAbsDiff(ort, expected) + " (outputs up to " + scale + ")");
            assertTrue(Logits.maxAbsDiff(ours, ort) <= 1e-4 * Math.max(1, scale));
            long matmuls = c.model().graph().nodes().stream().filter(n -> n.opType().equals("MatMul")).count();
            assertEquals(3, matmuls, "two first halves and the second half of the MatMul layer");
        }
    }

    @Test
    void rankKeepsTheRequestedEnergy() {
        double[] sigma = {3, 2, 1, 1e-9};
        // σ² = 9, 4, 1 of 14
        assertEquals(1, SvdFactorizer.rankFor(sigma, 0.64));
        assertEquals(2, SvdFactorizer.rankFor(sigma, 0.65));
        assertEquals(2, SvdFactorizer.rankFor(sigma, 13 / 14.0));
        assertEquals(3, SvdFactorizer.rankFor(sigma, 0.95));
        assertEquals(3, SvdFactorizer.rankFor(sigma, 1.0), "a singular value at float noise level is not signal");
        assertEquals(1, SvdFactorizer.rankFor(new double[] {0, 0}, 0.95), "a zero weight has rank 1 at least");
    }

    @Test
    void digitsMlpAt95PercentEnergyHasFewerParametersAndRunsInOnnxRuntime() throws Exception {
        Path models = SharedData.models();
        Path split = models.resolve("digits-test-split");
        try (Model m = Sparq.loadModel(models.resolve("digits-mlp.onnx")); Compressed c = SvdFactorizer.factorize(m, 0.95);
             Tensor x = Npy.read(split.resolve("x.npy")); Tensor y = Npy.read(split.resolve("y.npy"))) {
            assertTrue(c.report().totalParamsAfter() < c.report().totalParamsBefore(), c.report().lines().toString());
            Path out = dir.resolve("mlp-svd.onnx");
            c.write(out);
            float[] ort = OnnxRuntimeRunner.run(out, "input", x);
            int correct = Logits.correct(ort, 10, y.toLongArray());
            System.out.printf("digits-mlp SVD 95%%: %d -> %d parameters, %d/360 correct (dense 352)%n",
                c.report().totalParamsBefore(), c.report().totalParamsAfter(), correct);
            assertTrue(correct >= 330, correct + "/360");
            assertTrue(Logits.maxAbsDiff(Fixtures.sparq(out, "input", x), ort) < 1e-4);
        }
    }
}
