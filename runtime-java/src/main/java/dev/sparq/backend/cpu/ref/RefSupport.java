package dev.sparq.backend.cpu.ref;

import dev.sparq.backend.ExecutionContext;
import dev.sparq.backend.Kernel;
import dev.sparq.backend.KernelFactory;
import dev.sparq.backend.KernelRequest;
import dev.sparq.backend.UnsupportedKernelException;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Shapes;
import dev.sparq.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/** Small helpers shared by the reference kernels of this package: dtype checks and array copies. */
final class RefSupport {
    private RefSupport() {
    }

    /** Rejects the node at planning time when input {@code i}'s dtype is known and not one of {@code allowed}. */
    static void requireKnownDType(KernelRequest r, int i, DType... allowed) {
        DType t = r.inputType(i).dtype();
        if (t != null && !Arrays.asList(allowed).contains(t)) {
            throw new UnsupportedKernelException(r.node().opType() + " input " + i + " of type " + t
                + " is not supported (supported: " + Arrays.toString(allowed) + ")");
        }
    }

    /** {@link #requireKnownDType} for every input the node lists. */
    static void requireKnownDTypes(KernelRequest r, DType... allowed) {
        for (int i = 0; i < r.node().inputs().size(); i++) {
            requireKnownDType(r, i, allowed);
        }
    }

    /** A new tensor of an integer {@code dtype} holding {@code values}, each wrapped to the element width. */
    static Tensor integerTensor(ExecutionContext ctx, DType dtype, long[] shape, long[] values) {
        Tensor t = ctx.allocate(dtype, shape);
        for (int i = 0; i < values.length; i++) {
            t.setLong(i, values[i]);
        }
        return t;
    }

    /** The elements of an f32 tensor; {@code what} names it in the error. */
    static float[] f32(Tensor t, String what) {
        requireDType(t, DType.F32, what);
        return t.toFloatArray();
    }

    static void requireDType(Tensor t, DType expected, String what) {
        if (t.dtype() != expected) {
            throw new IllegalArgumentException(what + " must be " + expected + ", not " + t.dtype());
        }
    }

    /** A new f32 tensor holding {@code values}. */
    static Tensor f32Tensor(ExecutionContext ctx, long[] shape, float[] values) {
        Tensor t = ctx.allocate(DType.F32, shape);
        MemorySegment.copy(values, 0, t.segment(), ValueLayout.JAVA_FLOAT, 0, values.length);
        return t;
    }

    static int toInt(long v, String what) {
        if (v < 0 || v > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(what + " " + v + " is out of range");
        }
        return (int) v;
    }

    /** Requires rank {@code rank} or more; {@code what} names the tensor. */
    static void requireRank(Tensor t, int minRank, String what) {
        if (t.rank() < minRank) {
            throw new IllegalArgumentException(what + " must have rank >= " + minRank + ", got shape "
                + Arrays.toString(t.shape()));
        }
    }

    /** The single element of a scalar-like tensor (any shape with one element). */
    static double scalar(Tensor t, String what) {
        if (t.size() != 1) {
            throw new IllegalArgumentException(what + " must hold one element, got shape "
                + Arrays.toString(t.shape()));
        }
        return t.getDouble(0);
    }

    /**
     * For each flat index of {@code target}, the flat index of the element of a {@code from}-shaped tensor that
     * unidirectional (numpy) broadcasting reads there. Leading 1s of {@code from} beyond the target's rank are
     * ignored.
     */
    static int[] broadcastIndex(long[] from, long[] target, String what) {
        int lead = 0;
        while (from.length - lead > target.length && from[lead] == 1) {
            lead++;
        }
        long[] own = Arrays.copyOfRange(from, lead, from.length);
        if (!Arrays.equals(Shapes.broadcast(own, target), target)) {
            throw new IllegalArgumentException(what + " " + Arrays.toString(from) + " does not broadcast to "
                + Arrays.toString(target));
        }
        long[] strides = Shapes.broadcastStrides(own, target);
        int[] out = new int[Math.toIntExact(Shapes.size(target))];
        for (int i = 0; i < out.length; i++) {
            long rest = i;
            long flat = 0;
            for (int d = target.length - 1; d >= 0; d--) {
                flat += (rest % target[d]) * strides[d];
                rest /= target[d];
            }
            out[i] = (int) flat;
        }
        return out;
    }

    /**
     * A factory whose kernels see at least {@code arity} inputs: a node may simply not list trailing optional
     * inputs, and this makes them read as null like omitted ones in the middle.
     */
    static KernelFactory withArity(int arity, KernelFactory f) {
        return req -> {
            Kernel k = f.create(req);
            return (in, ctx) -> k.run(in.length >= arity ? in : Arrays.copyOf(in, arity), ctx);
        };
    }
}
