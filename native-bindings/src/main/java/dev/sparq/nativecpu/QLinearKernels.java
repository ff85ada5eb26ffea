package dev.sparq.nativecpu;

import dev.sparq.backend.ExecutionContext;
import dev.sparq.backend.Kernel;
import dev.sparq.backend.KernelRequest;
import dev.sparq.backend.UnsupportedKernelException;
import dev.sparq.backend.geometry.ConvAttributes;
import dev.sparq.backend.geometry.ConvGeometry2d;
import dev.sparq.graph.Node;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * QLinearMatMul, QLinearConv and com.microsoft QGemm on the native u8×s8 GEMM: 8-bit activations with a scalar zero
 * point, int8 symmetric weights (per tensor or per output channel) packed at load, int32 accumulation, and ONNX's
 * requantization (float32 multiplier a_scale·w_scale[c]/y_scale applied in double, zero point added, round half to
 * even, saturate) to uint8 or int8 — fused into the GEMM for QLinearMatMul and QGemm (sparq_gemm_u8s8_requant).
 * int8 activations are moved into uint8 by flipping the sign bit (x + 128, and
 * the zero point with it), which changes no difference x − zero point. Exact: the same integers as cpu-ref.
 * QLinearConv goes to {@link FusedConvKernel} wherever the library has a fast fused path (AMX, AVX-512 VNNI); the
 * im2col + GEMM + requantize route here serves group-1 convolutions elsewhere (AVX2, NEON).
 */
final class QLinearKernels {
    private QLinearKernels() {
    }

    /** Everything but the input tensor: packed weights, multipliers, bias, output type, input type. */
    private record Prepared(int aZero, MemorySegment packed, MemorySegment sums, MemorySegment multipliers,
                            MemorySegment bias, int yZero, DType yType, int yMin, int yMax, DType aType) {
        /** The activation as the uint8 the GEMM reads: itself, or a sign-flipped copy from {@code ctx}. */
        Tensor unsigned(Tensor a, ExecutionContext ctx) {
            if (aType == DType.U8) {
                return a;
            }
            Tensor u = ctx.allocateUninitialized(DType.U8, a.shape());
            SignFlip.copy(a.segment(), u.segment());
            return u;
        }

        void release(Tensor original, Tensor unsigned) {
            if (unsigned != original) {
                unsigned.close();
            }
        }
    }

    static DType activationType(KernelRequest r, String op) {
        DType t = r.inputType(0).dtype();
        if (t != DType.U8 && t != DType.I8) {
            throw new UnsupportedKernelException("cpu-native " + op + " needs 8-bit activations of a known type");
        }
        return t;
    }

    static Kernel qlinearMatMul(KernelRequest r) {
        Node n = r.node();
        Tensor b = r.constantInput(3);
        DType aType = activationType(r, "QLinearMatMul");
        if (b == null || b.dtype() != DType.I8 || b.rank() != 2) {
            throw new UnsupportedKernelException("cpu-native QLinearMatMul needs a constant int8 2-D B");
        }
        int k = (int) b.dim(0);
        int cols = (int) b.dim(1);
        Prepared p = prepare(r, aType, b.segment(), k, cols, cols, 1, 2, 4, 5, 6, 7, -1);
        return (inputs, ctx) -> matmul(p, inputs[0], k, cols, ctx);
    }

