package dev.sparq.cli;

import dev.sparq.InvalidInputException;
import dev.sparq.SessionOptions;
import dev.sparq.Sparq;
import dev.sparq.compress.Compressed;
import dev.sparq.compress.CompressionReport;
import dev.sparq.compress.FileSizes;
import dev.sparq.compress.OutputComparison;
import dev.sparq.graph.Model;
import dev.sparq.tensor.Npy;
import dev.sparq.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * What {@code prune} and {@code factorize} share: --out, the sample to compare outputs on, and the report printed
 * after writing (layers, totals, file sizes, output change and accuracy).
 */
final class CompressionOutput {
    @Option(names = "--out", paramLabel = "FILE", required = true, description = "ONNX model to write.")
    Path out;

    @Option(names = "--sample", paramLabel = "FILE.npy", description = "Input to compare the outputs on (a model "
        + "with one input). Default: one seeded N(0,1) input, symbolic dims 1.")
    Path sample;

    @Option(names = "--labels", paramLabel = "FILE.npy", description = "One integer label per row of --sample: "
        + "also report the accuracy (argmax of the first output) before and after.")
    Path labels;

    @Mixin
    BackendOptions backendOptions;

    /** Checks the options that need no model, so bad usage fails before any work. */
    void validate() {
        if (labels != null && sample == null) {
            throw new UsageException("--labels needs --sample (the inputs the labels belong to)");
        }
    }

    /** Writes the result and prints the report, the file sizes and how the outputs changed. */
    void finish(Path modelPath, Compressed result) throws IOException {
        Path parent = out.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        result.write(out);
        CompressionReport report = result.report();
        System.out.printf(Locale.ROOT, "%s: %s in %.0f ms%n", modelPath, report.method(), report.millis());
        report.lines().forEach(System.out::println);
        long a = Files.size(modelPath);
        long b = Files.size(out);
        long ga = FileSizes.gzipped(modelPath);
        long gb = FileSizes.gzipped(out);
        System.out.printf(Locale.ROOT, "file: %,d -> %,d bytes (%.2fx); gzip -9: %,d -> %,d bytes (%.2fx)%n", a, b,
            (double) b / a, ga, gb, (double) gb / ga);
        compare(modelPath).ifPresent(System.out::println);
        System.out.println("wrote " + out);
    }

    private java.util.Optional<String> compare(Path modelPath) throws IOException {
        SessionOptions options = backendOptions.toSessionOptions();
        Map<String, Tensor> inputs;
        String what;
        if (sample == null) {
            try (Model m = Sparq.loadModel(modelPath)) {
                inputs = OutputComparison.randomInputs(m, 1234);
            }
            what = "a seeded N(0,1) input";
        } else {
            try (Model m = Sparq.loadModel(modelPath)) {
                if (m.graph().inputs().size() != 1) {
                    throw new UsageException("--sample needs a model with one input; this one has "
                        + m.graph().inputs().size());
                }
                inputs = Map.of(m.graph().inputs().get(0).name(), Npy.read(sample));
            }
            what = sample.getFileName().toString();
        }
        try {
            long[] y = null;
            if (labels != null) {
                try (Tensor t = Npy.read(labels)) {
                    y = t.toLongArray();
                }
            }
            OutputComparison c;
            try {
                c = OutputComparison.of(modelPath, out, inputs, y, options);
            } catch (InvalidInputException e) {
                throw new InvalidInputException((sample != null ? sample : modelPath) + ": " + e.getMessage(), e);
            }
            String acc = !c.labelled() ? "" : String.format(Locale.ROOT, "; accuracy %.2f%% -> %.2f%% (%d -> %d of %d)",
                100.0 * c.correctBefore() / c.rows(), 100.0 * c.correctAfter() / c.rows(), c.correctBefore(),
                c.correctAfter(), c.rows());
            return java.util.Optional.of(String.format(Locale.ROOT, "output: %d rows of %s: max |Δ| = %.3g%s",
                c.rows(), what, c.maxAbsDiff(), acc));
        } finally {
            inputs.values().forEach(Tensor::close);
        }
    }
}
