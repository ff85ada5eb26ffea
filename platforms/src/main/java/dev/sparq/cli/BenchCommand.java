package dev.sparq.cli;

import dev.sparq.Session;
import dev.sparq.SessionOptions;
import dev.sparq.Sparq;
import dev.sparq.backend.Backend;
import dev.sparq.backend.Backends;
import dev.sparq.backend.CoreToCore;
import dev.sparq.platform.DeviceProfile;
import dev.sparq.platform.HostInfo;
import dev.sparq.graph.Dim;
import dev.sparq.graph.ValueInfo;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code sparq bench}: latency distribution, throughput, load and first-inference time, peak RSS, per backend; with
 * more than one thread, the core-to-core round trip before and after the timed runs ({@link CoreToCore}).
 */
@Command(name = "bench", description = {"Benchmark a model on one backend or all of them.",
    "Inputs come from .npy files or are random (seeded); symbolic dims become --batch (first) or 1.",
    "With 2 or more threads it also measures how far apart the cores are (a cache line's round trip between two "
        + "threads, before and after the timed runs): on VMs that move their vCPUs apart at times, multi-thread "
        + "figures change with it."})
final class BenchCommand implements Callable<Integer> {
    @Parameters(paramLabel = "MODEL", description = "ONNX model file")
    Path modelPath;

    @Option(names = "--input", paramLabel = "NAME=FILE.npy", description = "An input tensor (repeatable).")
    List<String> inputs = new ArrayList<>();

    @Option(names = "--backend", paramLabel = "ID|all", description = "Backend to measure, or 'all' (default: best).")
    String backend;

    @Option(names = "--exclude-backend", paramLabel = "ID", description = "Never use this backend (repeatable).")
    List<String> excluded = new ArrayList<>();

    @Option(names = "--threads", paramLabel = "N", description = "Intra-op threads (default: all cores).")
    Integer threads;

    @Option(names = "--batch", paramLabel = "N", defaultValue = "1", description = "Batch size for random inputs "
        + "(default ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--warmup", paramLabel = "N", defaultValue = "10", description = "Untimed runs first (default ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--iterations", paramLabel = "N", defaultValue = "100", description = "Timed runs (default ${DEFAULT-VALUE}).")
    int iterations;

    @Option(names = "--json", paramLabel = "FILE", description = "Write the results as JSON (an array with --backend all).")
    Path json;

    @Option(names = "--profile", description = "Also time every node and print the costliest ones.")
    boolean profile;

    @Override
    public Integer call() throws IOException {
        if (batch < 1 || warmup < 0 || iterations < 1 || (threads != null && threads < 1)) {
            throw new UsageException("--batch, --iterations and --threads must be at least 1, --warmup at least 0");
        }
        String sha = sha256(modelPath);
        List<String> ids = new ArrayList<>();
        if ("all".equals(backend)) {
            for (Backend b : Backends.all()) {
                if (b.availability().available() && !excluded.contains(b.id())) {
                    ids.add(b.id());
                }
            }
        } else {
            ids.add(backend);
        }
        List<Map<String, Object>> results = new ArrayList<>();
        for (String id : ids) {
            results.add(measure(id, sha));
        }
        if (json != null) {
            String text = results.size() == 1 && !"all".equals(backend) ? Json.write(results.get(0))
                : Json.write(results);
            Files.writeString(json, text + "\n");
            System.out.println("wrote " + json);
        }
        return ExitCodes.OK;
    }

