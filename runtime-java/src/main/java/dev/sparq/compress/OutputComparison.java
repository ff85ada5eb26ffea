package dev.sparq.compress;

import dev.sparq.Session;
import dev.sparq.SessionOptions;
import dev.sparq.Sparq;
import dev.sparq.graph.Dim;
import dev.sparq.graph.Model;
import dev.sparq.graph.ValueInfo;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * How much a compressed model's first output differs from the original's on the same input, both loaded from
 * their files (so the check also proves the written file loads): the largest |Δ| and, with labels, the accuracy of
 * each (argmax over the last axis, one label per row).
 *
 * @param rows          rows of the first output compared (product of all dims but the last)
 * @param maxAbsDiff    max |after − before| over the whole first output
 * @param correctBefore rows whose argmax is the label, original model (-1 without labels)
 * @param correctAfter  the same for the compressed model
 * @param millisBefore  one run of the original on the sample (after a warm-up run)
 * @param millisAfter   the same for the compressed model
 */
public record OutputComparison(long rows, double maxAbsDiff, int correctBefore, int correctAfter,
                               double millisBefore, double millisAfter) {
    public boolean labelled() {
        return correctBefore >= 0;
    }

    /** Runs both model files on {@code inputs}; {@code labels} may be null. */
    public static OutputComparison of(Path before, Path after, Map<String, Tensor> inputs, long[] labels,
                                      SessionOptions options) {
        float[] a;
        float[] b;
        long cols;
        double[] ms = new double[2];
        try (Session s = Sparq.load(before, options)) {
            a = run(s, inputs, ms, 0);
            cols = lastDim(s, inputs);
        }
        try (Session s = Sparq.load(after, options)) {
            b = run(s, inputs, ms, 1);
        }
        if (a.length != b.length) {
            throw new IllegalStateException("the outputs have " + a.length + " and " + b.length + " elements");
        }
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs((double) a[i] - b[i]));
        }
        long rows = a.length / cols;
        int ca = -1;
        int cb = -1;
        if (labels != null) {
            if (labels.length != rows) {
                throw new dev.sparq.InvalidInputException(labels.length + " labels for " + rows + " output rows");
            }
            ca = correct(a, (int) cols, labels);
            cb = correct(b, (int) cols, labels);
        }
        return new OutputComparison(rows, max, ca, cb, ms[0], ms[1]);
    }

    private static float[] run(Session s, Map<String, Tensor> inputs, double[] ms, int slot) {
        s.run(inputs).close(); // warm-up: the first run plans memory and compiles
        long t0 = System.nanoTime();
        try (Session.Result r = s.run(inputs)) {
            ms[slot] = (System.nanoTime() - t0) / 1e6;
            return r.first().toFloatArray();
        }
    }

    private static long lastDim(Session s, Map<String, Tensor> inputs) {
        try (Session.Result r = s.run(inputs)) {
            Tensor t = r.first();
            return t.rank() == 0 ? 1 : t.dim(t.rank() - 1);
        }
    }

    private static int correct(float[] out, int cols, long[] labels) {
        int n = 0;
        for (int row = 0; row < labels.length; row++) {
            int best = 0;
            for (int c = 1; c < cols; c++) {
                if (out[row * cols + c] > out[row * cols + best]) {
                    best = c;
                }
            }
            n += best == labels[row] ? 1 : 0;
        }
        return n;
    }

    /**
     * Seeded N(0, 1) inputs for every float32 graph input of {@code model}, symbolic dims (the batch) set to 1.
     * The caller closes the tensors.
     */
    public static Map<String, Tensor> randomInputs(Model model, long seed) {
        Random rnd = new Random(seed);
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (ValueInfo in : model.graph().inputs()) {
            if (in.type().dtype() != DType.F32 || !in.type().hasRank()) {
                out.values().forEach(Tensor::close);
                throw new dev.sparq.InvalidInputException(model.source() + ": input '" + in.name() + "' is "
                    + in.type() + "; give a sample input with --sample");
            }
            List<Long> dims = new ArrayList<>();
            for (Dim d : in.type().dims()) {
                dims.add(d.isKnown() ? d.value() : 1);
            }
            long[] shape = dims.stream().mapToLong(Long::longValue).toArray();
            Tensor t = Tensor.allocate(DType.F32, shape);
            for (long i = 0; i < t.size(); i++) {
                t.setFloat(i, (float) rnd.nextGaussian());
            }
            out.put(in.name(), t);
        }
        return out;
    }
}
