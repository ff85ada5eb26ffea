package dev.sparq.conformance;

import dev.sparq.tensor.Tensor;
import java.util.Arrays;

/**
 * Output comparison as ONNX's backend test runner does it: {@code |actual - expected| <= atol + rtol * |expected|}
 * for floating types (NaN matches NaN, infinities must match exactly), exact equality for integers and bools.
 */
public record Tolerance(double rtol, double atol) {
    public static final Tolerance ONNX_DEFAULT = new Tolerance(1e-3, 1e-7);

    /** Null if {@code actual} matches, else a short description of the worst mismatch. */
    public String compare(Tensor actual, Tensor expected) {
        if (actual.dtype() != expected.dtype()) {
            return "has dtype " + actual.dtype() + ", expected " + expected.dtype();
        }
        if (!Arrays.equals(actual.shape(), expected.shape())) {
            return "has shape " + Arrays.toString(actual.shape()) + ", expected " + Arrays.toString(expected.shape());
        }
        double worst = 0;
        long worstAt = -1;
        long bad = 0;
        boolean floating = expected.dtype().isFloating();
        for (long i = 0; i < expected.size(); i++) {
            if (floating) {
                double a = actual.getDouble(i);
                double e = expected.getDouble(i);
                if (Double.isNaN(e) && Double.isNaN(a)) {
                    continue;
                }
                double err = Math.abs(a - e);
                boolean ok = Double.isInfinite(e) || Double.isInfinite(a) ? a == e : err <= atol + rtol * Math.abs(e);
                if (!ok) {
                    bad++;
                    if (!(err <= worst)) {
                        worst = err;
                        worstAt = i;
                    }
                }
            } else if (actual.getLong(i) != expected.getLong(i)) {
                bad++;
                double err = Math.abs((double) actual.getLong(i) - expected.getLong(i));
                if (err > worst || worstAt < 0) {
                    worst = err;
                    worstAt = i;
                }
            }
        }
        if (bad == 0) {
            return null;
        }
        return String.format(java.util.Locale.ROOT, "differs in %d of %d elements, max error %.3g at index %d "
            + "(got %s, expected %s)", bad, expected.size(), worst, worstAt, value(actual, worstAt),
            value(expected, worstAt));
    }

    private static String value(Tensor t, long i) {
        return t.dtype().isFloating() ? Double.toString(t.getDouble(i)) : Long.toString(t.getLong(i));
    }
}
