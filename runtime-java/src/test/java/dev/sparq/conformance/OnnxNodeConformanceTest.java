package dev.sparq.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparq.SessionOptions;
import dev.sparq.testing.SharedData;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** ONNX's own backend node tests on cpu-ref: every test passes except those whose values are not tensors. */
class OnnxNodeConformanceTest {
    /** Tests whose inputs are ONNX optionals or sequences, which sparq does not run (skipped, with the reason). */
    private static final Set<String> NON_TENSOR = Set.of("test_identity_opt", "test_identity_sequence");

    @Test
    void everyNodeTestPassesOnCpuRef() throws IOException {
        check(SessionOptions.builder().backend("cpu-ref").threads(1).build());
    }

    /** The same with every backend on the class path in default order: cpu-simd takes what it can, on 2 threads. */
    @Test
    void everyNodeTestPassesWithTheDefaultBackends() throws IOException {
        check(SessionOptions.builder().threads(2).build());
    }

    static void check(SessionOptions options) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        ConformanceRunner runner = new ConformanceRunner(options, Tolerance.ONNX_DEFAULT);
        ConformanceRunner.Summary s = runner.runAll(SharedData.nodeTests(), new PrintStream(buf, true, StandardCharsets.UTF_8));
        String report = buf.toString(StandardCharsets.UTF_8);
        System.out.println(report);
        List<String> failed = s.outcomes().stream().filter(o -> o.status() != ConformanceRunner.Status.PASSED
            && !NON_TENSOR.contains(o.test())).map(o -> o.test() + ": " + o.detail()).toList();
        assertEquals(List.of(), failed, "node tests not passing");
        assertTrue(s.outcomes().size() >= 160, "expected the whole suite, found " + s.outcomes().size());
        String[] lines = report.strip().split("\n");
        assertEquals(s.closingLine(), lines[lines.length - 1]);
        assertTrue(lines[lines.length - 1].matches("\\d+ passed, 0 failed, \\d+ skipped"));
    }
}
