package dev.sparq.backend.cpu.ref;

import static dev.sparq.backend.cpu.ref.RefOps.*;
import static dev.sparq.testing.KernelHarness.f;
import static dev.sparq.testing.KernelHarness.i;
import static dev.sparq.testing.KernelHarness.s;

import dev.sparq.graph.Attribute;
import dev.sparq.tensor.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

/** One hidden unit and one input feature, so every step can be written out with Math.tanh and a sigmoid. */
class RecurrentOpsTest {
    private static float sig(double v) {
        return (float) (1 / (1 + Math.exp(-v)));
    }

    private static float tanh(double v) {
        return (float) Math.tanh(v);
    }

    @Test
    void rnnForwardReverseAndBidirectional() {
        Tensor x = f32(shape(2, 1, 1), 1, 2);
        Tensor w = f32(shape(1, 1, 1), 1);
        Tensor r = f32(shape(1, 1, 1), 0.5f);
        Tensor[] fwd = runAll("RNN", 14, 2, attrs(i("hidden_size", 1)), x, w, r);
        float h1 = tanh(1);
        float h2 = tanh(2 + 0.5 * h1);
        assertFloats(fwd[0], shape(2, 1, 1, 1), h1, h2);
        assertFloats(fwd[1], shape(1, 1, 1), h2);
        float b1 = tanh(2);
        float b0 = tanh(1 + 0.5 * b1);
        Tensor[] rev = runAll("RNN", 14, 2, attrs(i("hidden_size", 1), s("direction", "reverse")), x, w, r);
        assertFloats(rev[0], shape(2, 1, 1, 1), b0, b1);
        assertFloats(rev[1], shape(1, 1, 1), b0);
        Tensor[] both = runAll("RNN", 14, 2, attrs(i("hidden_size", 1), s("direction", "bidirectional")), x,
            f32(shape(2, 1, 1), 1, 1), f32(shape(2, 1, 1), 0.5f, 0.5f));
        assertFloats(both[0], shape(2, 2, 1, 1), h1, b0, h2, b1);
        assertFloats(both[1], shape(2, 1, 1), h2, b0);
    }

    @Test
    void sequenceLengthsStopEachBatchEntry() {
        // batch 0 runs 2 steps, batch 1 only 1: its second output is 0 and its final state is from step 1
        Tensor x = f32(shape(2, 2, 1), 1, 3, 2, 4);
        Tensor[] out = runAll("RNN", 14, 2, attrs(i("hidden_size", 1)), x, f32(shape(1, 1, 1), 1),
            f32(shape(1, 1, 1), 0.5f), null, of(dev.sparq.tensor.DType.I32, shape(2), 2, 1));
        float h1 = tanh(1);
        assertFloats(out[0], shape(2, 1, 2, 1), h1, tanh(3), tanh(2 + 0.5 * h1), 0);
        assertFloats(out[1], shape(1, 2, 1), tanh(2 + 0.5 * h1), tanh(3));
    }

    @Test
    void rnnCustomActivationAndBatchFirstLayout() {
        Attribute acts = new Attribute("activations", Attribute.Type.STRINGS, List.of("LeakyRelu"));
        Tensor x = f32(shape(1, 2, 1), -1, 2); // layout 1: [batch, seq, input]
        Tensor[] out = runAll("RNN", 14, 2, attrs(i("hidden_size", 1), i("layout", 1), acts,
            dev.sparq.testing.KernelHarness.floats("activation_alpha", 0.1f)), x, f32(shape(1, 1, 1), 1),
            f32(shape(1, 1, 1), 1));
        float h1 = -0.1f;
        assertFloats(out[0], shape(1, 2, 1, 1), h1, 2 + h1);
        assertFloats(out[1], shape(1, 1, 1), 2 + h1);
    }

    @Test
    void gruLinearBeforeReset() {
        Tensor x = f32(shape(1, 1, 1), 1);
        Tensor w = f32(shape(1, 3, 1), 1, 1, 1);
        Tensor r = f32(shape(1, 3, 1), 0.5f, 0.5f, 0.5f);
        Tensor b = f32(shape(1, 6), 0, 0, 0, 0, 0, 1); // only Rbh
        Tensor h0 = f32(shape(1, 1, 1), 0.5f);
        float z = sig(1.25);
        float reset = sig(1.25);
        float after = tanh(1 + 0.5 * (reset * 0.5) + 1);
        float before = tanh(1 + reset * (0.5 * 0.5 + 1));
        assertFloats(runAll("GRU", 14, 2, attrs(i("hidden_size", 1)), x, w, r, b, null, h0)[1], shape(1, 1, 1),
            (1 - z) * after + z * 0.5f);
        assertFloats(runAll("GRU", 14, 2, attrs(i("hidden_size", 1), i("linear_before_reset", 1)), x, w, r, b, null,
            h0)[1], shape(1, 1, 1), (1 - z) * before + z * 0.5f);
    }

    @Test
    void lstmClipsGateInputsAndReturnsCellState() {
        Tensor x = f32(shape(1, 1, 1), 10);
        Tensor w = f32(shape(1, 4, 1), 1, 1, 1, 1);
        Tensor r = f32(shape(1, 4, 1), 0, 0, 0, 0);
        Tensor[] out = runAll("LSTM", 14, 3, attrs(i("hidden_size", 1), f("clip", 1)), x, w, r);
        float cell = sig(1) * tanh(1);
        assertFloats(out[2], shape(1, 1, 1), cell);
        assertFloats(out[1], shape(1, 1, 1), sig(1) * tanh(cell));
        assertFloats(out[0], shape(1, 1, 1, 1), sig(1) * tanh(cell));
    }
}
