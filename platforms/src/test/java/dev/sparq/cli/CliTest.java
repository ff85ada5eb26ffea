package dev.sparq.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparq.onnx.proto.Onnx.GraphProto;
import dev.sparq.tensor.Npy;
import dev.sparq.tensor.Tensor;
import dev.sparq.testing.OnnxModels;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI contract of DESIGN.md: commands, file naming and exit codes. */
class CliTest {
    @TempDir
    Path dir;

    record Run(int code, String out, String err) {
    }

    private static synchronized Run sparq(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = Main.execute(args);
            return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @Test
    void everySubcommandPrintsItsHelp() {
        for (String command : List.of("devices", "inspect", "run", "conformance", "bench", "calibrate", "prune",
            "factorize", "demo")) {
            Run r = sparq(command, "--help");
            assertEquals(0, r.code(), command + ": " + r.err());
            assertTrue(r.out().startsWith("Usage: sparq " + command), command + ": " + r.out());
        }
    }

    @Test
    void runWritesEachOutputAsNpy() throws IOException {
        Path model = dir.resolve("add.onnx");
        Files.write(model, OnnxModels.addBias(1, 2, 3).toByteArray());
        Path in = dir.resolve("x.npy");
        try (Tensor x = Tensor.fromFloats(new float[] {1, 1, 1, 2, 2, 2}, 2, 3)) {
            Npy.write(x, in);
        }
        Run r = sparq("run", model.toString(), "--input", "x=" + in, "--out", dir.resolve("out").toString());
        assertEquals(0, r.code(), r.err());
        try (Tensor y = Npy.read(dir.resolve("out/y.npy"))) {
            assertEquals(5f, y.getFloat(5)); // 2 + bias 3
        }
    }

    @Test
    void inputNamesMayContainEqualsSignsAndOutputNamesAreSanitized() throws IOException {
        GraphProto g = GraphProto.newBuilder().addInput(OnnxModels.floatInput("in=put", 2))
            .addNode(OnnxModels.node("Relu", List.of("in=put"), List.of("out/put:0")))
            .addOutput(OnnxModels.floatInput("out/put:0", 2)).build();
        Path model = dir.resolve("relu.onnx");
        Files.write(model, OnnxModels.model(g, 13).toByteArray());
        try (Tensor x = Tensor.fromFloats(new float[] {-1, 2}, 2)) {
            Npy.write(x, dir.resolve("x.npy"));
        }
        Run r = sparq("run", model.toString(), "--input", "in=put=" + dir.resolve("x.npy"), "--out", dir.toString());
        assertEquals(0, r.code(), r.err());
        try (Tensor y = Npy.read(dir.resolve("out_put:0.npy"))) {
            assertEquals(0f, y.getFloat(0));
            assertEquals(2f, y.getFloat(1));
        }
    }

    @Test
    void outputFileNamesAreSanitized() {
        assertEquals("a_b_c.npy", NpyNames.fileNameFor("a/b c"));
        assertEquals("x:0.npy", NpyNames.fileNameFor("x:0"));
        assertEquals("...npy", NpyNames.fileNameFor(".."));
        assertEquals("__.npy", NpyNames.fileNameFor("/\\"));
        assertEquals("_.npy", NpyNames.fileNameFor("é"));
    }

    @Test
    void badModelsExitWith3AndOneLine() throws IOException {
        Path junk = dir.resolve("junk.onnx");
        byte[] bytes = new byte[300];
        new Random(7).nextBytes(bytes);
        Files.write(junk, bytes);
        for (String cmd : new String[] {"inspect", "run"}) {
            Run r = cmd.equals("run") ? sparq("run", junk.toString(), "--input", "x=a.npy", "--out", dir.toString())
                : sparq("inspect", junk.toString());
            assertEquals(3, r.code(), cmd + ": " + r.err());
            assertEquals(1, r.err().strip().lines().count(), r.err());
            assertTrue(r.err().startsWith("sparq: " + junk), r.err());
        }
        Run missing = sparq("inspect", dir.resolve("nope.onnx").toString());
        assertEquals(3, missing.code());
        assertTrue(missing.err().contains("no such file"), missing.err());
    }

    @Test
    void badInputFilesExitWith3() throws IOException {
        Path model = dir.resolve("add.onnx");
        Files.write(model, OnnxModels.addBias(1, 2, 3).toByteArray());
        Path truncated = dir.resolve("t.npy");
        try (Tensor x = Tensor.fromFloats(new float[] {1, 1, 1}, 1, 3)) {
            Npy.write(x, truncated);
        }
        byte[] b = Files.readAllBytes(truncated);
        Files.write(truncated, java.util.Arrays.copyOf(b, b.length - 2));
        Run r = sparq("run", model.toString(), "--input", "x=" + truncated, "--out", dir.toString());
        assertEquals(3, r.code(), r.err());
        assertTrue(r.err().contains("truncated"), r.err());
        try (Tensor wrong = Tensor.fromFloats(new float[] {1, 1}, 1, 2)) {
            Npy.write(wrong, dir.resolve("w.npy"));
        }
        Run shape = sparq("run", model.toString(), "--input", "x=" + dir.resolve("w.npy"), "--out", dir.toString());
        assertEquals(3, shape.code(), shape.err());
        assertTrue(shape.err().contains("must have shape"), shape.err());
    }

    @Test
    void badUsageExitsWith2() {
        assertEquals(2, sparq("run").code());
        assertEquals(2, sparq("no-such-command").code());
        assertEquals(2, sparq("devices", "--frobnicate").code());
    }

    @Test
    void unknownBackendIsBadUsage() throws IOException {
        Path model = dir.resolve("add.onnx");
        Files.write(model, OnnxModels.addBias(1, 2, 3).toByteArray());
        Run r = sparq("inspect", model.toString(), "--backend", "warp-drive");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("unknown backend 'warp-drive'"), r.err());
    }

