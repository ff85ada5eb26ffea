package dev.sparq.backend.cpu.ref;

import dev.sparq.backend.ExecutionContext;
import dev.sparq.backend.Kernel;
import dev.sparq.backend.KernelRegistry;
import dev.sparq.backend.KernelRequest;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Shapes;
import dev.sparq.tensor.Tensor;
import java.util.Arrays;

/**
 * Reduce* ops and ArgMax/ArgMin. Axes come from the {@code axes} attribute, or from optional input 1 where the
 * opset moved them there (ReduceSum from 13, the others from 18); no axes means all axes, unless
 * {@code noop_with_empty_axes} asks for the identity. Floats accumulate in double, integers in long (wrapping).
 */
public final class ReduceOps {
    private ReduceOps() {
    }

    /** A reduction: floating and integer accumulation rules and the empty-reduction identities. */
    enum Reduction {
        SUM, MEAN, MAX, MIN, PROD, L1, L2, SUM_SQUARE, LOG_SUM, LOG_SUM_EXP;

        double initial() {
            return switch (this) {
                case MAX -> Double.NEGATIVE_INFINITY;
                case MIN -> Double.POSITIVE_INFINITY;
                case PROD -> 1;
                default -> 0;
            };
        }

        double step(double acc, double v) {
            return switch (this) {
                case SUM, MEAN, LOG_SUM -> acc + v;
                case MAX -> Math.max(acc, v);
                case MIN -> Math.min(acc, v);
                case PROD -> acc * v;
                case L1 -> acc + Math.abs(v);
                case L2, SUM_SQUARE -> acc + v * v;
                case LOG_SUM_EXP -> throw new IllegalStateException("log-sum-exp has its own two-pass loop");
            };
        }

        double finish(double acc, long count) {
            return switch (this) {
                case MEAN -> acc / count;
                case L2 -> Math.sqrt(acc);
                case LOG_SUM -> Math.log(acc);
                default -> acc;
            };
        }

        long initialLong() {
            return switch (this) {
                case MAX -> Long.MIN_VALUE;
                case MIN -> Long.MAX_VALUE;
                case PROD -> 1;
                default -> 0;
            };
        }

        long step(long acc, long v) {
            return switch (this) {
                case SUM, MEAN -> acc + v;
                case MAX -> Math.max(acc, v);
                case MIN -> Math.min(acc, v);
                case PROD -> acc * v;
                case L1 -> acc + Math.abs(v);
                case L2, SUM_SQUARE -> acc + v * v;
                case LOG_SUM, LOG_SUM_EXP -> throw new IllegalStateException("integer logarithms go through double");
            };
        }

        /** Integer Mean truncates toward zero, L2 truncates the square root: NumPy's result cast back. */
        long finish(long acc, long count) {
            return switch (this) {
                case MEAN -> count == 0 ? 0 : acc / count;
                case L2 -> (long) Math.sqrt(acc);
                default -> acc;
            };
        }
    }

    public static void register(KernelRegistry r) {
        reduce(r, "ReduceSum", Reduction.SUM, 13);
        reduce(r, "ReduceMean", Reduction.MEAN, 18);
        reduce(r, "ReduceMax", Reduction.MAX, 18);
        reduce(r, "ReduceMin", Reduction.MIN, 18);
        reduce(r, "ReduceProd", Reduction.PROD, 18);
        reduce(r, "ReduceL1", Reduction.L1, 18);
        reduce(r, "ReduceL2", Reduction.L2, 18);
        reduce(r, "ReduceSumSquare", Reduction.SUM_SQUARE, 18);
        reduce(r, "ReduceLogSumExp", Reduction.LOG_SUM_EXP, 18);
        reduce(r, "ReduceLogSum", Reduction.LOG_SUM, 18);
        r.register("ArgMax", req -> arg(req, true));
        r.register("ArgMin", req -> arg(req, false));
    }

    private static void reduce(KernelRegistry r, String op, Reduction kind, int axesInputSince) {
        r.register(op, req -> reduceKernel(req, kind, axesInputSince));
    }

