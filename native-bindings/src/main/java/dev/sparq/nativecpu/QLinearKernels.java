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
 * QLinearMatMul and QLinearConv on the native int8 GEMM: uint8 activations with a scalar zero point, int8 symmetric
 * weights (per tensor or per output channel) packed at load, int32 accumulation, and ONNX's requantization (float32
 * multiplier a_scale·w_scale[c]/y_scale applied in double, zero point added, round half to even, saturate) to
 * uint8 or int8. Exact: the same integers as cpu-ref.
 */
final class QLinearKernels {
    private QLinearKernels() {
    }

    /** Everything but the input tensor: packed weights, multipliers, bias, output type. */
    private record Prepared(int aZero, MemorySegment packed, MemorySegment sums, MemorySegment multipliers,
                            MemorySegment bias, int yZero, DType yType) {
    }

    static Kernel qlinearMatMul(KernelRequest r) {
        Node n = r.node();
        Tensor b = r.constantInput(3);
        if (b == null || b.dtype() != DType.I8 || b.rank() != 2 || r.inputType(0).dtype() != DType.U8) {
            throw new UnsupportedKernelException("cpu-native QLinearMatMul needs uint8 A and constant int8 2-D B");
        }
        int k = (int) b.dim(0);
        int cols = (int) b.dim(1);
        Prepared p = prepare(r, b.segment(), k, cols, cols, 1, 2, 4, 5, 6, 7, -1);
        return (inputs, ctx) -> {
            Tensor a = inputs[0];
            if (a.dtype() != DType.U8 || a.rank() < 2 || a.dim(a.rank() - 1) != k) {
                throw new IllegalArgumentException("A " + a.dtype() + Arrays.toString(a.shape()) + " does not fit B");
            }
            long[] shape = a.shape();
            shape[shape.length - 1] = cols;
            Tensor y = ctx.allocateUninitialized(p.yType(), shape);
            int m = Math.toIntExact(a.size() / k);
            if (m > 0) {
                Tensor acc = ctx.allocateUninitialized(DType.I32, m, cols);
                CpuKernels.get().gemmU8S8S32(m, cols, k, a.segment(), k, 0, p.packed(), p.sums(), acc.segment(), cols);
                CpuKernels.get().requantize(acc.segment(), m, cols, cols, p.bias(), p.multipliers(), p.yZero(),
                    p.yType() == DType.I8, y.segment(), cols, 1);
                acc.close();
            }
            return new Tensor[] {y};
        };
    }

