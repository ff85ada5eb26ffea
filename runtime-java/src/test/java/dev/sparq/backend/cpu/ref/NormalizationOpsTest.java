package dev.sparq.backend.cpu.ref;

import static dev.sparq.backend.cpu.ref.RefAssert.assertTensor;
import static dev.sparq.backend.cpu.ref.RefAssert.f;
import static dev.sparq.backend.cpu.ref.RefAssert.in;
import static dev.sparq.backend.cpu.ref.RefAssert.run;
import static dev.sparq.backend.cpu.ref.RefAssert.run1;
import static dev.sparq.backend.cpu.ref.RefAssert.s;
import static dev.sparq.testing.KernelHarness.f;
import static dev.sparq.testing.KernelHarness.i;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.sparq.tensor.Tensor;
import org.junit.jupiter.api.Test;

class NormalizationOpsTest {
    private static final float EPS = 1e-5f;

    @Test
    void batchNormInferenceUsesGivenStatistics() {
        // ONNX's batchnorm example: channel 1 has scale 1.5, bias 1, mean 3, var 1.5.
        Tensor x = f(s(1, 2, 1, 3), -1, 0, 1, 2, 3, 4);
        Tensor y = run1("BatchNormalization", 15, in(x, f(s(2), 1, 1.5f), f(s(2), 0, 1), f(s(2), 0, 3),
            f(s(2), 1, 1.5f)));
        double a = 1 / Math.sqrt(1 + EPS);
        double b = 1.5 / Math.sqrt(1.5 + EPS);
        assertTensor(s(1, 2, 1, 3), new float[] {(float) -a, 0, (float) a, (float) (1 - b), 1, (float) (1 + b)}, y,
            1e-6f);
    }

    @Test
    void batchNormTrainingModeUsesBatchStatisticsAndUpdatesRunningOnes() {
        // One channel, values 1,3 (batch 0) and 5,7 (batch 1): mean 4, population variance 5.
        Tensor x = f(s(2, 1, 2), 1, 3, 5, 7);
        Tensor[] out = run("BatchNormalization", 15, 3, in(x, f(s(1), 2), f(s(1), 1), f(s(1), 0), f(s(1), 1)),
            i("training_mode", 1), f("momentum", 0.9f));
        double inv = 1 / Math.sqrt(5 + EPS);
        float[] expected = new float[4];
        float[] xs = {1, 3, 5, 7};
        for (int k = 0; k < 4; k++) {
            expected[k] = (float) (2 * (xs[k] - 4) * inv + 1);
        }
        assertTensor(s(2, 1, 2), expected, out[0], 1e-6f);
        assertTensor(s(1), new float[] {0.4f}, out[1], 1e-6f);
        assertTensor(s(1), new float[] {1.4f}, out[2], 1e-6f);
    }

    @Test
    void batchNormPerActivationStatisticsBeforeOpset9() {
        // spatial=0: statistics have shape [C, W], one per activation.
        Tensor x = f(s(1, 1, 2), 10, 20);
        Tensor y = run1("BatchNormalization", 7, in(x, f(s(1, 2), 1, 2), f(s(1, 2), 0, 0), f(s(1, 2), 10, 10),
            f(s(1, 2), 1, 4)), i("spatial", 0), f("epsilon", 0));
        assertTensor(s(1, 1, 2), new float[] {0, 10}, y, 1e-6f);
    }

    @Test
    void instanceNormNormalizesEachPlane() {
        Tensor x = f(s(1, 2, 2), 1, 3, 10, 10);
        Tensor y = run1("InstanceNormalization", 6, in(x, f(s(2), 2, 1), f(s(2), 0, 5)));
        float v = (float) (2 / Math.sqrt(1 + EPS));
        assertTensor(s(1, 2, 2), new float[] {-v, v, 5, 5}, y, 1e-6f);
    }

    @Test
    void layerNormOverTrailingAxesWithStatisticsOutputs() {
        Tensor x = f(s(2, 2), 1, 3, 2, 2);
        Tensor[] out = run("LayerNormalization", 17, 3, in(x, f(s(2), 1, 2), f(s(2), 0, 1)), i("axis", 1));
        float inv = (float) (1 / Math.sqrt(1 + EPS));
        assertTensor(s(2, 2), new float[] {-inv, 2 * inv + 1, 0, 1}, out[0], 1e-6f);
        assertTensor(s(2, 1), new float[] {2, 2}, out[1], 1e-6f);
        assertTensor(s(2, 1), new float[] {inv, (float) (1 / Math.sqrt(EPS))}, out[2], 1e-2f);
        // Without B, one output; axis 0 normalizes over everything.
        Tensor[] all = run("LayerNormalization", 17, 1, in(x, f(s(2, 2), 1, 1, 1, 1)), i("axis", 0));
        float sd = (float) Math.sqrt(0.5 + EPS);
        assertTensor(s(2, 2), new float[] {-1 / sd, 1 / sd, 0, 0}, all[0], 1e-5f);
    }

    @Test
    void groupNormScalesPerGroupInOpset18AndPerChannelInOpset21() {
        // Two groups of two channels, one element each.
        Tensor x = f(s(1, 4, 1), 1, 3, 5, 5);
        float inv = (float) (1 / Math.sqrt(1 + EPS));
        assertTensor(s(1, 4, 1), new float[] {-2 * inv, 2 * inv, 7, 7}, run1("GroupNormalization", 18,
            in(x, f(s(2), 2, 3), f(s(2), 0, 7)), i("num_groups", 2)), 1e-5f);
        assertTensor(s(1, 4, 1), new float[] {-inv, 2 * inv, 3, 4}, run1("GroupNormalization", 21,
            in(x, f(s(4), 1, 2, 3, 4), f(s(4), 0, 0, 3, 4)), i("num_groups", 2)), 1e-5f);
    }

    @Test
    void lrnSumsSquaresOverNeighbouringChannels() {
        Tensor x = f(s(1, 3, 1), 1, 2, 3);
        Tensor y = run1("LRN", 13, in(x), i("size", 3), f("alpha", 3), f("beta", 1), f("bias", 1));
        // alpha/size = 1: channel 0 sums 1+4, channel 1 sums 1+4+9, channel 2 sums 4+9.
        assertTensor(s(1, 3, 1), new float[] {1 / 6f, 2 / 15f, 3 / 14f}, y, 1e-6f);
    }

    @Test
    void trainingOutputsAreAbsentInInferenceMode() {
        Tensor x = f(s(1, 1, 1), 2);
        Tensor[] out = run("BatchNormalization", 15, 1, in(x, f(s(1), 1), f(s(1), 0), f(s(1), 0), f(s(1), 1)));
        assertTensor(s(1, 1, 1), new float[] {(float) (2 / Math.sqrt(1 + EPS))}, out[0], 1e-6f);
        Tensor[] ln = run("LayerNormalization", 17, 1, in(f(s(1, 2), 1, 2), f(s(2), 1, 1)));
        assertNull(ln.length > 1 ? ln[1] : null);
    }
}