    private Map<String, Object> measure(String id, String sha) {
        SessionOptions.Builder b = SessionOptions.builder();
        if (id != null) {
            b.backend(id);
        } else {
            b.preference(DeviceProfile.forHost(HostInfo.detect()).backends()); // as run/inspect/demo choose
        }
        excluded.forEach(b::excludeBackend);
        if (threads != null) {
            b.threads(threads);
        }
        SessionOptions options = b.build();
        long t0 = System.nanoTime();
        try (Session session = Sparq.load(modelPath, options)) {
            double loadMs = (System.nanoTime() - t0) / 1e6;
            Map<String, Tensor> feed = feeds(session);
            try {
                long f0 = System.nanoTime();
                session.run(feed).close();
                double firstMs = (System.nanoTime() - f0) / 1e6;
                for (int i = 0; i < warmup; i++) {
                    session.run(feed).close();
                }
                session.profiling(profile);
                double[] ms = new double[iterations];
                // how far apart the cores are, before and after: with more than one thread it moves the figures
                double roundTripBefore = options.threads() > 1 ? roundTrip() : 0;
                for (int i = 0; i < iterations; i++) {
                    long s = System.nanoTime();
                    session.run(feed).close();
                    ms[i] = (System.nanoTime() - s) / 1e6;
                }
                String used = id != null ? id : session.plan().nodesPerBackend().entrySet().stream()
                    .max(Map.Entry.comparingByValue()).map(Map.Entry::getKey).orElse("none");
                Map<String, Object> r = report(session, used, sha, options, ms, loadMs, firstMs);
                if (options.threads() > 1) {
                    Map<String, Object> rt = new LinkedHashMap<>();
                    rt.put("before", roundTripBefore);
                    rt.put("after", roundTrip());
                    r.put("core_round_trip_ns", rt);
                }
                printHuman(r, session);
                if (profile) {
                    printProfile(session);
                }
                return r;
            } finally {
                feed.values().forEach(Tensor::close);
            }
        }
    }

    private static double roundTrip() {
        try {
            return CoreToCore.roundTripNanos();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while measuring the core-to-core round trip", e);
        }
    }

    private Map<String, Tensor> feeds(Session session) {
        Map<String, Tensor> feed = new LinkedHashMap<>();
        try {
            for (String spec : inputs) {
                int eq = spec.lastIndexOf('=');
                if (eq < 0) {
                    throw new UsageException("--input " + spec + " needs NAME=FILE.npy");
                }
                feed.put(spec.substring(0, eq), Tensor.fromNpy(Path.of(spec.substring(eq + 1))));
            }
            Random rnd = new Random(42);
            for (ValueInfo in : session.inputs()) {
                if (!feed.containsKey(in.name())) {
                    feed.put(in.name(), random(in, rnd));
                }
            }
        } catch (RuntimeException e) {
            feed.values().forEach(Tensor::close);
            throw e;
        }
        return feed;
    }

    private Tensor random(ValueInfo in, Random rnd) {
        if (!in.type().hasRank() || in.type().dtype() == null) {
            throw new UsageException("input '" + in.name() + "' has no declared shape or type; give it with --input");
        }
        long[] shape = new long[in.type().rank()];
        for (int d = 0; d < shape.length; d++) {
            Dim dim = in.type().dims().get(d);
            shape[d] = dim.isKnown() ? dim.value() : (d == 0 ? batch : 1);
        }
        Tensor t = Tensor.allocate(in.type().dtype(), shape);
        for (long i = 0; i < t.size(); i++) {
            if (t.dtype().isFloating()) {
                t.setDouble(i, rnd.nextDouble() * 2 - 1);
            } else {
                t.setLong(i, rnd.nextInt(t.dtype() == DType.BOOL ? 2 : 10));
            }
        }
        return t;
    }

    private Map<String, Object> report(Session session, String used, String sha, SessionOptions options, double[] ms,
                                       double loadMs, double firstMs) {
        double[] sorted = ms.clone();
        Arrays.sort(sorted);
        double mean = Arrays.stream(ms).average().orElse(0);
        double var = Arrays.stream(ms).map(x -> (x - mean) * (x - mean)).sum() / Math.max(1, ms.length - 1);
        Map<String, Object> lat = new LinkedHashMap<>();
        lat.put("min", sorted[0]);
        lat.put("mean", mean);
        for (int p : new int[] {50, 90, 95, 99}) {
            lat.put("p" + p, percentile(sorted, p));
        }
        lat.put("max", sorted[sorted.length - 1]);
        lat.put("stdev", Math.sqrt(var));
        long[] act = session.activationBytes();
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("schema", 1);
        r.put("model", modelPath.toString());
        r.put("model_sha256", sha);
        r.put("backend", used);
        r.put("threads", options.threads());
        r.put("batch", batch);
        r.put("precision", precision(session));
        r.put("iterations", iterations);
        r.put("latency_ms", lat);
        r.put("throughput_per_s", batch * 1000.0 / mean);
        r.put("load_ms", loadMs);
        r.put("first_inference_ms", firstMs);
        r.put("peak_rss_bytes", PeakRss.bytes());
        r.put("nodes_per_backend", new LinkedHashMap<String, Object>(session.plan().nodesPerBackend()));
        r.put("activation_bytes", act == null ? null : act[0]);
        r.put("sparq_version", Sparq.version());
        r.put("java", Runtime.version().toString());
        r.put("cores", Runtime.getRuntime().availableProcessors());
        return r;
    }