    static Kernel qlinearConv(KernelRequest r) {
        Node n = r.node();
        Tensor w = r.constantInput(3);
        if (w == null || w.dtype() != DType.I8 || w.rank() != 4 || r.inputType(0).dtype() != DType.U8
            || n.intAttr("group", 1) != 1) {
            throw new UnsupportedKernelException("cpu-native QLinearConv needs uint8 x, constant int8 4-D weights, group 1");
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
            p = prepare(r, wt, k, cout, cout, 1, 2, 4, 5, 6, 7, 8);
        }
        return (inputs, ctx) -> {
            Tensor x = inputs[0];
            if (x.dtype() != DType.U8 || x.rank() != 4 || x.dim(1) != cin) {
                throw new IllegalArgumentException("x " + x.dtype() + Arrays.toString(x.shape()) + " must be uint8 [N,"
                    + cin + ",H,W]");
            }
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
                int rowThreads = Math.max(1, Math.min(ctx.threads(), g.oh()));
                ctx.parallelFor(rowThreads, t -> nk.im2colU8(xImage, cin, g.h(), g.w(), g.kh(), g.kw(), g.sh(), g.sw(),
                    g.dh(), g.dw(), g.padTop(), g.padLeft(), g.oh(), g.ow(), p.aZero(), cols.segment(), kp,
                    g.oh() * t / rowThreads, g.oh() * (t + 1) / rowThreads));
                MemorySegment yImage = y.segment().asSlice(img * outImage * elem, outImage * elem);
                // pixel rows split across threads: each runs the whole K for its rows (thread-count independent)
                int threads = Math.max(1, Math.min(ctx.threads(), pixels / 64));
                ctx.parallelFor(threads, t -> {
                    int r0 = pixels * t / threads;
                    int rows = pixels * (t + 1) / threads - r0;
                    if (rows > 0) {
                        nk.gemmU8S8S32(rows, cout, kp, cols.segment().asSlice((long) r0 * kp), kp, 0, p.packed(),
                            p.sums(), acc.segment().asSlice((long) r0 * cout * 4), cout);
                        // accumulators are [pixel][channel]; NCHW output takes channel-major strides
                        nk.requantize(acc.segment().asSlice((long) r0 * cout * 4), rows, cout, cout, p.bias(),
                            p.multipliers(), p.yZero(), p.yType() == DType.I8, yImage.asSlice((long) r0 * elem), 1,
                            pixels);
                    }
                });
            }
            cols.close();
            acc.close();
            return new Tensor[] {y};
        };
    }

    /**
     * Packs B [k, n] (row stride ldb) and reads the quantization inputs at the given positions: a_scale, a_zero,
     * b_scale, b_zero, y_scale, y_zero, bias (-1 = none). Only constant scalars (per-column for b_scale) are taken.
     */
    private static Prepared prepare(KernelRequest r, MemorySegment b, int k, int n, int ldb, int aScaleAt, int aZeroAt,
                                    int bScaleAt, int bZeroAt, int yScaleAt, int yZeroAt, int biasAt) {
        float aScale = scalarF32(r, aScaleAt, "input scale");
        int aZero = r.node().hasInput(aZeroAt) ? (int) constant(r, aZeroAt, "input zero point", DType.U8).getLong(0) : 0;
        Tensor bScale = r.constantInput(bScaleAt);
        if (bScale == null || bScale.dtype() != DType.F32 || (bScale.size() != 1 && bScale.size() != n)) {
            throw new UnsupportedKernelException("weight scale must be a constant f32 scalar or one per output channel");
        }
        Tensor bZero = r.node().hasInput(bZeroAt) ? r.constantInput(bZeroAt) : null;
        if (r.node().hasInput(bZeroAt) && (bZero == null || bZero.dtype() != DType.I8)) {
            throw new UnsupportedKernelException("weight zero point must be a constant int8");
        }
        for (long i = 0; bZero != null && i < bZero.size(); i++) {
            if (bZero.getLong(i) != 0) {
                throw new UnsupportedKernelException("cpu-native takes symmetric int8 weights only");
            }
        }
        float yScale = scalarF32(r, yScaleAt, "output scale");
        DType yType = DType.U8;
        int yZero = 0;
        if (r.node().hasInput(yZeroAt)) {
            Tensor z = r.constantInput(yZeroAt);
            if (z == null || z.size() != 1 || (z.dtype() != DType.U8 && z.dtype() != DType.I8)) {
                throw new UnsupportedKernelException("output zero point must be a constant 8-bit scalar");
            }
            yType = z.dtype();
            yZero = (int) z.getLong(0);
        }
        Arena arena = r.weightArena();
        CpuKernels nk = CpuKernels.get();
        MemorySegment packed = arena.allocate(nk.packedSize(k, n), 64);
        MemorySegment sums = arena.allocate(4L * n, 64);
        nk.packB(b, k, n, ldb, packed, sums);
        MemorySegment multipliers = arena.allocate(4L * n, 64);
        for (int c = 0; c < n; c++) {
            float m = aScale * bScale.getFloat(bScale.size() == 1 ? 0 : c) / yScale; // float32, as the reference
            multipliers.setAtIndex(ValueLayout.JAVA_FLOAT, c, m);
        }
        // The A zero point's correction, −a_zero · column_sum(B), folded into the int32 bias once here: the GEMM then
        // runs with zero point 0 and no extra pass over its output (int32 arithmetic wraps the same either way).
        int[] biasValues = new int[n];
        boolean hasBias = biasAt >= 0 && r.node().hasInput(biasAt);
        if (hasBias) {
            Tensor bt = constant(r, biasAt, "bias", DType.I32);
            if (bt.size() != n) {
                throw new UnsupportedKernelException("bias must have one value per output channel");
            }
            for (int c = 0; c < n; c++) {
                biasValues[c] = (int) bt.getLong(c);
            }
        }
        MemorySegment bias = null;
        if (hasBias || aZero != 0) {
            bias = arena.allocate(4L * n, 64);
            for (int c = 0; c < n; c++) {
                bias.setAtIndex(ValueLayout.JAVA_INT, c, biasValues[c] - aZero * sums.getAtIndex(ValueLayout.JAVA_INT, c));
            }
        }
        return new Prepared(aZero, packed, sums, multipliers, bias, yZero, yType);
    }

    private static float scalarF32(KernelRequest r, int at, String what) {
        return constant(r, at, what, DType.F32).getFloat(0);
    }

    private static Tensor constant(KernelRequest r, int at, String what, DType type) {
        Tensor t = r.constantInput(at);
        if (t == null || t.dtype() != type || (t.size() != 1 && !what.equals("bias"))) {
            throw new UnsupportedKernelException(what + " must be a constant " + type + (what.equals("bias") ? "" : " scalar"));
        }
        return t;
    }
}
