package dev.sparq.bench;

import dev.sparq.Session;
import dev.sparq.SessionOptions;
import dev.sparq.Sparq;
import dev.sparq.tensor.Npy;
import dev.sparq.tensor.Tensor;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * Where a second thread helps and where it does not: one model loaded twice in one process (1 and N threads), run in
 * alternating blocks so machine noise hits both alike, then the per-node mean times side by side in plan order.
 *
 * <p>Usage: {@code java -cp benchmarks/target/benchmarks.jar dev.sparq.bench.ThreadScalingProfile MODEL.onnx INPUT.npy
 * [threads=2] [warmup=200] [runs=400]}
 */
public final class ThreadScalingProfile {
    private ThreadScalingProfile() {
    }

    public static void main(String[] args) throws Exception {
        Path model = Path.of(args[0]);
        int threads = args.length > 2 ? Integer.parseInt(args[2]) : 2;
        int warmup = args.length > 3 ? Integer.parseInt(args[3]) : 200;
        int runs = args.length > 4 ? Integer.parseInt(args[4]) : 400;
        try (Tensor input = Npy.read(Path.of(args[1]));
             Session one = Sparq.load(model, SessionOptions.builder().threads(1).build());
             Session many = Sparq.load(model, SessionOptions.builder().threads(threads).build())) {
            Map<String, Tensor> feed = Map.of(one.inputs().get(0).name(), input);
            for (int i = 0; i < warmup; i++) {
                one.run(feed).close();
                many.run(feed).close();
            }
            one.profiling(true);
            many.profiling(true);
            for (int block = 0; block < runs / 20; block++) {
                for (int i = 0; i < 20; i++) {
                    one.run(feed).close();
                }
                for (int i = 0; i < 20; i++) {
                    many.run(feed).close();
                }
            }
            long[][] a = one.profile();
            long[][] b = many.profile();
            var steps = one.plan().steps();
            double ta = 0;
            double tb = 0;
            System.out.printf(Locale.ROOT, "%-48s %-10s %9s %9s %6s%n", "node", "backend", "1t us", threads + "t us",
                "x");
            for (int i = 0; i < a.length; i++) {
                double ua = a[i][0] / 1e3 / Math.max(1, a[i][1]);
                double ub = b[i][0] / 1e3 / Math.max(1, b[i][1]);
                ta += ua;
                tb += ub;
                System.out.printf(Locale.ROOT, "%-48s %-10s %9.1f %9.1f %6.2f%n", steps.get(i).node().label(),
                    steps.get(i).backendId(), ua, ub, ua / ub);
            }
            System.out.printf(Locale.ROOT, "%-48s %-10s %9.1f %9.1f %6.2f%n", "sum", "", ta, tb, ta / tb);
        }
    }
}