    @Test
    void devicesListsEveryDesignedBackend() {
        Run r = sparq("devices");
        assertEquals(0, r.code());
        for (String id : new String[] {"cpu-ref", "cpu-simd", "cpu-native", "cuda", "tensorrt"}) {
            assertTrue(r.out().contains(id), r.out());
        }
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("cpu-ref") && l.contains("available")), r.out());
    }

    @Test
    void benchWritesTheJsonFieldsOfTheContract() throws IOException {
        Path model = dir.resolve("add.onnx");
        Files.write(model, OnnxModels.addBias(1, 2, 3).toByteArray());
        Path json = dir.resolve("bench.json");
        Run r = sparq("bench", model.toString(), "--backend", "cpu-ref", "--threads", "1", "--batch", "4",
            "--warmup", "2", "--iterations", "7", "--json", json.toString());
        assertEquals(0, r.code(), r.err());
        String text = Files.readString(json);
        for (String field : new String[] {"\"schema\": 1", "\"model\"", "\"model_sha256\"", "\"backend\": \"cpu-ref\"",
            "\"threads\": 1", "\"batch\": 4", "\"precision\": \"fp32\"", "\"iterations\": 7", "\"latency_ms\"",
            "\"min\"", "\"mean\"", "\"p50\"", "\"p90\"", "\"p95\"", "\"p99\"", "\"max\"", "\"stdev\"",
            "\"throughput_per_s\"", "\"load_ms\"", "\"first_inference_ms\"", "\"peak_rss_bytes\""}) {
            assertTrue(text.contains(field), field + " missing in " + text);
        }
        assertTrue(text.trim().startsWith("{"), "one backend: an object");
        assertFalse(text.contains("core_round_trip_ns"), "one thread: no core-to-core figure");
        Run two = sparq("bench", model.toString(), "--backend", "cpu-simd", "--threads", "2", "--iterations", "3",
            "--json", json.toString());
        assertEquals(0, two.code(), two.err());
        java.util.regex.Matcher rt = java.util.regex.Pattern.compile(
            "\"core_round_trip_ns\": \\{\\s*\"before\": ([0-9.E]+),\\s*\"after\": ([0-9.E]+)\\s*}")
            .matcher(Files.readString(json));
        assertTrue(rt.find(), Files.readString(json));
        assertTrue(Double.parseDouble(rt.group(1)) > 0 && Double.parseDouble(rt.group(2)) > 0, rt.group());
        assertTrue(two.out().contains("core-to-core round trip"), two.out());
        Run all = sparq("bench", model.toString(), "--backend", "all", "--iterations", "3", "--json", json.toString());
        assertEquals(0, all.code(), all.err());
        String array = Files.readString(json).trim();
        assertTrue(array.startsWith("[") && array.contains("\"backend\": \"cpu-simd\"")
            && array.contains("\"backend\": \"cpu-ref\""), array);
        assertEquals(2, sparq("bench", model.toString(), "--iterations", "0").code());
        Run without = sparq("bench", model.toString(), "--backend", "all", "--exclude-backend", "cpu-simd",
            "--iterations", "3", "--json", json.toString());
        assertEquals(0, without.code(), without.err());
        String rest = Files.readString(json);
        assertTrue(rest.contains("\"backend\": \"cpu-ref\"") && !rest.contains("\"backend\": \"cpu-simd\""), rest);
    }

    @Test
    void calibrateWritesACacheAndAQdqModelThatRuns() throws IOException {
        Path shared = dev.sparq.testing.SharedData.models();
        Path data = Files.createDirectories(dir.resolve("calib"));
        try (Tensor all = Npy.read(shared.resolve("digits-test-split/x_nchw.npy"));
             Tensor some = Tensor.wrap(all.dtype(), new long[] {16, 1, 8, 8}, all.segment().asSlice(0, 16 * 64 * 4)).copy()) {
            Npy.write(some, data.resolve("batch.npy"));
        }
        Path cache = dir.resolve("digits.cache");
        Path out = dir.resolve("digits.int8.onnx");
        Run r = sparq("calibrate", shared.resolve("digits-cnn.onnx").toString(), "--data", data.toString(), "--method",
            "percentile", "--cache", cache.toString(), "--out", out.toString(), "--quiet");
        assertEquals(0, r.code(), r.err());
        assertTrue(Files.readString(cache).startsWith("TRT-"), Files.readString(cache));
        Run again = sparq("calibrate", shared.resolve("digits-cnn.onnx").toString(), "--cache", cache.toString(),
            "--out", dir.resolve("again.onnx").toString());
        assertEquals(0, again.code(), again.err());
        assertEquals(Files.size(out), Files.size(dir.resolve("again.onnx")), "a cache reproduces the same model");
        Run run = sparq("run", out.toString(), "--input", dir.resolve("calib/batch.npy").toString(), "--out",
            dir.resolve("o").toString());
        assertEquals(0, run.code(), run.err());
        assertEquals(2, sparq("calibrate", shared.resolve("digits-cnn.onnx").toString(), "--cache",
            dir.resolve("none.cache").toString()).code(), "no --data and no cache: bad usage");
        assertEquals(2, sparq("calibrate", shared.resolve("digits-cnn.onnx").toString(), "--data", data.toString(),
            "--method", "guess", "--cache", cache.toString()).code());
    }

    @Test
    void demoCalibratesAndComparesFp32WithInt8() {
        Run r = sparq("demo", "--threads", "1");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("FP32:      98.06% (353/360)"), r.out());
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("INT8 vs FP32: accuracy ([-+][0-9.]+) points, "
            + "([0-9.]+)x the size").matcher(r.out());
        assertTrue(m.find(), r.out());
        assertTrue(Math.abs(Double.parseDouble(m.group(1))) <= 1.0, "INT8 within 1 point of FP32: " + r.out());
        assertTrue(Double.parseDouble(m.group(2)) < 0.5, "int8 weights make the file smaller: " + r.out());
        java.util.regex.Matcher p = java.util.regex.Pattern.compile("PRUNED 70% vs FP32: accuracy ([-+][0-9.]+) points, "
            + "([0-9.]+)x the gzipped size").matcher(r.out());
        assertTrue(p.find(), r.out());
        assertTrue(Math.abs(Double.parseDouble(p.group(1))) <= 3.0, "pruned within 3 points of FP32: " + r.out());
        assertTrue(Double.parseDouble(p.group(2)) < 0.6, "zeros compress: " + r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("PRUNED 70%")), r.out());
    }

    @Test
    void pruneWritesAModelThatRunsAndReportsEveryLayer() throws IOException {
        Path shared = dev.sparq.testing.SharedData.models();
        Path split = shared.resolve("digits-test-split");
        Path out = dir.resolve("pruned/mlp.onnx");
        Run r = sparq("prune", shared.resolve("digits-mlp.onnx").toString(), "--sparsity", "0.5", "--out",
            out.toString(), "--sample", split.resolve("x.npy").toString(), "--labels", split.resolve("y.npy").toString(),
            "--threads", "1");
        assertEquals(0, r.code(), r.err());
        for (String s : new String[] {"/fc1/Gemm", "/fc2/Gemm", "/fc3/Gemm", "50.0% of the weight zero", "total (all "
            + "initializers): 50,826 -> 50,826 parameters", "gzip -9", "max |Δ|", "accuracy 97.78% -> ", "wrote "}) {
            assertTrue(r.out().contains(s), s + " missing in\n" + r.out());
        }
        Run run = sparq("run", out.toString(), "--input", split.resolve("x.npy").toString(), "--out",
            dir.resolve("o").toString());
        assertEquals(0, run.code(), run.err());

        Run ch = sparq("prune", shared.resolve("digits-cnn.onnx").toString(), "--pattern", "channel", "--sparsity",
            "0.5", "--out", dir.resolve("ch.onnx").toString());
        assertEquals(0, ch.code(), ch.err());
        assertTrue(ch.out().contains("[16,1,3,3]->[8,1,3,3]") && ch.out().contains("in 512->256")
            && ch.out().contains("seeded N(0,1) input"), ch.out());
        Run two = sparq("prune", shared.resolve("digits-mlp.onnx").toString(), "--pattern", "2:4", "--out",
            dir.resolve("24.onnx").toString());
        assertEquals(0, two.code(), two.err());
        assertTrue(two.out().contains("2:4, 50.0% of the weight zero"), two.out());
    }

    @Test
    void factorizeReducesParametersOfTheDigitsMlp() {
        Path shared = dev.sparq.testing.SharedData.models();
        Path out = dir.resolve("svd.onnx");
        Run r = sparq("factorize", shared.resolve("digits-mlp.onnx").toString(), "--energy", "0.95", "--out",
            out.toString(), "--threads", "1");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("rank ") && r.out().contains("50,826 -> 41,572 parameters"), r.out());
        assertTrue(Files.isRegularFile(out));
    }

    @Test
    void compressionToolsRejectBadInputWithOneLine() throws IOException {
        Path shared = dev.sparq.testing.SharedData.models();
        String mlp = shared.resolve("digits-mlp.onnx").toString();
        String out = dir.resolve("x.onnx").toString();
        Run missing = sparq("prune", dir.resolve("nope.onnx").toString(), "--sparsity", "0.5", "--out", out);
        assertEquals(3, missing.code(), missing.err());
        assertEquals(1, missing.err().strip().lines().count(), missing.err());
        assertTrue(missing.err().contains("nope.onnx: no such file"), missing.err());
        Run missingF = sparq("factorize", dir.resolve("nope.onnx").toString(), "--energy", "0.9", "--out", out);
        assertEquals(3, missingF.code(), missingF.err());
        for (String[] bad : new String[][] {
            {"prune", mlp, "--sparsity", "1.0", "--out", out},
            {"prune", mlp, "--sparsity", "-0.1", "--out", out},
            {"prune", mlp, "--sparsity", "0.5", "--pattern", "4:8", "--out", out},
            {"prune", mlp, "--out", out},
            {"prune", mlp, "--pattern", "2:4", "--sparsity", "0.7", "--out", out},
            {"prune", mlp, "--pattern", "channel", "--sparsity", "0.5", "--scope", "global", "--out", out},
            {"prune", mlp, "--sparsity", "0.5"},
            {"factorize", mlp, "--energy", "0", "--out", out},
            {"factorize", mlp, "--energy", "1.5", "--out", out}}) {
            Run r = sparq(bad);
            assertEquals(2, r.code(), String.join(" ", bad) + ": " + r.err());
            assertTrue(r.err().startsWith("sparq: "), r.err());
        }
        assertTrue(sparq("prune", mlp, "--sparsity", "0.5", "--pattern", "4:8", "--out", out).err()
            .contains("--pattern must be unstructured, 2:4 or channel"));
        Path residual = dir.resolve("res.onnx");
        Files.write(residual, OnnxModels.addBias(1, 2, 3).toByteArray());
        Run none = sparq("prune", residual.toString(), "--pattern", "channel", "--sparsity", "0.5", "--out", out);
        assertEquals(3, none.code(), none.err());
        assertEquals(1, none.err().strip().lines().count(), none.err());
        assertTrue(none.err().contains("no layer can lose output channels"), none.err());
    }

    @Test
    void inspectListsQuantizedTensorsAndWhichNodesComputeOnIntegers() {
        Path qdq = dev.sparq.testing.SharedData.models().resolve("digits-cnn-qdq.onnx");
        Run r = sparq("inspect", qdq.toString(), "--plan");
        assertEquals(0, r.code(), r.err());
        // PyTorch's QDQ export: scales live in Constant nodes; inspect folds them to show every quantized tensor.
        assertTrue(r.out().contains("quantized: 12 tensors (6 weights, 6 activations)"), r.out());
        assertTrue(r.out().contains("activation /module/conv1/Relu_output_0 u8, scale 0.02024, zero point 0"), r.out());
        assertTrue(r.out().matches("(?s).*weight +/module/conv2/Constant_2_output_0 i8 \\[32, 16, 3, 3\\], 32 scales .*"),
            r.out());
        assertTrue(r.out().matches("(?s).*integer: +5 of 7 nodes compute on integers \\{.*QLinearConv @cpu-\\w+=2.*"),
            r.out());
        assertTrue(r.out().contains("conversions per run: 1 QuantizeLinear, 1 DequantizeLinear"), r.out());
        // what each graph pass changed, by the names SessionOptions.disablePass takes
        assertTrue(r.out().matches("(?s).*\\npasses: +\\{[^\\n]*qdq-fusion=3[,}][^\\n]*\\(of \\[[^\\n]*integer-clamp-fusion.*"),
            r.out());
        assertTrue(r.out().matches("(?s).*\\n +\\d+ +cpu-\\w+ +com.microsoft:QGemm +/module/fc/Gemm -> u8\\[N,10\\].*"),
            r.out());
    }

    @Test
    void inspectPlanShowsEachKernelChoiceAndWhy() {
        Path model = dev.sparq.testing.SharedData.models().resolve("digits-mlp-pruned90.onnx");
        dev.sparq.backend.tuning.KernelTuner sell = dev.sparq.backend.tuning.KernelTuner.timing(
            dev.sparq.backend.tuning.TimingCache.inMemory(),
            (names, runs, budget) -> names.stream().mapToDouble(n -> n.equals("sparse-sell") ? 1000 : 5000).toArray(),
            0);
        Run r;
        try (var ignored = dev.sparq.backend.tuning.KernelTuner.use(sell)) {
            r = sparq("inspect", model.toString(), "--plan", "--backend", "cpu-simd");
        }
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("batch <= 8: sparse-sell: 1.00 us vs dense 5.00 us"), r.out());
        assertTrue(r.out().contains("(timed), timed at batch 1 (batch is symbolic) [90.0% zeros]"), r.out());
        assertTrue(r.out().contains("kernels:   6 nodes timed, 0 from cache"), r.out());
    }

    @Test
    void inspectTotalsThePackedWeightsOfTheLayersWhoseKernelsSay() {
        // the digits CNN on cpu-simd: every layer's kernel reports its packed bytes, so the totals cover them all
        Path model = dev.sparq.testing.SharedData.models().resolve("digits-cnn.onnx");
        Run r = sparq("inspect", model.toString(), "--plan", "--backend", "cpu-simd");
        assertEquals(0, r.code(), r.err());
        String packed = r.out().lines().filter(l -> l.startsWith("packed:")).findFirst().orElseThrow();
        assertTrue(packed.matches("packed: +[0-9,]+ bytes of packed weights in \\d+ layers vs [0-9,]+ bytes as FP32 "
            + "\\([0-9.]+x(, 1/[0-9.]+)?\\)"), packed);
        assertFalse(r.out().contains(" ? B "), r.out());
    }
}