    private static String precision(Session session) {
        boolean quant = session.model().graph().nodes().stream().anyMatch(n -> n.opType().contains("Quantize")
            || n.opType().startsWith("QLinear") || n.opType().endsWith("Integer"));
        return quant ? "int8" : "fp32";
    }

    @SuppressWarnings("unchecked")
    private void printHuman(Map<String, Object> r, Session session) {
        Map<String, Object> lat = (Map<String, Object>) r.get("latency_ms");
        System.out.printf(Locale.ROOT, "%s on %s, %d thread(s), batch %d, %s: p50 %.3f ms  p90 %.3f  p99 %.3f  min %.3f  "
                + "max %.3f  (mean %.3f ± %.3f) | %.1f inferences/s | load %.1f ms, first run %.1f ms | peak RSS %d MiB%n",
            modelPath.getFileName(), r.get("backend"), r.get("threads"), batch, r.get("precision"), lat.get("p50"),
            lat.get("p90"), lat.get("p99"), lat.get("min"), lat.get("max"), lat.get("mean"), lat.get("stdev"),
            r.get("throughput_per_s"), r.get("load_ms"), r.get("first_inference_ms"), ((Long) r.get("peak_rss_bytes")) >> 20);
        System.out.println("  nodes per backend: " + session.plan().nodesPerBackend());
        if (r.get("core_round_trip_ns") instanceof Map<?, ?> rt) {
            System.out.printf(Locale.ROOT, "  core-to-core round trip: %.0f ns before, %.0f ns after (a cache line "
                + "between two threads: ~50-150 ns on nearby cores; the farther apart, the more multi-thread runs pay "
                + "for the data their threads share)%n", rt.get("before"), rt.get("after"));
        }
    }

    private static void printProfile(Session session) {
        long[][] p = session.profile();
        var steps = session.plan().steps();
        long total = 0;
        for (long[] row : p) {
            total += row[0];
        }
        Integer[] order = new Integer[p.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Long.compare(p[b][0], p[a][0]));
        Map<String, long[]> byOp = new java.util.TreeMap<>();
        for (int i = 0; i < p.length; i++) {
            byOp.computeIfAbsent(steps.get(i).node().opType() + " @" + steps.get(i).backendId(), k -> new long[1])[0] += p[i][0];
        }
        System.out.println("  time per op type:");
        final long sum = Math.max(total, 1);
        byOp.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue()[0], a.getValue()[0]))
            .forEach(e -> System.out.printf(Locale.ROOT, "    %-32s %6.1f%%%n", e.getKey(), 100.0 * e.getValue()[0] / sum));
        System.out.println("  costliest nodes (ms per run):");
        for (int k = 0; k < Math.min(15, order.length); k++) {
            int i = order[k];
            System.out.printf(Locale.ROOT, "    %8.3f  %5.1f%%  %-12s %s%n", p[i][0] / 1e6 / Math.max(1, p[i][1]),
                100.0 * p[i][0] / sum, steps.get(i).backendId(), steps.get(i).node().label());
        }
    }

    static double percentile(double[] sorted, int p) {
        return sorted[Math.min(sorted.length - 1, Math.max(0, (int) Math.ceil(p / 100.0 * sorted.length) - 1))];
    }

    private static String sha256(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new dev.sparq.InvalidInputException(file + ": no such file");
        }
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            try (var in = Files.newInputStream(file)) {
                byte[] buf = new byte[1 << 16];
                int n;
                while ((n = in.read(buf)) > 0) {
                    md.update(buf, 0, n);
                }
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
