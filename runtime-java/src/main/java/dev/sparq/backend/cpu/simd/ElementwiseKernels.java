package dev.sparq.backend.cpu.simd;

import dev.sparq.backend.ExecutionContext;
import dev.sparq.backend.Kernel;
import dev.sparq.backend.KernelFactory;
import dev.sparq.backend.KernelRequest;
import dev.sparq.backend.UnsupportedKernelException;
import dev.sparq.graph.ValueType;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Shapes;
import dev.sparq.tensor.Tensor;
import java.util.Arrays;

/** Relu / Clip (as a clamp) and the broadcasting arithmetic ops. */
final class ElementwiseKernels {
    private ElementwiseKernels() {
    }

    static Kernel clamp(KernelRequest r) {
        DType in = r.inputType(0).dtype();
        if (in == DType.U8 || in == DType.I8) {
            return byteClip(r, in);
        }
        requireF32(r.inputType(0));
        Activation act = Activation.ofNode(r);
        return (inputs, ctx) -> {
            Tensor x = inputs[0];
            checkF32(x);
            Tensor y = ctx.allocateUninitialized(DType.F32, x.shape());
            split(x.size(), FLOATS_PER_THREAD, ctx, (from, to) -> SimdOps.get().clamp(
                x.segment().asSlice(from * Float.BYTES), y.segment().asSlice(from * Float.BYTES), to - from,
                act.min(), act.max()));
            return new Tensor[] {y};
        };
    }

    /** Below this many bytes per thread a second thread costs more than it saves in an 8-bit Clip. */
    private static final long BYTES_PER_THREAD = 64 * 1024;
    /**
     * The same for f32 Relu/Clip and arithmetic, lower: a single thread reading what two cores wrote was slower
     * than splitting even 50 KB tensors (MobileNetV2's residual Adds at 2 threads).
     */
    private static final long FLOATS_PER_THREAD = 4096;

    /** What a thread does with its range [from, to) of elements. */
    @FunctionalInterface
    interface Range {
        void run(long from, long to);
    }

    /**
     * Splits [0, n) into contiguous ranges (boundaries multiples of 64 elements), one per thread, of at least
     * {@code minPerThread} elements: like the channel split of the convolution that wrote the input, so each thread
     * mostly reads what its own core wrote (one thread reading it all was 2x slower at 2 threads).
     */
    static void split(long n, long minPerThread, ExecutionContext ctx, Range body) {
        int threads = ctx.threadsFor(n / minPerThread);
        ctx.parallelFor(threads, t -> {
            long from = n * t / threads & ~63L;
            long to = t == threads - 1 ? n : n * (t + 1) / threads & ~63L;
            body.run(from, to);
        });
    }

    /** Clip on uint8/int8 with constant bounds of the same type: what QDQ fusion leaves of a Relu/Clip. */
    private static Kernel byteClip(KernelRequest r, DType type) {
        if (!r.node().opType().equals("Clip") || r.opset() < 12) {
            throw new UnsupportedKernelException("cpu-simd clamps 8-bit values only as Clip (opset 12+)");
        }
        boolean unsigned = type == DType.U8;
        int lo = unsigned ? 0 : Byte.MIN_VALUE;
        int hi = unsigned ? 255 : Byte.MAX_VALUE;
        for (int i = 1; i <= 2; i++) {
            if (r.node().hasInput(i)) {
                Tensor t = r.constantInput(i);
                if (t == null || t.size() != 1 || t.dtype() != type) {
                    throw new UnsupportedKernelException("Clip bound is not a constant " + type + " scalar");
                }
                if (i == 1) {
                    lo = (int) t.getLong(0);
                } else {
                    hi = (int) t.getLong(0);
                }
            }
        }
        int min = lo;
        int max = hi;
        return (inputs, ctx) -> {
            Tensor x = inputs[0];
            if (x.dtype() != type) {
                throw new IllegalArgumentException("Clip input is " + x.dtype() + ", planned for " + type);
            }
            Tensor y = ctx.allocateUninitialized(type, x.shape());
            if (min <= max) {
                split(x.size(), BYTES_PER_THREAD, ctx, (from, to) -> SimdOps.get().clampBytes(
                    x.segment().asSlice(from, to - from), y.segment().asSlice(from, to - from), to - from, min, max,
                    unsigned));
            } else { // ONNX: every value becomes max when min > max
                y.segment().fill((byte) max);
            }
            return new Tensor[] {y};
        };
    }

