package dev.sparq.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.sparq.Session;
import dev.sparq.SessionOptions;
import dev.sparq.Sparq;
import dev.sparq.tensor.Npy;
import dev.sparq.tensor.Tensor;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where sparq loses to ONNX Runtime, node by node: one model in both runtimes in one process, same thread count,
 * run in alternating blocks (of 1 to see each runtime start on the other's cache, as {@link ModelBenchmark} does);
 * then sparq's per-node median (its own profiler, read after every run) beside ONNX Runtime's (its profiling JSON),
 * in sparq's plan order. Nodes match by name, or by output name: ONNX Runtime names the nodes it rewrites into its
 * blocked layout after their output ({@code Y_nchwc}); its nodes matching none of sparq's (layout reorders, for one)
 * are summed on a line of their own.
 *
 * <p>Usage: {@code java -cp benchmarks/target/benchmarks.jar dev.sparq.bench.OrtNodeComparison MODEL.onnx INPUT.npy
 * [threads=1] [warmup=300] [runs=300] [block=20] [gap-ms=0]}
 */
public final class OrtNodeComparison {
    /** One node's event in ONNX Runtime's profile: {"cat" : "Node", ..., "dur" : N, ..., "name" : "X_kernel_time"}. */
    private static final Pattern EVENT = Pattern.compile(
        "\\{\"cat\" *: *\"Node\"[^{}]*?\"dur\" *: *(\\d+)[^{}]*?\"name\" *: *\"([^\"]*)_kernel_time\"");

    private OrtNodeComparison() {
    }

    public static void main(String[] args) throws Exception {
        Path model = Path.of(args[0]);
        int threads = args.length > 2 ? Integer.parseInt(args[2]) : 1;
        int warmup = args.length > 3 ? Integer.parseInt(args[3]) : 300;
        int runs = args.length > 4 ? Integer.parseInt(args[4]) : 300;
        // runs per block: 1 alternates run by run as ModelBenchmark does, each runtime finding the other's data in cache
        int block = args.length > 5 ? Integer.parseInt(args[5]) : 20;
        // a pause after each run, as ModelBenchmark's --gap-ms (its default 5): the core may idle or serve others
        int gapMs = args.length > 6 ? Integer.parseInt(args[6]) : 0;
        Path ortProfile = Files.createTempDirectory("ort-profile").resolve("ort");
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (Tensor input = Npy.read(Path.of(args[1]));
             Session sparq = Sparq.load(model, SessionOptions.builder().threads(threads).build());
             OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
            so.setIntraOpNumThreads(threads);
            so.setInterOpNumThreads(1);
            so.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
            so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            so.addConfigEntry("session.intra_op.allow_spinning", "0");
            String inputName = sparq.inputs().get(0).name();
            Map<String, Tensor> feed = Map.of(inputName, input);
            float[] values = input.toFloatArray();
            try (OrtSession warm = env.createSession(model.toString(), so);
                 OnnxTensor x = OnnxTensor.createTensor(env, FloatBuffer.wrap(values), input.shape())) {
                Map<String, OnnxTensor> ortFeed = Map.of(inputName, x);
                for (int i = 0; i < warmup; i++) {
                    sparq.run(feed).close();
                    warm.run(ortFeed).close();
                }
            }
            so.enableProfiling(ortProfile.toString());
            Map<String, List<Long>> ort = new HashMap<>();
            Map<Integer, List<Long>> sparqRuns = new HashMap<>();
            List<Long> sparqWalls = new ArrayList<>();
            List<Long> ortWalls = new ArrayList<>();
            try (OrtSession profiled = env.createSession(model.toString(), so);
                 OnnxTensor x = OnnxTensor.createTensor(env, FloatBuffer.wrap(values), input.shape())) {
                Map<String, OnnxTensor> ortFeed = Map.of(inputName, x);
                for (int i = 0; i < warmup; i++) {
                    profiled.run(ortFeed).close();
                }
                sparq.profiling(true);
                long[][] before = sparq.profile();
                for (int b = 0; b < Math.max(1, runs / block); b++) {
                    for (int i = 0; i < block; i++) {
                        long t0 = System.nanoTime();
                        sparq.run(feed).close();
                        sparqWalls.add(System.nanoTime() - t0);
                        long[][] after = sparq.profile();
                        for (int j = 0; j < after.length; j++) {
                            sparqRuns.computeIfAbsent(j, key -> new ArrayList<>()).add(after[j][0] - before[j][0]);
                        }
                        before = after;
                        pause(gapMs);
                    }
                    for (int i = 0; i < block; i++) {
                        long t0 = System.nanoTime();
                        profiled.run(ortFeed).close();
                        ortWalls.add(System.nanoTime() - t0);
                        pause(gapMs);
                    }
                }
                String json = Files.readString(Path.of(profiled.endProfiling()));
                Matcher m = EVENT.matcher(json);
                while (m.find()) {
                    ort.computeIfAbsent(m.group(2), k -> new ArrayList<>()).add(Long.parseLong(m.group(1)));
                }
            }
            print(sparq, sparqRuns, ort, warmup);
            // whole runs as the caller sees them: the sums above leave out the time between nodes (ONNX Runtime's
            // profiler, writing its events, adds much of its own)
            System.out.printf(Locale.ROOT, "%-56s %-16s %9.1f %9.1f %8.1f%n", "whole run (wall, median, profiling)",
                "", median(sparqWalls) / 1e3, median(ortWalls) / 1e3, (median(sparqWalls) - median(ortWalls)) / 1e3);
        }
    }

    private static void print(Session sparq, Map<Integer, List<Long>> sparqRuns, Map<String, List<Long>> ort,
                              int skip) {
        var steps = sparq.plan().steps();
        System.out.printf(Locale.ROOT, "%-56s %-16s %9s %9s %8s%n", "node (sparq plan order)", "op", "sparq us",
            "ORT us", "gap us");
        double sumSparq = 0;
        double sumOrt = 0;
        for (int i = 0; i < steps.size(); i++) {
            var node = steps.get(i).node();
            double us = median(sparqRuns.getOrDefault(i, List.of(0L))) / 1e3;
            List<Long> o = ort.remove(node.name());
            // a channels-last twin is named after the model's value: "<value>_nhwc"
            String out = node.outputs().isEmpty() ? null : node.outputs().get(0).replaceFirst("_nhwc$", "");
            if (o == null && out != null) {
                o = ort.remove(out + "_nchwc");
            }
            if (o == null && out != null) {
                o = ort.remove(out);
            }
            double ortUs = o == null ? Double.NaN : median(o.subList(Math.min(skip, o.size() - 1), o.size()));
            sumSparq += us;
            sumOrt += Double.isNaN(ortUs) ? 0 : ortUs;
            System.out.printf(Locale.ROOT, "%-56s %-16s %9.1f %9.1f %8.1f%n", trim(node.name()), node.opType(), us,
                ortUs, us - ortUs);
        }
        double unmatched = 0;
        for (Map.Entry<String, List<Long>> e : ort.entrySet()) {
            List<Long> o = e.getValue();
            double ortUs = median(o.subList(Math.min(skip, o.size() - 1), o.size()));
            unmatched += ortUs;
            System.out.printf(Locale.ROOT, "  ORT only: %-54s %9s %9.1f%n", trim(e.getKey()), "", ortUs);
        }
        System.out.printf(Locale.ROOT, "%-56s %-16s %9s %9.1f%n", "ORT nodes matching none of sparq's (" + ort.size()
            + ")", "", "", unmatched);
        System.out.printf(Locale.ROOT, "%-56s %-16s %9.1f %9.1f %8.1f%n", "sum", "", sumSparq, sumOrt + unmatched,
            sumSparq - sumOrt - unmatched);
    }

    private static void pause(int ms) throws InterruptedException {
        if (ms > 0) {
            Thread.sleep(ms);
        }
    }

    private static double median(List<Long> xs) {
        List<Long> s = new ArrayList<>(xs);
        Collections.sort(s);
        return s.get(s.size() / 2);
    }

    private static String trim(String name) {
        return name.length() <= 56 ? name : "…" + name.substring(name.length() - 55);
    }
}
