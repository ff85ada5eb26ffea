package dev.sparq.bench;

import dev.sparq.Session;
import dev.sparq.SessionOptions;
import dev.sparq.Sparq;
import dev.sparq.tensor.Npy;
import dev.sparq.tensor.Tensor;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;

/**
 * What a code change is worth inside the model, measured in one session: a static int field of the runtime (a switch
 * added for the experiment, e.g. {@code static int FLAG;} read where the change is made) is set to value A and to
 * value B in alternating blocks of runs, and each node's median time (profile read after every run) and the
 * whole-run medians are printed side by side. One process, one session, one copy of the code: none of the drift
 * between JVMs or the bias between class loaders that comparing two builds meets (RESULTS, stops 29-30). Compare A
 * against A first to see the noise.
 *
 * <p>Usage: {@code java -cp benchmarks/target/benchmarks.jar dev.sparq.bench.SwitchComparison MODEL.onnx INPUT.npy
 * CLASS#FIELD A B [threads=1] [runs=200] [block=5]}
 */
public final class SwitchComparison {
    private static final int WARMUP = 600;

    private SwitchComparison() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 5) {
            System.err.println("usage: SwitchComparison MODEL.onnx INPUT.npy CLASS#FIELD A B [threads=1] [runs=200]"
                + " [block=5]");
            System.exit(2);
        }
        Path model = Path.of(args[0]);
        Field field;
        try {
            field = staticIntField(args[2]);
        } catch (ReflectiveOperationException | IllegalArgumentException e) {
            System.err.println("SwitchComparison: " + args[2] + ": " + e);
            System.exit(2);
            return;
        }
        int[] values = {Integer.parseInt(args[3]), Integer.parseInt(args[4])};
        int threads = args.length > 5 ? Integer.parseInt(args[5]) : 1;
        int runs = args.length > 6 ? Integer.parseInt(args[6]) : 200;
        int block = args.length > 7 ? Integer.parseInt(args[7]) : 5;
        try (Tensor input = Npy.read(Path.of(args[1]));
             Session session = Sparq.load(model, SessionOptions.builder().threads(threads).build())) {
            Map<String, Tensor> feed = Map.of(session.inputs().get(0).name(), input);
            for (int i = 0; i < WARMUP; i++) {
                field.setInt(null, values[i / block % 2]);
                session.run(feed).close();
            }
            session.profiling(true);
            int steps = session.plan().steps().size();
            long[][][] nodes = new long[2][steps][runs];
            long[][] wall = new long[2][runs];
            int[] done = new int[2];
            long[][] before = session.profile();
            for (int i = 0; i < 2 * runs; i++) {
                int v = i / block % 2;
                field.setInt(null, values[v]);
                long t0 = System.nanoTime();
                session.run(feed).close();
                long elapsed = System.nanoTime() - t0;
                long[][] after = session.profile();
                int r = done[v]++;
                for (int s = 0; s < steps; s++) {
                    nodes[v][s][r] = after[s][0] - before[s][0];
                }
                wall[v][r] = elapsed;
                before = after;
            }
            print(session, field, values, threads, runs, block, nodes, wall);
        }
    }

    private static Field staticIntField(String spec) throws ReflectiveOperationException {
        int hash = spec.indexOf('#');
        if (hash < 0) {
            throw new IllegalArgumentException("switch must be CLASS#FIELD, got " + spec);
        }
        // not initialised here: the model's load initialises it, as in a real run (stop 32 suspected an early
        // initialisation of a slow JVM; RESULTS)
        Class<?> owner = Class.forName(spec.substring(0, hash), false, SwitchComparison.class.getClassLoader());
        Field f = owner.getDeclaredField(spec.substring(hash + 1));
        if (!Modifier.isStatic(f.getModifiers()) || Modifier.isFinal(f.getModifiers()) || f.getType() != int.class) {
            throw new IllegalArgumentException(spec + " must be a static, non-final int field");
        }
        f.setAccessible(true);
        return f;
    }

    private static void print(Session session, Field field, int[] values, int threads, int runs, int block,
                              long[][][] nodes, long[][] wall) {
        System.out.printf(Locale.ROOT, "%s = %d (A) against %d (B), %d thread(s), %d runs each in blocks of %d%n",
            field.getName(), values[0], values[1], threads, runs, block);
        System.out.printf(Locale.ROOT, "%-4s %-56s %9s %9s %8s%n", "step", "node", "A us", "B us", "B-A");
        double[] sums = new double[2];
        for (int s = 0; s < nodes[0].length; s++) {
            double[] med = new double[2];
            for (int v = 0; v < 2; v++) {
                med[v] = median(nodes[v][s]) / 1e3;
                sums[v] += med[v];
            }
            System.out.printf(Locale.ROOT, "%-4d %-56s %9.1f %9.1f %+8.1f%n", s,
                session.plan().steps().get(s).node().name(), med[0], med[1], med[1] - med[0]);
        }
        double wa = median(wall[0]) / 1e3;
        double wb = median(wall[1]) / 1e3;
        System.out.printf(Locale.ROOT, "node medians summed: A %.1f us, B %.1f us (%+.1f); whole run p50: A %.1f us, "
            + "B %.1f us, B/A = %.3f%n", sums[0], sums[1], sums[1] - sums[0], wa, wb, wb / wa);
    }

    private static long median(long[] xs) {
        long[] sorted = xs.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}
