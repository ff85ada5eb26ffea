package dev.sparq.conformance;

import dev.sparq.InvalidInputException;
import dev.sparq.Session;
import dev.sparq.SessionOptions;
import dev.sparq.UnsupportedOperatorException;
import dev.sparq.graph.Model;
import dev.sparq.graph.ValueInfo;
import dev.sparq.graph.ValueType;
import dev.sparq.onnx.OnnxImporter;
import dev.sparq.onnx.OnnxTensors;
import dev.sparq.onnx.proto.Onnx.TensorProto;
import dev.sparq.tensor.Tensor;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Runs ONNX backend node tests: each folder with a {@code model.onnx} and {@code test_data_set_*} folders of
 * {@code input_K.pb} / {@code output_K.pb} TensorProtos. Prints one line per test and a closing
 * {@code N passed, M failed, K skipped} line. A model sparq cannot run (unsupported operator or value kind) is
 * skipped with the reason, never answered wrongly.
 */
public final class ConformanceRunner {
    public enum Status { PASSED, FAILED, SKIPPED }

    public record Outcome(String test, Status status, String detail) {
    }

    public record Summary(List<Outcome> outcomes) {
        public long count(Status s) {
            return outcomes.stream().filter(o -> o.status() == s).count();
        }

        public String closingLine() {
            return count(Status.PASSED) + " passed, " + count(Status.FAILED) + " failed, "
                + count(Status.SKIPPED) + " skipped";
        }
    }

    private final SessionOptions options;
    private final Tolerance tolerance;

    public ConformanceRunner(SessionOptions options, Tolerance tolerance) {
        this.options = options;
        this.tolerance = tolerance;
    }

    /** Test folders under {@code root} (itself, if it is one), sorted by name. */
    public static List<Path> findTests(Path root) throws IOException {
        if (Files.isRegularFile(root.resolve("model.onnx"))) {
            return List.of(root);
        }
        try (Stream<Path> s = Files.walk(root, 3)) {
            return s.filter(p -> Files.isRegularFile(p.resolve("model.onnx"))).sorted().toList();
        }
    }

    public Summary runAll(Path root, PrintStream out) throws IOException {
        List<Outcome> outcomes = new ArrayList<>();
        for (Path dir : findTests(root)) {
            Outcome o = runOne(dir);
            outcomes.add(o);
            String label = switch (o.status()) {
                case PASSED -> "pass   ";
                case FAILED -> "FAIL   ";
                case SKIPPED -> "skipped";
            };
            out.println(label + " " + o.test() + (o.detail().isEmpty() ? "" : "  " + o.detail()));
        }
        Summary summary = new Summary(outcomes);
        out.println(summary.closingLine());
        return summary;
    }

    public Outcome runOne(Path dir) {
        String name = dir.getFileName().toString();
        Model model;
        try {
            model = OnnxImporter.load(dir.resolve("model.onnx"));
        } catch (InvalidInputException e) {
            return new Outcome(name, Status.FAILED, "cannot import: " + e.getMessage());
        }
        for (ValueInfo v : concat(model.graph().inputs(), model.graph().outputs())) {
            if (v.type().kind() != ValueType.Kind.TENSOR && v.type().kind() != ValueType.Kind.UNKNOWN) {
                model.close();
                return new Outcome(name, Status.SKIPPED, "value '" + v.name() + "' is of kind "
                    + v.type().kind().name().toLowerCase(java.util.Locale.ROOT) + "; sparq runs tensors only");
            }
        }
        try (Session session = Session.create(model, options)) {
            List<Path> sets;
            try (Stream<Path> s = Files.list(dir)) {
                sets = s.filter(p -> p.getFileName().toString().startsWith("test_data_set_")).sorted().toList();
            }
            if (sets.isEmpty()) {
                return new Outcome(name, Status.FAILED, "no test_data_set_* folder");
            }
            double worst = 0;
            for (Path set : sets) {
                String problem = runDataSet(session, set);
                if (problem != null) {
                    return new Outcome(name, Status.FAILED, set.getFileName() + ": " + problem);
                }
            }
            return new Outcome(name, Status.PASSED, "");
        } catch (UnsupportedOperatorException e) {
            return new Outcome(name, Status.SKIPPED, e.getMessage().replace(dir.resolve("model.onnx") + ": ", ""));
        } catch (RuntimeException | IOException e) {
            return new Outcome(name, Status.FAILED, String.valueOf(e.getMessage()));
        }
    }

    private static List<ValueInfo> concat(List<ValueInfo> a, List<ValueInfo> b) {
        List<ValueInfo> l = new ArrayList<>(a);
        l.addAll(b);
        return l;
    }

    /** Runs one data set; returns null on success or what differs. */
    private String runDataSet(Session session, Path set) throws IOException {
        try (Arena arena = Arena.ofShared()) { // kernels may read inputs from worker threads
            Map<String, Tensor> inputs = new LinkedHashMap<>();
            List<ValueInfo> declared = session.inputs();
            for (int i = 0; i < declared.size(); i++) {
                Path f = set.resolve("input_" + i + ".pb");
                if (!Files.exists(f)) {
                    return "missing " + f.getFileName();
                }
                inputs.put(declared.get(i).name(), readTensor(f, arena));
            }
            try (Session.Result result = session.run(inputs)) {
                List<ValueInfo> outs = session.outputs();
                for (int i = 0; i < outs.size(); i++) {
                    Path f = set.resolve("output_" + i + ".pb");
                    if (!Files.exists(f)) {
                        continue;
                    }
                    Tensor expected = readTensor(f, arena);
                    String diff = tolerance.compare(result.get(outs.get(i).name()), expected);
                    if (diff != null) {
                        return "output '" + outs.get(i).name() + "' " + diff;
                    }
                }
            }
        }
        return null;
    }

    private static Tensor readTensor(Path file, Arena arena) throws IOException {
        TensorProto tp = TensorProto.parseFrom(Files.readAllBytes(file));
        return OnnxTensors.toTensor(tp, arena, null);
    }
}
