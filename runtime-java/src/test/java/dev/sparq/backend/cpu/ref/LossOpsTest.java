package dev.sparq.backend.cpu.ref;

import static dev.sparq.backend.cpu.ref.RefOps.*;
import static dev.sparq.testing.KernelHarness.i;
import static dev.sparq.testing.KernelHarness.s;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sparq.tensor.Tensor;
import org.junit.jupiter.api.Test;

class LossOpsTest {
    private static Tensor logProbs() {
        return f32(shape(2, 2), -1, -2, -3, -4);
    }

    @Test
    void nllReductionsWeightsAndIgnoredTargets() {
        Tensor target = i64s(1, 0); // picks -2 and -3
        assertFloats(run("NegativeLogLikelihoodLoss", 13, NONE, logProbs(), target), shape(), 2.5f);
        assertFloats(run("NegativeLogLikelihoodLoss", 13, attrs(s("reduction", "sum")), logProbs(), target), shape(),
            5);
        assertFloats(run("NegativeLogLikelihoodLoss", 13, attrs(s("reduction", "none")), logProbs(), target),
            shape(2), 2, 3);
        // weighted mean divides by the total weight of the picked classes: (2·3 + 3·1) / (3 + 1)
        assertFloats(run("NegativeLogLikelihoodLoss", 13, NONE, logProbs(), target, f32(shape(2), 1, 3)), shape(),
            2.25f);
        // an ignored target contributes neither loss nor weight
        assertFloats(run("NegativeLogLikelihoodLoss", 13, attrs(i("ignore_index", 0)), logProbs(), target), shape(),
            2);
    }

    @Test
    void softmaxCrossEntropyAppliesLogSoftmaxOverClasses() {
        Tensor[] out = runAll("SoftmaxCrossEntropyLoss", 13, 2, NONE, f32(shape(1, 2), 0, 0), i64s(1));
        assertFloats(out[0], shape(), (float) Math.log(2));
        assertFloats(out[1], shape(1, 2), (float) -Math.log(2), (float) -Math.log(2));
        assertEquals(1, runAll("SoftmaxCrossEntropyLoss", 13, 1, NONE, f32(shape(1, 2), 0, 0), i64s(1)).length);
    }
}