    private static Kernel reduceKernel(KernelRequest req, Reduction kind, int axesInputSince) {
        boolean keepDims = req.node().intAttr("keepdims", 1) != 0;
        boolean noopWithEmptyAxes = req.opset() >= axesInputSince && req.node().intAttr("noop_with_empty_axes", 0) != 0;
        return (in, ctx) -> {
            Tensor x = in[0];
            long[] axes = Args.intsFromAttrOrInput(req, in, "axes", 1, axesInputSince);
            if (axes == null || axes.length == 0) {
                if (noopWithEmptyAxes) {
                    return new Tensor[] {Elements.copyOf(x, ctx)};
                }
                axes = null;
            }
            boolean[] reduced = reducedAxes(axes, x.rank());
            return new Tensor[] {reduce(x, reduced, keepDims, kind, ctx)};
        };
    }

    /** Which axes are reduced: the listed ones (negative allowed, duplicates rejected), or all if null. */
    static boolean[] reducedAxes(long[] axes, int rank) {
        boolean[] reduced = new boolean[rank];
        if (axes == null) {
            Arrays.fill(reduced, true);
            return reduced;
        }
        for (long a : axes) {
            int ax = Shapes.axis(a, rank, "axis");
            if (reduced[ax]) {
                throw new IllegalArgumentException("axis " + a + " is listed twice");
            }
            reduced[ax] = true;
        }
        return reduced;
    }

    static Tensor reduce(Tensor x, boolean[] reduced, boolean keepDims, Reduction kind, ExecutionContext ctx) {
        long[] shape = x.shape();
        long[] kept = shape.clone();
        long count = 1;
        for (int i = 0; i < shape.length; i++) {
            if (reduced[i]) {
                kept[i] = 1;
                count *= shape[i];
            }
        }
        Tensor y = ctx.allocate(x.dtype(), keepDims ? kept : dropReduced(shape, reduced));
        // The output read back at every input coordinate: stride 0 on reduced axes accumulates into one slot.
        long[] outStrides = Shapes.broadcastStrides(kept, shape);
        int outSize = Math.toIntExact(y.size());
        long n = x.size();
        if (kind == Reduction.LOG_SUM_EXP) {
            double[] max = new double[outSize];
            Arrays.fill(max, Double.NEGATIVE_INFINITY);
            StridedCursor c = new StridedCursor(shape, outStrides);
            for (long i = 0; i < n; i++, c.advance()) {
                int o = (int) c.offset(0);
                max[o] = Math.max(max[o], x.getDouble(i));
            }
            double[] sum = new double[outSize];
            c = new StridedCursor(shape, outStrides);
            for (long i = 0; i < n; i++, c.advance()) {
                int o = (int) c.offset(0);
                sum[o] += Math.exp(x.getDouble(i) - max[o]);
            }
            for (int o = 0; o < outSize; o++) {
                // An infinite max (or an empty reduction, max = -inf) is the answer itself; exp(inf - inf) is NaN.
                y.setDouble(o, Double.isInfinite(max[o]) ? max[o] : max[o] + Math.log(sum[o]));
            }
        } else if (x.dtype().isFloating() || kind == Reduction.LOG_SUM) {
            double[] acc = new double[outSize];
            Arrays.fill(acc, kind.initial());
            StridedCursor c = new StridedCursor(shape, outStrides);
            for (long i = 0; i < n; i++, c.advance()) {
                int o = (int) c.offset(0);
                acc[o] = kind.step(acc[o], x.getDouble(i));
            }
            for (int o = 0; o < outSize; o++) {
                y.setDouble(o, kind.finish(acc[o], count));
            }
        } else {
            long[] acc = new long[outSize];
            Arrays.fill(acc, kind.initialLong());
            StridedCursor c = new StridedCursor(shape, outStrides);
            for (long i = 0; i < n; i++, c.advance()) {
                int o = (int) c.offset(0);
                acc[o] = kind.step(acc[o], x.getLong(i));
            }
            for (int o = 0; o < outSize; o++) {
                y.setLong(o, count == 0 ? emptyIntegerResult(kind, x.dtype(), acc[o]) : kind.finish(acc[o], count));
            }
        }
        return y;
    }

