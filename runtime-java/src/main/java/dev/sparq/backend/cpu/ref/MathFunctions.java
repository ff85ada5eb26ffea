package dev.sparq.backend.cpu.ref;

/** Scalar functions the JDK lacks or gets subtly different from ONNX, computed in double. */
final class MathFunctions {
    private static final double TWO_OVER_SQRT_PI = 1.1283791670955126;

    private MathFunctions() {
    }

    /**
     * The error function to about 1e-15 relative error:
     * erf(x) = 2/√π · e^(−x²) · Σ 2ⁿ x^(2n+1) / (1·3·…·(2n+1)).
     * Every term is positive, so the series has no cancellation; beyond |x| = 6, erf is 1 in double precision.
     */
    static double erf(double x) {
        if (Double.isNaN(x)) {
            return x;
        }
        double ax = Math.abs(x);
        if (ax >= 6) {
            return Math.copySign(1.0, x);
        }
        double x2 = ax * ax;
        double term = ax;
        double sum = ax;
        for (int n = 1; n < 500; n++) {
            term *= 2 * x2 / (2 * n + 1);
            sum += term;
            if (term < sum * 1e-17) {
                break;
            }
        }
        return Math.copySign(Math.min(1.0, TWO_OVER_SQRT_PI * Math.exp(-x2) * sum), x);
    }

    /** Logistic sigmoid without overflow for large |x|. */
    static double sigmoid(double x) {
        if (x >= 0) {
            return 1 / (1 + Math.exp(-x));
        }
        double e = Math.exp(x);
        return e / (1 + e);
    }

    /** log(1 + e^x) without overflow: max(x, 0) + log1p(e^−|x|). */
    static double softplus(double x) {
        return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
    }

    /** Sign as ONNX defines it: −1, 0 or 1, NaN stays NaN. */
    static double sign(double x) {
        return Math.signum(x);
    }
}