    /** com.microsoft QGemm with a requantized output: alpha 1, A not transposed, C one int32 per column. */
    static Kernel qgemm(KernelRequest r) {
        Node n = r.node();
        Tensor b = r.constantInput(3);
        DType aType = activationType(r, "QGemm");
        if (b == null || b.dtype() != DType.I8 || b.rank() != 2 || n.intAttr("transA", 0) != 0
            || n.floatAttr("alpha", 1f) != 1f || !n.hasInput(7)) {
            throw new UnsupportedKernelException(
                "cpu-native QGemm needs constant int8 2-D B, alpha 1, transA 0 and a requantized output (y_scale)");
        }
        boolean transB = n.intAttr("transB", 0) != 0;
        int k = (int) b.dim(transB ? 1 : 0);
        int cols = (int) b.dim(transB ? 0 : 1);
        Prepared p;
        try (Arena scratch = Arena.ofConfined()) {
            MemorySegment kn = transB ? transposed(b, cols, k, scratch) : b.segment();
            p = prepare(r, aType, kn, k, cols, cols, 1, 2, 4, 5, 7, 8, 6);
        }
        return (inputs, ctx) -> {
            if (inputs[0].rank() != 2) {
                throw new IllegalArgumentException("QGemm needs a 2-D A, not " + Arrays.toString(inputs[0].shape()));
            }
            return matmul(p, inputs[0], k, cols, ctx);
        };
    }

    /** Y[m, cols] = requantized A[m, k] · B for any leading dims of A. */
    private static Tensor[] matmul(Prepared p, Tensor a, int k, int cols, ExecutionContext ctx) {
        if (a.dtype() != p.aType() || a.rank() < 2 || a.dim(a.rank() - 1) != k) {
            throw new IllegalArgumentException("A " + a.dtype() + Arrays.toString(a.shape()) + " does not fit B");
        }
        long[] shape = a.shape();
        shape[shape.length - 1] = cols;
        Tensor y = ctx.allocateUninitialized(p.yType(), shape);
        int m = Math.toIntExact(a.size() / k);
        if (m > 0) {
            Tensor u = p.unsigned(a, ctx);
            // one pass: each int32 tile is requantized while in cache (no [m, cols] int32 buffer, no second pass)
            CpuKernels.get().gemmU8S8Requant(m, cols, k, u.segment(), k, 0, p.packed(), p.sums(), p.bias(),
                p.multipliers(), p.yZero(), p.yType() == DType.I8, p.yMin(), p.yMax(), y.segment(), cols);
            p.release(a, u);
        }
        return new Tensor[] {y};
    }

