package dev.sparq.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.sparq.Session;
import dev.sparq.SessionOptions;
import dev.sparq.Sparq;
import dev.sparq.backend.CoreToCore;
import dev.sparq.tensor.Npy;
import dev.sparq.tensor.Tensor;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Model-level latency, sparq against ONNX Runtime's Java API on the same model, input and thread count, interleaved
 * run by run in one process so machine noise hits both alike. Prints a Markdown table with the latency ratio, and
 * the Java heap sparq allocated per measured run (all threads): a steady state that allocates more than a few tens of
 * KB is a sign of Vector API values boxed by code the JIT compiled badly, which makes the run slower than it should be;
 * and the round trip of a cache line between two threads before and after the row's runs ({@link CoreToCore}): where
 * the cores are far apart, 2-thread figures are not comparable with those taken where they are close.
 *
 * <p>Usage: {@code java -cp benchmarks/target/benchmarks.jar dev.sparq.bench.ModelBenchmark [--models DIR]
 * [--model NAME]... [--threads N]... [--warmup N] [--iterations N] [--backend ID] [--gap-ms N] [--ort-no-spin]
 * [--profile N]}
 */
public final class ModelBenchmark {
    /** Heap bytes sparq's measured runs allocated (all threads), -1 if unknown; reset per model and thread count. */
    private static long sparqAllocated;
    /** With --profile N: sparq's N slowest nodes after each row, to stderr (0: none). */
    private static int profileTop;

