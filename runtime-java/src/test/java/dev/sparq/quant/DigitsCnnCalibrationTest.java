package dev.sparq.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparq.InvalidInputException;
import dev.sparq.Session;
import dev.sparq.SessionOptions;
import dev.sparq.Sparq;
import dev.sparq.graph.Model;
import dev.sparq.graph.Node;
import dev.sparq.graph.pass.GraphOptimizer;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Npy;
import dev.sparq.tensor.Tensor;
import dev.sparq.testing.SharedData;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The collector and calibrator on the shared digits CNN with the first 64 test images. */
class DigitsCnnCalibrationTest {
    private static final int SAMPLES = 64;

    @TempDir
    Path dir;
    private Path model;
    private Path data;
    private float inputMax;

    @BeforeEach
    void firstRows() throws IOException {
        model = SharedData.models().resolve("digits-cnn.onnx");
        data = Files.createDirectory(dir.resolve("data"));
        try (Tensor all = Npy.read(SharedData.models().resolve("digits-test-split/x_nchw.npy"));
             Tensor rows = Tensor.allocate(DType.F32, SAMPLES, 1, 8, 8)) {
            MemorySegment.copy(all.segment(), 0, rows.segment(), 0, rows.byteSize());
            Npy.write(rows, data.resolve("rows.npy"));
            for (float v : rows.toFloatArray()) {
                inputMax = Math.max(inputMax, Math.abs(v));
            }
        }
    }

    private static List<Node> quantizable(Model m) {
        return m.graph().nodes().stream().filter(n -> n.opType().equals("Conv") || n.opType().equals("Gemm"))
            .toList();
    }

    @Test
    void collectorSeesEveryConvAndGemmInput() {
        Map<String, TensorStats> stats;
        List<Node> nodes;
        SessionOptions options = SessionOptions.builder().optimization(GraphOptimizer.Level.NONE).build();
        try (Session s = Sparq.load(model, options)) {
            nodes = quantizable(s.model());
            StatisticsCollector.Collected c = new StatisticsCollector(s, null)
                .collect(CalibrationData.npyFolder(data), AbsHistogram.DEFAULT_BINS);
            assertEquals(SAMPLES, c.samples());
            stats = c.tensors();
        }
        assertEquals(3, nodes.size());
        for (Node n : nodes) {
            TensorStats st = stats.get(n.input(0));
            assertNotNull(st, "no stats for " + n.label() + " input " + n.input(0));
            assertTrue(st.absMax() > 0, n.input(0));
            assertEquals(st.count(), st.histogram().total(), "the histogram holds every value of " + n.input(0));
            assertEquals(st.absMax(), st.histogram().range());
        }
        TensorStats input = stats.get("input");
        assertEquals(inputMax, input.max()); // the collector sees exactly the fed pixels
        assertEquals(0.0, input.min());
        assertEquals(SAMPLES * 64L, input.count());
    }

    @Test
    void everyMethodGivesPositiveScalesWithinTheObservedRange() {
        Map<String, Double> absMax;
        try (Session s = Sparq.load(model, SessionOptions.builder().optimization(GraphOptimizer.Level.NONE).build())) {
            absMax = new java.util.HashMap<>();
            new StatisticsCollector(s, null).collect(CalibrationData.npyFolder(data), 0).tensors()
                .forEach((k, v) -> absMax.put(k, v.absMax()));
        }
        for (Calibrator c : List.of(Calibrator.entropy(), Calibrator.minmax(), Calibrator.percentile(),
            Calibrator.mse())) {
            CalibrationResult r = c.progress(null).run(model, CalibrationData.npyFolder(data));
            assertEquals(SAMPLES, r.samples());
            assertEquals(c.selector().method(), r.method());
            try (Model m = Sparq.loadModel(model)) {
                for (Node n : quantizable(m)) {
                    TensorQuant q = r.activations().get(n.input(0));
                    assertNotNull(q, r.method() + ": no scale for " + n.input(0));
                    assertEquals(0, q.zeroPoint());
                    assertEquals(DType.I8, q.dtype());
                    assertTrue(q.scale() > 0 && q.scale() <= (float) (absMax.get(n.input(0)) / 127) * (1 + 1e-6f),
                        r.method() + " " + n.input(0) + ": scale " + q.scale() + " vs abs-max "
                            + absMax.get(n.input(0)));
                }
            }
            if (r.method().equals("minmax")) {
                assertEquals((float) (inputMax / 127.0), r.activations().get("input").scale());
            }
        }
    }

