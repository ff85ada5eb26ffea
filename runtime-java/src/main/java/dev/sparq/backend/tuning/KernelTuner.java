package dev.sparq.backend.tuning;

import dev.sparq.backend.Kernel;
import dev.sparq.backend.UnsupportedKernelException;
import dev.sparq.tensor.Tensor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Picks one of several implementations of a node by timing them on this machine when the kernel is created (at
 * load, on synthetic inputs of the node's real shape), as TensorRT picks tactics; a candidate must beat the plain
 * dense one and the node's rule by {@link #MARGIN} to replace them, and one that beats the rule is timed against it a
 * second time, longer ({@link #secondOpinion}). Decisions are cached per device
 * and shape in a {@link TimingCache}, so a model is timed once per machine. With tuning off, or when the shape is
 * not known at load, the node's fixed rule decides.
 *
 * <p>Configured by system properties (read once): {@code -Dsparq.tuning=off} turns timing off;
 * {@code -Dsparq.tuningCache=PATH} moves the cache file (default {@code ~/.cache/sparq/kernel-timings.txt},
 * {@code none} keeps it in memory); {@code -Dsparq.tuningBudgetMs=N} sets the timing per node (default 50, extended by
 * {@link InterleavedTimer} while the JIT is still compiling).
 * Backends reach the tuner through {@link #current()}; tests swap in one with a fake timer through {@link #use}.
 */
public final class KernelTuner {
    private static final System.Logger LOG = System.getLogger("dev.sparq.tuning");
    private static final ThreadLocal<KernelTuner> OVERRIDE = new ThreadLocal<>();
    /**
     * Another candidate replaces the baseline (the request's first, the plain dense implementation), or the node's
     * rule, only if it takes at most this fraction of its time: timings on a busy machine are noisy (±10-30%), and
     * this keeps a choice from being slower than dense, or than the rule, through noise alone.
     */
    static final double MARGIN = 0.9;
    /** How much longer than the first the timing is that a candidate must win again to replace the rule. */
    static final int SECOND_OPINION = 8;
    private final boolean enabled;
    private final TimingCache cache;
    private final CandidateTimer timer;
    private final long budgetNanos;
    private final AtomicLong timedNodes = new AtomicLong();
    private final AtomicLong cachedNodes = new AtomicLong();
    private final AtomicLong ruleNodes = new AtomicLong();
    private final AtomicLong tuningNanos = new AtomicLong();
    private final AtomicLong warmupNanos = new AtomicLong();

    private KernelTuner(boolean enabled, TimingCache cache, CandidateTimer timer, long budgetNanos) {
        this.enabled = enabled;
        this.cache = cache;
        this.timer = timer;
        this.budgetNanos = budgetNanos;
    }

    /** A tuner that times with {@code timer}, at most {@code budgetNanos} per node, remembering in {@code cache}. */
    public static KernelTuner timing(TimingCache cache, CandidateTimer timer, long budgetNanos) {
        return new KernelTuner(true, cache, timer, budgetNanos);
    }

    /** A tuner that never times: every node gets its rule's choice. */
    public static KernelTuner off() {
        return new KernelTuner(false, TimingCache.inMemory(), null, 0);
    }

    /** The tuner for this thread: the one installed by {@link #use}, else the process-wide one. */
    public static KernelTuner current() {
        KernelTuner t = OVERRIDE.get();
        return t != null ? t : Default.INSTANCE;
    }

    /** Installs {@code tuner} for this thread until the returned scope is closed (then the previous one is back). */
    public static Scope use(KernelTuner tuner) {
        KernelTuner previous = OVERRIDE.get();
        OVERRIDE.set(tuner);
        return () -> {
            if (previous == null) {
                OVERRIDE.remove();
            } else {
                OVERRIDE.set(previous);
            }
        };
    }

    /** Closing restores the previous tuner; no exception. */
    public interface Scope extends AutoCloseable {
        @Override
        void close();
    }

    public boolean enabled() {
        return enabled;
    }

    public TimingCache cache() {
        return cache;
    }

    /** Chooses among the request's candidates and builds the winner, wrapped so it can say why it was chosen. */
    public ChosenKernel choose(TuningRequest r) {
        String detail = r.detail().isEmpty() ? "" : " [" + r.detail() + "]";
        if (r.candidates().size() == 1) {
            Candidate only = r.candidates().get(0);
            return new ChosenKernel(only.build().get(), only.name(), "only candidate" + detail);
        }
        if (!enabled || r.inputs() == null) {
            ruleNodes.incrementAndGet();
            String why = !enabled ? "rule: tuning off" : "rule: input shape unknown at load";
            return new ChosenKernel(r.candidate(r.rule()).build().get(), r.rule(), why + detail);
        }
        long start = System.nanoTime();
        String device = DeviceKey.of(r.backend());
        String key = r.key();
        Decision known = cache.get(device, key);
        if (known != null && r.candidate(known.chosen()) != null) {
            try {
                Kernel k = r.candidate(known.chosen()).build().get();
                cachedNodes.incrementAndGet();
                tuningNanos.addAndGet(System.nanoTime() - start);
                return new ChosenKernel(k, known.chosen(), times(known) + " (cached)" + note(r) + detail);
            } catch (UnsupportedKernelException e) {
                // the cache names a candidate that no longer builds: time again
            }
        }
        try {
            return timeAll(r, device, key, detail);
        } finally {
            tuningNanos.addAndGet(System.nanoTime() - start);
        }
    }

    private ChosenKernel timeAll(TuningRequest r, String device, String key, String detail) {
        if (r.warmup() != null && timer.runsCandidates()) {
            long w0 = System.nanoTime();
            r.warmup().run();
            warmupNanos.addAndGet(System.nanoTime() - w0);
        }
        Map<String, Kernel> built = new LinkedHashMap<>();
        Tensor[] inputs = r.inputs().get();
        try (TimingContext ctx = new TimingContext()) {
            List<String> names = new ArrayList<>();
            List<Runnable> runs = new ArrayList<>();
            for (Candidate c : r.candidates()) {
                try {
                    Kernel k = c.build().get();
                    ctx.reset();
                    k.run(inputs, ctx); // a candidate that fails here is dropped, not timed
                    built.put(c.name(), k);
                    names.add(c.name());
                    runs.add(() -> {
                        ctx.reset();
                        k.run(inputs, ctx);
                    });
                } catch (RuntimeException e) {
                    if (c.name().equals(r.rule())) {
                        throw e;
                    }
                    LOG.log(System.Logger.Level.DEBUG, r.op() + ": candidate " + c.name() + " dropped: " + e);
                }
            }
            if (names.size() == 1) {
                ruleNodes.incrementAndGet();
                return new ChosenKernel(built.get(r.rule()), r.rule(), "rule: the other candidates failed" + detail);
            }
            double[] ns = timer.time(names, runs, budgetNanos);
            int best = fastest(ns);
            int rule = names.indexOf(r.rule());
            if (timer.runsCandidates() && rule >= 0 && best != rule) {
                secondOpinion(names, runs, ns, rule, best);
                best = fastest(ns);
            }
            if (rule >= 0 && best != rule && ns[best] > MARGIN * ns[rule]) {
                // the rule too must lose by the margin: timed alone, a layer's candidates differ from how they run
                // in the model (ResNet-18's 56×56 layers: Winograd, the rule, timed 0.88-1.28 ms in five tunings,
                // pixel-rows 1.05-1.15; in the model 0.90-0.97 against 1.08-1.18)
                best = rule;
            }
            Map<String, Double> nanos = new LinkedHashMap<>();
            for (int i = 0; i < names.size(); i++) {
                nanos.put(names.get(i), ns[i]);
            }
            int baseline = names.indexOf(r.candidates().get(0).name());
            if (baseline >= 0 && ns[best] > MARGIN * ns[baseline]) {
                best = baseline; // not clearly faster than the plain (dense) implementation: keep that
            }
            Decision d = new Decision(names.get(best), nanos);
            cache.put(device, key, d);
            timedNodes.incrementAndGet();
            return new ChosenKernel(built.get(d.chosen()), d.chosen(), times(d) + " (timed)" + note(r) + detail);
        } finally {
            for (Tensor t : inputs) {
                if (t != null) {
                    t.close();
                }
            }
        }
    }

    private static int fastest(double[] ns) {
        int best = 0;
        for (int i = 1; i < ns.length; i++) {
            best = ns[i] < ns[best] ? i : best;
        }
        return best;
    }

    /**
     * Times the rule and the candidate that beat it again, {@link #SECOND_OPINION}× longer, keeping each one's best
     * figure in {@code ns}. The rules were measured inside real models; one short timing can catch the rule's code
     * while the JIT is still recompiling it (ResNet-18's 28×28 Winograd layers timed 1.4-4.4 ms in 2 of 16 tunings
     * at 50 ms, 0.7-1.0 ms in the others and in 8 of 8 at 1 s, and run in 0.86-0.91 ms in the model), and a choice
     * made then stays in the cache.
     */
    private void secondOpinion(List<String> names, List<Runnable> runs, double[] ns, int rule, int winner) {
        double[] again = timer.time(List.of(names.get(rule), names.get(winner)), List.of(runs.get(rule),
            runs.get(winner)), SECOND_OPINION * budgetNanos);
        ns[rule] = Math.min(ns[rule], again[0]);
        ns[winner] = Math.min(ns[winner], again[1]);
    }

    private static String note(TuningRequest r) {
        return r.note().isEmpty() ? "" : ", " + r.note();
    }

    /** "8.1 us vs dense 65.0 us, sparse-csr 26.7 us": the winner's time, then the others fastest first. */
    static String times(Decision d) {
        StringBuilder s = new StringBuilder(format(d.nanos().get(d.chosen())));
        List<Map.Entry<String, Double>> others = new ArrayList<>(d.nanos().entrySet());
        others.removeIf(e -> e.getKey().equals(d.chosen()));
        others.sort(Map.Entry.comparingByValue(Comparator.naturalOrder()));
        for (int i = 0; i < others.size(); i++) {
            s.append(i == 0 ? " vs " : ", ").append(others.get(i).getKey()).append(' ')
                .append(format(others.get(i).getValue()));
        }
        return s.toString();
    }

    static String format(double nanos) {
        return nanos >= 1e6 ? String.format(Locale.ROOT, "%.2f ms", nanos / 1e6)
            : String.format(Locale.ROOT, nanos >= 1e4 ? "%.1f us" : "%.2f us", nanos / 1e3);
    }

    /** Nodes timed, taken from the cache, and decided by rule so far, and the time spent choosing. */
    public String summary() {
        if (!enabled) {
            return "tuning off (fixed rules)";
        }
        return String.format(Locale.ROOT, "%d nodes timed, %d from cache, %d by rule, %.0f ms choosing (of which "
                + "%.0f ms JIT warm-up; cache %s)", timedNodes.get(), cachedNodes.get(), ruleNodes.get(),
            tuningNanos.get() / 1e6, warmupNanos.get() / 1e6, cache.file() == null ? "in memory" : cache.file());
    }

    public long timedNodes() {
        return timedNodes.get();
    }

    public long cachedNodes() {
        return cachedNodes.get();
    }

    /** The process-wide tuner, configured from system properties on first use. */
    private static final class Default {
        static final KernelTuner INSTANCE = fromProperties();

        private static KernelTuner fromProperties() {
            if (System.getProperty("sparq.tuning", "on").equalsIgnoreCase("off")) {
                return off();
            }
            String path = System.getProperty("sparq.tuningCache",
                Path.of(System.getProperty("user.home"), ".cache", "sparq", "kernel-timings.txt").toString());
            TimingCache cache = path.equalsIgnoreCase("none") ? TimingCache.inMemory() : TimingCache.open(Path.of(path));
            long budgetMs = Long.getLong("sparq.tuningBudgetMs", 50);
            return timing(cache, CandidateTimer.wallClock(), budgetMs * 1_000_000);
        }
    }
}