    private ModelBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        // Both engines' worker threads spin for a while after a run; --gap-ms (default 5) pauses between runs.
        Path models = Path.of("../shared/models");
        List<String> names = new ArrayList<>();
        List<Integer> threads = new ArrayList<>();
        int warmup = 20;
        int iterations = 100;
        int gapMs = 5;
        boolean ortSpin = true;
        String backend = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--models" -> models = Path.of(args[++i]);
                case "--model" -> names.add(args[++i]);
                case "--threads" -> threads.add(Integer.parseInt(args[++i]));
                case "--warmup" -> warmup = Integer.parseInt(args[++i]);
                case "--iterations" -> iterations = Integer.parseInt(args[++i]);
                case "--backend" -> backend = args[++i];
                case "--gap-ms" -> gapMs = Integer.parseInt(args[++i]);
                case "--ort-no-spin" -> ortSpin = false;
                case "--profile" -> profileTop = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        if (names.isEmpty()) {
            names = List.of("mobilenet_v2", "resnet18");
        }
        if (threads.isEmpty()) {
            threads = List.of(1, 2);
        }
        System.out.println("| model | threads | sparq p50 ms | sparq p90 ms | ORT p50 ms | ORT p90 ms | sparq/ORT (p50) "
            + "| max rel. diff | sparq heap KB/run | core round trip ns |");
        System.out.println("|---|---|---|---|---|---|---|---|---|---|");
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        for (String name : names) {
            for (int t : threads) {
                compare(env, models, name, t, warmup, iterations, backend, gapMs, ortSpin);
            }
        }
    }

    private static void compare(OrtEnvironment env, Path models, String name, int threads, int warmup, int iterations,
                                String backend, int gapMs, boolean ortSpin) throws OrtException, InterruptedException {
        Path model = models.resolve(name + ".onnx");
        SessionOptions.Builder opts = SessionOptions.builder().threads(threads);
        if (backend != null) {
            opts.backend(backend);
        }
        try (Session sparq = Sparq.load(model, opts.build());
             Tensor input = Npy.read(models.resolve(name + ".data/case_0_input_0.npy"));
             OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
            so.setIntraOpNumThreads(threads);
            so.setInterOpNumThreads(1);
            so.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            if (!ortSpin) {
                so.addConfigEntry("session.intra_op.allow_spinning", "0");
            }
            try (OrtSession ort = env.createSession(model.toString(), so);
                 OnnxTensor ortInput = OnnxTensor.createTensor(env, FloatBuffer.wrap(input.toFloatArray()), input.shape())) {
                String in = sparq.inputs().get(0).name();
                Map<String, Tensor> feed = Map.of(in, input);
                Map<String, OnnxTensor> ortFeed = Map.of(ort.getInputNames().iterator().next(), ortInput);
                double diff = agreement(sparq, feed, ort, ortFeed);
                for (int i = 0; i < warmup; i++) {
                    runSparq(sparq, feed);
                    runOrt(ort, ortFeed);
                }
                double[] a = new double[iterations];
                double[] b = new double[iterations];
                double roundTripBefore = CoreToCore.roundTripNanos();
                sparqAllocated = 0;
                for (int i = 0; i < iterations; i++) {
                    // alternate which goes first, so neither always runs on a cache the other warmed; the pause lets
                    // the other engine's spinning worker threads go idle (both spin a while after a run, and on a
                    // 2-core machine a spinning thread takes a core from the next run)
                    if (i % 2 == 0) {
                        a[i] = runSparq(sparq, feed);
                        Thread.sleep(gapMs);
                        b[i] = runOrt(ort, ortFeed);
                    } else {
                        b[i] = runOrt(ort, ortFeed);
                        Thread.sleep(gapMs);
                        a[i] = runSparq(sparq, feed);
                    }
                    Thread.sleep(gapMs);
                }
                Arrays.sort(a);
                Arrays.sort(b);
                String heap = sparqAllocated < 0 ? "n/a"
                    : String.format(Locale.ROOT, "%.1f", sparqAllocated / 1024.0 / iterations);
                System.out.printf(Locale.ROOT,
                    "| %s | %d | %.2f | %.2f | %.2f | %.2f | %.2f | %.1e | %s | %.0f, %.0f |%n", name, threads,
                    pct(a, 50), pct(a, 90), pct(b, 50), pct(b, 90), pct(a, 50) / pct(b, 50), diff, heap,
                    roundTripBefore, CoreToCore.roundTripNanos());
                if (profileTop > 0) {
                    printSlowestNodes(sparq, feed, iterations);
                }
            }
        }
    }

    /**
     * sparq's {@code profileTop} slowest nodes over {@code runs} more runs, to stderr: the same JVM's view, for a
     * run whose ratio stands out (2-thread ResNet-18 is slower in some JVMs than in others).
     */
    private static void printSlowestNodes(Session sparq, Map<String, Tensor> feed, int runs) {
        sparq.profiling(true);
        for (int i = 0; i < runs; i++) {
            runSparq(sparq, feed);
        }
        long[][] p = sparq.profile();
        sparq.profiling(false);
        var steps = sparq.plan().steps();
        Integer[] order = new Integer[p.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (x, y) -> Long.compare(p[y][0], p[x][0]));
        long total = Arrays.stream(p).mapToLong(r -> r[0]).sum();
        System.err.printf(Locale.ROOT, "  sum of nodes %.0f µs a run; slowest:%n", total / 1e3 / runs);
        for (int i = 0; i < Math.min(profileTop, order.length); i++) {
            System.err.printf(Locale.ROOT, "    %8.1f µs  %s%n", p[order[i]][0] / 1e3 / runs,
                steps.get(order[i]).node().name());
        }
    }

    private static double runSparq(Session s, Map<String, Tensor> feed) {
        long bytes0 = allocatedBytes();
        long t0 = System.nanoTime();
        try (Session.Result r = s.run(feed)) {
            double ms = (System.nanoTime() - t0) / 1e6;
            long bytes = allocatedBytes();
            sparqAllocated = bytes0 < 0 || bytes < 0 || sparqAllocated < 0 ? -1 : sparqAllocated + bytes - bytes0;
            return ms;
        }
    }

    /** Heap bytes allocated so far by all threads, or -1 where the JVM does not count them. */
    private static long allocatedBytes() {
        return java.lang.management.ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean t
            && t.isThreadAllocatedMemorySupported() && t.isThreadAllocatedMemoryEnabled()
            ? t.getTotalThreadAllocatedBytes() : -1;
    }

    private static double runOrt(OrtSession s, Map<String, OnnxTensor> feed) throws OrtException {
        long t0 = System.nanoTime();
        try (OrtSession.Result r = s.run(feed)) {
            return (System.nanoTime() - t0) / 1e6;
        }
    }

    /** Max |sparq − ORT| relative to max |ORT| on the first output: a benchmark of wrong answers is worthless. */
    private static double agreement(Session s, Map<String, Tensor> feed, OrtSession ort, Map<String, OnnxTensor> ortFeed)
        throws OrtException {
        try (Session.Result r = s.run(feed); OrtSession.Result o = ort.run(ortFeed)) {
            float[] mine = r.first().toFloatArray();
            FloatBuffer theirs = ((OnnxTensor) o.get(0)).getFloatBuffer();
            double max = 1e-12;
            double diff = 0;
            for (int i = 0; i < mine.length; i++) {
                max = Math.max(max, Math.abs(theirs.get(i)));
                diff = Math.max(diff, Math.abs(mine[i] - theirs.get(i)));
            }
            return diff / max;
        }
    }

    static double pct(double[] sorted, int p) {
        return sorted[Math.min(sorted.length - 1, Math.max(0, (int) Math.ceil(p / 100.0 * sorted.length) - 1))];
    }
}
