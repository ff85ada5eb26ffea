package dev.sparq.bench;

import dev.sparq.Session;
import dev.sparq.SessionOptions;
import dev.sparq.Sparq;
import dev.sparq.graph.ValueInfo;
import dev.sparq.quant.CalibrationData;
import dev.sparq.quant.CalibrationResult;
import dev.sparq.quant.Calibrator;
import dev.sparq.tensor.Tensor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * What calibration costs next to plain FP32 inference over the same samples: the budget is 2×. Times
 * (a) a default FP32 session (optimized, as a user would run the model) over N random samples, load excluded, and
 * (b) {@code Calibrator.run} over the same samples, load included, alternately {@code --rounds} times.
 *
 * <p>Usage: {@code java -cp benchmarks/target/benchmarks.jar dev.sparq.bench.CalibrationCost [--model FILE]
 * [--samples N] [--threads N] [--method M] [--rounds N]}
 */
public final class CalibrationCost {
    private CalibrationCost() {
    }

    public static void main(String[] args) {
        Path model = Path.of("../shared/models/resnet18.onnx");
        int samples = 256;
        int threads = Runtime.getRuntime().availableProcessors();
        int rounds = 2;
        List<String> methods = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--model" -> model = Path.of(args[++i]);
                case "--samples" -> samples = Integer.parseInt(args[++i]);
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--method" -> methods.add(args[++i]);
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        if (methods.isEmpty()) {
            methods = List.of("entropy");
        }
        SessionOptions options = SessionOptions.builder().threads(threads).build();
        List<Tensor> inputs = new ArrayList<>();
        try (Session fp32 = Session.create(Sparq.loadModel(model), options)) {
            ValueInfo in = fp32.inputs().get(0);
            long[] shape = in.type().dims().stream().mapToLong(d -> d.isKnown() ? d.value() : 1).toArray();
            Random random = new Random(42);
            for (int s = 0; s < samples; s++) {
                float[] v = new float[Math.toIntExact(dev.sparq.tensor.Shapes.size(shape))];
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) random.nextGaussian();
                }
                inputs.add(Tensor.fromFloats(v, shape));
            }
            String name = in.name();
            System.out.printf(Locale.ROOT, "%s, %d samples, %d threads%n", model.getFileName(), samples, threads);
            System.out.println("| method | FP32 inference s | calibration s | ratio |");
            System.out.println("|---|---:|---:|---:|");
            for (int r = 0; r < rounds; r++) {
                for (String method : methods) {
                    long t0 = System.nanoTime();
                    for (Tensor x : inputs) {
                        fp32.run(java.util.Map.of(name, x)).close();
                    }
                    double inference = (System.nanoTime() - t0) / 1e9;
                    long t1 = System.nanoTime();
                    CalibrationResult result = Calibrator.forMethod(method).threads(threads).progress(null)
                        .run(model, CalibrationData.ofTensors(inputs));
                    double calibration = (System.nanoTime() - t1) / 1e9;
                    if (result.activations().isEmpty()) {
                        throw new IllegalStateException("calibration found no activations");
                    }
                    System.out.printf(Locale.ROOT, "| %s | %.2f | %.2f | %.2f× |%n", method, inference, calibration,
                        calibration / inference);
                }
            }
        } finally {
            inputs.forEach(Tensor::close);
        }
    }
}