    /** An empty integer Max (Min) is the type's lowest (highest) value, not Long's, which would wrap to 0. */
    private static long emptyIntegerResult(Reduction kind, DType dtype, long identity) {
        if (kind != Reduction.MAX && kind != Reduction.MIN) {
            return kind.finish(identity, 0);
        }
        boolean max = kind == Reduction.MAX;
        return switch (dtype) {
            case I8 -> max ? Byte.MIN_VALUE : Byte.MAX_VALUE;
            case I16 -> max ? Short.MIN_VALUE : Short.MAX_VALUE;
            case I32 -> max ? Integer.MIN_VALUE : Integer.MAX_VALUE;
            case U8 -> max ? 0 : 0xFF;
            case U16 -> max ? 0 : 0xFFFF;
            case U32 -> max ? 0 : 0xFFFFFFFFL;
            case BOOL -> max ? 0 : 1;
            default -> identity;
        };
    }

    static long[] dropReduced(long[] shape, boolean[] reduced) {
        int n = 0;
        for (boolean b : reduced) {
            n += b ? 0 : 1;
        }
        long[] out = new long[n];
        for (int i = 0, j = 0; i < shape.length; i++) {
            if (!reduced[i]) {
                out[j++] = shape[i];
            }
        }
        return out;
    }

    /**
     * ArgMax/ArgMin along one axis; ties go to the first index unless select_last_index (opset 12) is set. A NaN
     * wins over any number, as in NumPy's argmax and argmin.
     */
    private static Kernel arg(KernelRequest req, boolean max) {
        long axisAttr = req.node().intAttr("axis", 0);
        boolean keepDims = req.node().intAttr("keepdims", 1) != 0;
        boolean last = req.node().intAttr("select_last_index", 0) != 0;
        return (in, ctx) -> {
            Tensor x = in[0];
            long[] shape = x.shape();
            int axis = Shapes.axis(axisAttr, shape.length, "axis");
            if (shape[axis] == 0) {
                throw new IllegalArgumentException("cannot take the arg" + (max ? "max" : "min") + " of an empty axis");
            }
            boolean[] reduced = new boolean[shape.length];
            reduced[axis] = true;
            long[] kept = shape.clone();
            kept[axis] = 1;
            Tensor y = ctx.allocate(DType.I64, keepDims ? kept : dropReduced(shape, reduced));
            long outer = Axes.product(shape, 0, axis);
            long length = shape[axis];
            long inner = Axes.product(shape, axis + 1, shape.length);
            boolean floating = x.dtype().isFloating();
            for (long o = 0; o < outer; o++) {
                for (long j = 0; j < inner; j++) {
                    long base = o * length * inner + j;
                    long best = 0;
                    for (long k = 1; k < length; k++) {
                        int cmp = floating
                            ? compare(x.getDouble(base + k * inner), x.getDouble(base + best * inner), max)
                            : Long.compare(x.getLong(base + k * inner), x.getLong(base + best * inner));
                        if (max ? cmp > 0 : cmp < 0) {
                            best = k;
                        } else if (cmp == 0 && last) {
                            best = k;
                        }
                    }
                    y.setLong(o * inner + j, best);
                }
            }
            return new Tensor[] {y};
        };
    }

    /**
     * Orders a candidate against the best so far: numerically (−0.0 equals 0.0), except that NaN is "more extreme"
     * than any number in the direction being searched, so the first NaN wins.
     */
    private static int compare(double candidate, double best, boolean max) {
        boolean candidateNaN = Double.isNaN(candidate);
        boolean bestNaN = Double.isNaN(best);
        if (candidateNaN || bestNaN) {
            int extreme = candidateNaN && bestNaN ? 0 : candidateNaN ? 1 : -1;
            return max ? extreme : -extreme;
        }
        return candidate < best ? -1 : candidate > best ? 1 : 0;
    }
}