    /** [rows, cols] int8 as [cols, rows]. */
    static MemorySegment transposed(Tensor b, int rows, int cols, Arena arena) {
        MemorySegment t = arena.allocate((long) rows * cols);
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                t.set(ValueLayout.JAVA_BYTE, (long) j * rows + i, (byte) b.getLong((long) i * cols + j));
            }
        }
        return t;
    }

    static Kernel qlinearConv(KernelRequest r) {
        Node n = r.node();
        Tensor w = r.constantInput(3);
        DType xType = activationType(r, "QLinearConv");
        if (FusedConvKernel.available()) {
            return FusedConvKernel.create(r);
        }
        if (w == null || w.dtype() != DType.I8 || w.rank() != 4 || n.intAttr("group", 1) != 1) {
            throw new UnsupportedKernelException("cpu-native QLinearConv needs constant int8 4-D weights, group 1");
        }
        ConvAttributes attrs = ConvAttributes.of(n, w);
        int cout = (int) w.dim(0);
        int cin = (int) w.dim(1);
        int k = (int) (w.size() / cout);
        // the GEMM computes [pixels × K] · [K × Cout]: B is the weights transposed, packed once here
        Prepared p;
        try (Arena scratch = Arena.ofConfined()) {
            MemorySegment wt = scratch.allocate(w.size());
            for (int co = 0; co < cout; co++) {
                for (int kk = 0; kk < k; kk++) {
                    wt.set(ValueLayout.JAVA_BYTE, (long) kk * cout + co, (byte) w.getLong((long) co * k + kk));
                }
            }
            p = prepare(r, xType, wt, k, cout, cout, 1, 2, 4, 5, 6, 7, 8);
        }
        return (inputs, ctx) -> {
            Tensor original = inputs[0];
            if (original.dtype() != xType || original.rank() != 4 || original.dim(1) != cin) {
                throw new IllegalArgumentException("x " + original.dtype() + Arrays.toString(original.shape())
                    + " must be " + xType + " [N," + cin + ",H,W]");
            }
            Tensor x = p.unsigned(original, ctx);
            ConvGeometry2d g = attrs.geometry(x, cin);
            int pixels = g.outputPixels();
            Tensor y = ctx.allocateUninitialized(p.yType(), x.dim(0), cout, g.oh(), g.ow());
            // rows padded to a multiple of 4: the GEMM reads them in place (the packed weights are zero past k)
            int kp = (k + 3) / 4 * 4;
            Tensor cols = ctx.allocateUninitialized(DType.U8, pixels, kp);
            Tensor acc = ctx.allocateUninitialized(DType.I32, pixels, cout);
            CpuKernels nk = CpuKernels.get();
            long image = (long) cin * g.h() * g.w();
            long outImage = (long) cout * pixels;
            int elem = p.yType().byteSize();
            for (long img = 0; img < x.dim(0); img++) {
                MemorySegment xImage = x.segment().asSlice(img * image, image);
                int rowThreads = ctx.threadsFor(g.oh());
                ctx.parallelFor(rowThreads, t -> nk.im2colU8(xImage, cin, g.h(), g.w(), g.kh(), g.kw(), g.sh(), g.sw(),
                    g.dh(), g.dw(), g.padTop(), g.padLeft(), g.oh(), g.ow(), p.aZero(), cols.segment(), kp,
                    g.oh() * t / rowThreads, g.oh() * (t + 1) / rowThreads));
                MemorySegment yImage = y.segment().asSlice(img * outImage * elem, outImage * elem);
                // pixel rows split across threads: each runs the whole K for its rows (thread-count independent)
                int threads = ctx.threadsFor(pixels / 64);
                ctx.parallelFor(threads, t -> {
                    int r0 = pixels * t / threads;
                    int rows = pixels * (t + 1) / threads - r0;
                    if (rows > 0) {
                        nk.gemmU8S8S32(rows, cout, kp, cols.segment().asSlice((long) r0 * kp), kp, 0, p.packed(),
                            p.sums(), acc.segment().asSlice((long) r0 * cout * 4), cout);
                        // accumulators are [pixel][channel]; NCHW output takes channel-major strides
                        nk.requantize(acc.segment().asSlice((long) r0 * cout * 4), rows, cout, cout, p.bias(),
                            p.multipliers(), p.yZero(), p.yType() == DType.I8, p.yMin(), p.yMax(),
                            yImage.asSlice((long) r0 * elem), 1, pixels);
                    }
                });
            }
            cols.close();
            acc.close();
            p.release(original, x);
            return new Tensor[] {y};
        };
    }

    /**
     * Packs B [k, n] (row stride ldb) and reads the quantization inputs at the given positions: a_scale, a_zero,
     * b_scale, b_zero, y_scale, y_zero, bias (-1 = none). Only constant scalars (per-column for b_scale) are taken.
     */
    private static Prepared prepare(KernelRequest r, DType aType, MemorySegment b, int k, int n, int ldb, int aScaleAt,
                                    int aZeroAt, int bScaleAt, int bZeroAt, int yScaleAt, int yZeroAt, int biasAt) {
        QuantParams q = QuantParams.read(r, aType, n, aScaleAt, aZeroAt, bScaleAt, bZeroAt, yScaleAt, yZeroAt, biasAt);
        Arena arena = r.weightArena();
        CpuKernels nk = CpuKernels.get();
        MemorySegment packed = arena.allocate(nk.packedSize(k, n), 64);
        MemorySegment sums = arena.allocate(4L * n, 64);
        nk.packB(b, k, n, ldb, packed, sums);
        // the GEMM then runs with zero point 0: the correction is in the bias
        return new Prepared(q.aZero(), packed, sums, q.multiplierSegment(arena), q.foldedBias(arena, sums), q.yZero(),
            q.yType(), q.yMin(), q.yMax(), aType);
    }

}
