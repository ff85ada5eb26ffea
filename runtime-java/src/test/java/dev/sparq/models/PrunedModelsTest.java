package dev.sparq.models;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparq.Session;
import dev.sparq.SessionOptions;
import dev.sparq.Sparq;
import dev.sparq.backend.tuning.CandidateTimer;
import dev.sparq.backend.tuning.KernelTuner;
import dev.sparq.backend.tuning.TimingCache;
import dev.sparq.plan.Step;
import dev.sparq.tensor.Npy;
import dev.sparq.tensor.Tensor;
import dev.sparq.testing.SharedData;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The project's pruned models end to end on cpu-simd with each sparse format forced on every layer, and with the
 * real tuner: torch's outputs for the whole test split (batch 360, the "large" choice of a symbolic batch) and for
 * one image (batch 1, the "small" one).
 */
class PrunedModelsTest {
    private static KernelTuner forcing(String format) {
        return KernelTuner.timing(TimingCache.inMemory(), (names, runs, budget) -> {
            if (!names.contains(format)) {
                throw new AssertionError(format + " is not among " + names);
            }
            return names.stream().mapToDouble(n -> n.equals(format) ? 1 : 1000).toArray();
        }, 0);
    }

    private static void check(String model, KernelTuner tuner, String expect) {
        Path models = SharedData.models();
        Path data = models.resolve(model + ".data");
        SessionOptions opts = SessionOptions.builder().backend("cpu-simd").threads(2).build();
        Session s;
        try (KernelTuner.Scope ignored = KernelTuner.use(tuner)) {
            s = Sparq.load(models.resolve(model + ".onnx"), opts);
        }
        try (s; Tensor x = Npy.read(data.resolve("case_0_input_0.npy"));
             Tensor want = Npy.read(data.resolve("case_0_output_0.npy"));
             Tensor x1 = Tensor.fromFloats(java.util.Arrays.copyOf(x.toFloatArray(), 64), 1, 64)) {
            List<Step> gemms = s.plan().steps().stream().filter(st -> st.node().opType().endsWith("Gemm")).toList();
            assertEquals(3, gemms.size());
            for (Step st : gemms) {
                String why = st.kernel().describe();
                assertTrue(why.matches(expect), model + " " + st.node().name() + ": " + why);
            }
            try (Session.Result r = s.run(Map.of(s.inputs().get(0).name(), x));
                 Session.Result r1 = s.run(Map.of(s.inputs().get(0).name(), x1))) {
                double scale = 0;
                for (long i = 0; i < want.size(); i++) {
                    scale = Math.max(scale, Math.abs(want.getFloat(i)));
                }
                double err = ReferenceModelsTest.maxAbsDiff(r.first(), want);
                assertTrue(err <= 1e-4 * scale, model + " batch 360: relative error " + err / scale);
                for (int j = 0; j < 10; j++) {
                    assertEquals(want.getFloat(j), r1.first().getFloat(j), 1e-4 * scale, model + " batch 1, logit " + j);
                }
            }
        }
    }

    @Test
    void everyFormatRunsThePrunedModels() {
        for (String format : List.of("sparse-csr", "sparse-sell", "sparse-blocked", "sparse-sell-chunked",
            "sparse-sell-chunked-wide")) {
            check("digits-mlp-pruned90", forcing(format),
                "batch <= 8: " + format + ": .*; larger: " + format + ": .*timed at batch 64.*");
        }
        for (String format : List.of("sparse-csr", "sparse-sell", "sparse-blocked", "sparse-2:4",
            "sparse-sell-chunked", "sparse-sell-chunked-wide")) {
            check("digits-mlp-sparse24", forcing(format), "batch <= 8: " + format + ": .*\\[50.0% zeros, 2:4\\].*");
        }
    }

    @Test
    void theRealTunerPicksAndTheResultsHold() {
        KernelTuner real = KernelTuner.timing(TimingCache.inMemory(), CandidateTimer.wallClock(), 20_000_000);
        check("digits-mlp-pruned90", real, "batch <= 8: \\S+: .*\\(timed\\).*; larger: \\S+: .*\\(timed\\).*");
        assertEquals(6, real.timedNodes(), "3 layers, small and large batch each");
        // a second load with the same tuner: every choice from its cache
        check("digits-mlp-pruned90", real, "batch <= 8: \\S+: .*\\(cached\\).*; larger: \\S+: .*\\(cached\\).*");
        assertEquals(6, real.cachedNodes());
    }
}