    /**
     * Add, Sub, Mul, Div of f32 tensors with NumPy broadcasting, row by row along the innermost axis (each operand
     * either walks the row or repeats one value in it); rows are split across threads.
     */
    static KernelFactory binary(SimdOps.Arith op) {
        return r -> {
            requireF32(r.inputType(0));
            requireF32(r.inputType(1));
            return (inputs, ctx) -> {
                Tensor a = inputs[0];
                Tensor b = inputs[1];
                checkF32(a);
                checkF32(b);
                long[] shape = Shapes.broadcast(a.shape(), b.shape());
                Tensor out = ctx.allocateUninitialized(DType.F32, shape);
                long[] as = Shapes.broadcastStrides(a.shape(), shape);
                long[] bs = Shapes.broadcastStrides(b.shape(), shape);
                // The row is the longest run of trailing axes over which each operand is either contiguous or
                // constant: one call for same-shape inputs, one per channel for a per-channel bias.
                int rank = shape.length;
                int inner = innerAxes(shape, as, bs);
                long width = 1;
                for (int d = rank - inner; d < rank; d++) {
                    width *= shape[d];
                }
                int n = (int) width;
                int aStep = constantOver(shape, as, inner) ? 0 : 1;
                int bStep = constantOver(shape, bs, inner) ? 0 : 1;
                long rows = n == 0 ? 0 : Shapes.size(shape) / n;
                int outer = rank - inner;
                if (rows == 1) { // same shapes or a scalar operand: one long row, split in contiguous ranges
                    split(n, FLOATS_PER_THREAD, ctx, (from, to) -> SimdOps.get().binary(op,
                        a.segment(), from * aStep, aStep, b.segment(), from * bStep, bStep, out.segment(), from,
                        (int) (to - from)));
                    return new Tensor[] {out};
                }
                int threads = ctx.threadsFor(rows / 64 + 1);
                ctx.parallelFor(threads, t -> {
                    for (long row = rows * t / threads; row < rows * (t + 1) / threads; row++) {
                        long ai = 0;
                        long bi = 0;
                        long rest = row;
                        for (int d = outer - 1; d >= 0; d--) {
                            long idx = rest % shape[d];
                            rest /= shape[d];
                            ai += idx * as[d];
                            bi += idx * bs[d];
                        }
                        SimdOps.get().binary(op, a.segment(), ai, aStep, b.segment(), bi, bStep, out.segment(),
                            row * n, n);
                    }
                });
                return new Tensor[] {out};
            };
        };
    }

    /** How many trailing axes can be one row: each operand contiguous (its own strides) or constant over them. */
    static int innerAxes(long[] shape, long[] as, long[] bs) {
        int best = 0;
        for (int k = 1; k <= shape.length; k++) {
            if (contiguousOrConstant(shape, as, k) && contiguousOrConstant(shape, bs, k)) {
                best = k;
            } else {
                break;
            }
        }
        return best;
    }

    /** Whether strides over the last {@code k} axes are all zero, or exactly the dense row-major strides. */
    private static boolean contiguousOrConstant(long[] shape, long[] strides, int k) {
        if (constantOver(shape, strides, k)) {
            return true;
        }
        long expect = 1;
        for (int d = shape.length - 1; d >= shape.length - k; d--) {
            if (strides[d] != expect && shape[d] != 1) {
                return false;
            }
            expect *= shape[d];
        }
        return true;
    }

    /** Whether the operand repeats one value over the last {@code k} axes. */
    private static boolean constantOver(long[] shape, long[] strides, int k) {
        for (int d = shape.length - 1; d >= shape.length - k; d--) {
            if (strides[d] != 0 && shape[d] != 1) {
                return false;
            }
        }
        return true;
    }

    static void requireF32(ValueType t) {
        if (t.dtype() != DType.F32) {
            throw new UnsupportedKernelException("cpu-simd runs f32 here");
        }
    }

    static void checkF32(Tensor x) {
        if (x.dtype() != DType.F32) {
            throw new IllegalArgumentException("expected f32, got " + x.dtype());
        }
    }
}