    @Test
    void weightScalesArePerOutputChannelMaxOver127() {
        CalibrationResult r = Calibrator.minmax().progress(null).run(model, CalibrationData.npyFolder(data));
        try (Model m = Sparq.loadModel(model)) {
            List<Node> nodes = quantizable(m);
            for (Node n : nodes) {
                Tensor w = m.graph().initializers().get(n.input(1));
                WeightQuant wq = r.weights().get(n.input(1));
                assertNotNull(wq, n.label());
                assertEquals(0, wq.axis()); // Conv weights, and torch's Gemm with transB=1
                assertEquals(w.dim(0), wq.scales().length);
                long perChannel = w.size() / w.dim(0);
                float[] v = w.toFloatArray();
                for (int c = 0; c < w.dim(0); c++) {
                    float max = 0;
                    for (long i = c * perChannel; i < (c + 1) * perChannel; i++) {
                        max = Math.max(max, Math.abs(v[(int) i]));
                    }
                    assertEquals((float) (max / 127.0), wq.scales()[c], n.input(1) + " channel " + c);
                }
            }
            // Skipping calibration with a cache keeps the activations and recomputes the weights.
            Path cache = dir.resolve("digits.cache");
            try {
                r.writeCache(cache);
            } catch (IOException e) {
                throw new AssertionError(e);
            }
            CalibrationResult cached = Calibrator.minmax().fromCache(cache, m);
            assertEquals(r.activations(), cached.activations());
            assertEquals(r.weights().keySet(), cached.weights().keySet());
        }
    }

    @Test
    void uint8ActivationsAfterReluStartAtZero() {
        CalibrationResult r = Calibrator.percentile().scheme(QuantScheme.UINT8_ASYMMETRIC).progress(null)
            .run(model, CalibrationData.npyFolder(data));
        try (Model m = Sparq.loadModel(model)) {
            for (Node n : m.graph().nodes()) {
                if (n.opType().equals("Relu")) {
                    TensorQuant q = r.activations().get(n.outputs().get(0));
                    assertEquals(DType.U8, q.dtype());
                    assertEquals(0, q.zeroPoint(), n.label());
                }
            }
        }
        assertFalse(r.activations().values().stream().anyMatch(q -> q.zeroPoint() < 0 || q.zeroPoint() > 255));
    }

    @Test
    void progressGoesToTheGivenStreamAndEndsWithTheSampleCount() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        Calibrator.entropy().progress(new PrintStream(buf, true, StandardCharsets.UTF_8))
            .run(model, CalibrationData.npyFolder(data));
        List<String> lines = buf.toString(StandardCharsets.UTF_8).lines().toList();
        // A folder of .npy files does not know its sample count before reading them.
        assertEquals("calibrating: 64 samples", lines.get(lines.size() - 1), lines.toString());
        assertTrue(lines.size() <= 4, "at most one line a second plus the last: " + lines);
    }

    @Test
    void mismatchedSampleNamesTheFile() throws IOException {
        try (Tensor wrong = Tensor.allocate(DType.F32, 1, 1, 4, 4)) {
            Npy.write(wrong, data.resolve("zz-wrong.npy"));
        }
        InvalidInputException e = assertThrows(InvalidInputException.class,
            () -> Calibrator.minmax().progress(null).run(model, CalibrationData.npyFolder(data)));
        assertTrue(e.getMessage().startsWith(data.resolve("zz-wrong.npy") + ": input 'input' must have shape"),
            e.getMessage());
    }

    @Test
    void calibratingAModelLeavesItOpen() {
        try (Model m = Sparq.loadModel(model)) {
            CalibrationResult r = Calibrator.minmax().progress(null).run(m, CalibrationData.npyFolder(data));
            assertFalse(m.isClosed());
            assertTrue(r.activations().containsKey("input"));
            assertArrayEquals(new float[] {(float) (inputMax / 127.0)},
                new float[] {r.activations().get("input").scale()});
        }
    }
}
