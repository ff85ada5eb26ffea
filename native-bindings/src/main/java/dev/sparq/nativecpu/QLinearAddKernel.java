package dev.sparq.nativecpu;

import dev.sparq.backend.ExecutionContext;
import dev.sparq.backend.Kernel;
import dev.sparq.backend.KernelRequest;
import dev.sparq.backend.UnsupportedKernelException;
import dev.sparq.graph.ClampedQuantizedOp;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import java.util.Arrays;

/**
 * com.microsoft QLinearAdd of two same-shape 8-bit tensors (residual Adds of quantized ResNets and MobileNets) on
 * the native kernel: the float32 sum of the dequantized operands, requantized, step by step as cpu-ref defines it.
 * Broadcasting operands and non-constant parameters are left to other backends. Its clamped form ({@link
 * ClampedQuantizedOp}) requantizes into the narrower bounds.
 */
record QLinearAddKernel(DType type, float sa, int za, float sb, int zb, float sc, int zc, int yMin, int yMax)
    implements Kernel {
    /**
     * Elements per task, low: the operands were written by the convolutions on every thread, in contiguous halves,
     * and one thread reading both halves was slower at 2 threads than at 1 (ResNet-18 layer2: 29 µs at 1 thread,
     * 31-34 at 2 unsplit, 15 split).
     */
    private static final long ELEMENTS_PER_THREAD = 1L << 12;

    static Kernel create(KernelRequest r) {
        DType type = r.inputType(0).dtype();
        if ((type != DType.U8 && type != DType.I8) || r.inputType(3).dtype() != type) {
            throw new UnsupportedKernelException("cpu-native QLinearAdd needs two 8-bit operands of one type");
        }
        long[] sa = r.inputType(0).concreteShape();
        long[] sb = r.inputType(3).concreteShape();
        if (sa != null && sb != null && !Arrays.equals(sa, sb)) {
            throw new UnsupportedKernelException("cpu-native QLinearAdd does not broadcast");
        }
        float[] scales = new float[3];
        int[] zeros = new int[3];
        int[] scaleAt = {1, 4, 6}; // A, B, C: (A, a_scale, a_zero, B, b_scale, b_zero, c_scale, c_zero)
        for (int i = 0; i < 3; i++) {
            Tensor s = r.constantInput(scaleAt[i]);
            int zeroAt = scaleAt[i] + 1;
            Tensor z = r.node().hasInput(zeroAt) ? r.constantInput(zeroAt) : null;
            if (s == null || s.dtype() != DType.F32 || s.size() != 1
                || (r.node().hasInput(zeroAt) && (z == null || z.size() != 1 || z.dtype() != type))) {
                throw new UnsupportedKernelException("cpu-native QLinearAdd takes constant per-tensor parameters");
            }
            scales[i] = s.getFloat(0);
            zeros[i] = z == null ? 0 : (int) z.getLong(0);
        }
        int[] bounds = r.outputBounds(type);
        return new QLinearAddKernel(type, scales[0], zeros[0], scales[1], zeros[1], scales[2], zeros[2], bounds[0],
            bounds[1]);
    }

    @Override
    public Tensor[] run(Tensor[] inputs, ExecutionContext ctx) {
        Tensor a = inputs[0];
        Tensor b = inputs[3];
        if (a.dtype() != type || b.dtype() != type || !Arrays.equals(a.shape(), b.shape())) {
            throw new IllegalArgumentException("cpu-native QLinearAdd planned for two " + type + " tensors of one shape,"
                + " got " + a.dtype() + Arrays.toString(a.shape()) + " and " + b.dtype() + Arrays.toString(b.shape()));
        }
        Tensor c = ctx.allocateUninitialized(type, a.shape());
        long n = a.size();
        CpuKernels nk = CpuKernels.get();
        boolean signed = type == DType.I8;
        int threads = ctx.threadsFor(n / ELEMENTS_PER_THREAD);
        ctx.parallelFor(threads, t -> nk.qlinearAdd(a.segment(), b.segment(), n * t / threads, n * (t + 1) / threads,
            za, sa, zb, sb, sc, zc, signed, yMin, yMax, c.segment()));
        return new Tensor[] {c};
    }
}
