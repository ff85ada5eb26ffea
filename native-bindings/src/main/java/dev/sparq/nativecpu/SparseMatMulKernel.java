package dev.sparq.nativecpu;

import dev.sparq.backend.ExecutionContext;
import dev.sparq.backend.Kernel;
import dev.sparq.backend.KernelRequest;
import dev.sparq.backend.UnsupportedKernelException;
import dev.sparq.backend.geometry.ConvGeometry2d;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * QLinearMatMul / com.microsoft QGemm with pruned constant int8 B on the native sparse kernel, as a 1×1 convolution:
 * the k columns of A are the input channels and its m rows the pixels (A transposed to [k][m] per call; a single row,
 * the fully connected layer at batch 1, is already in that layout), the output columns the output channels (written
 * [cols][m], transposed back unless m is 1). Exact: the same integers as cpu-ref.
 */
final class SparseMatMulKernel implements Kernel {
    private final DType aType;
    private final int k;
    private final int cols;
    private final boolean requireMatrix;
    private final QuantParams quant;
    private final ConvDesc packedFor;
    private final MemorySegment packed;
    private final long packedBytes;
    private final MemorySegment bias;
    private final MemorySegment multipliers;

    private SparseMatMulKernel(DType aType, int k, int cols, boolean requireMatrix, QuantParams quant, ConvDesc packedFor,
                               MemorySegment packed, long packedBytes, MemorySegment bias, MemorySegment multipliers) {
        this.aType = aType;
        this.k = k;
        this.cols = cols;
        this.requireMatrix = requireMatrix;
        this.quant = quant;
        this.packedFor = packedFor;
        this.packed = packed;
        this.packedBytes = packedBytes;
        this.bias = bias;
        this.multipliers = multipliers;
    }

    /** QLinearMatMul: a, a_scale, a_zero, b, b_scale, b_zero, y_scale, y_zero. */
    static SparseMatMulKernel qlinearMatMul(KernelRequest r) {
        return create(r, "QLinearMatMul", false, false, 7, 6, -1);
    }

    /** QGemm: a, a_scale, a_zero, b, b_scale, b_zero, C, y_scale, y_zero (alpha 1, transA 0, requantized output). */
    static SparseMatMulKernel qgemm(KernelRequest r) {
        var n = r.node();
        if (n.intAttr("transA", 0) != 0 || n.floatAttr("alpha", 1f) != 1f || !n.hasInput(7)) {
            throw new UnsupportedKernelException("cpu-native sparse QGemm needs alpha 1, transA 0 and y_scale");
        }
        return create(r, "QGemm", n.intAttr("transB", 0) != 0, true, 8, 7, 6);
    }

    private static SparseMatMulKernel create(KernelRequest r, String op, boolean transB, boolean requireMatrix,
                                             int yZeroAt, int yScaleAt, int biasAt) {
        QSparseBindings qs = QSparseBindings.get();
        if (qs.failure() != null) {
            throw new UnsupportedKernelException(qs.failure());
        }
        Tensor b = r.constantInput(3);
        DType aType = QLinearKernels.activationType(r, op);
        if (b == null || b.dtype() != DType.I8 || b.rank() != 2) {
            throw new UnsupportedKernelException("cpu-native sparse " + op + " needs a constant int8 2-D B");
        }
        int k = (int) b.dim(transB ? 1 : 0);
        int cols = (int) b.dim(transB ? 0 : 1);
        QuantParams q = QuantParams.read(r, aType, cols, 1, 2, 4, 5, yScaleAt, yZeroAt, biasAt);
        Arena arena = r.weightArena();
        ConvDesc wd = ConvDesc.forWeights(k, cols, 1, 1, false, arena.allocate(ConvDesc.BYTES, 8));
        MemorySegment packed;
        long size;
        MemorySegment bias;
        try (Arena scratch = Arena.ofConfined()) {
            // the convolution's weights [cols][k]: B's columns
            MemorySegment w = scratch.allocate(Math.max(1, (long) k * cols));
            for (int j = 0; j < cols; j++) {
                for (int kk = 0; kk < k; kk++) {
                    long at = transB ? (long) j * k + kk : (long) kk * cols + j;
                    w.set(ValueLayout.JAVA_BYTE, (long) j * k + kk, b.segment().get(ValueLayout.JAVA_BYTE, at));
                }
            }
            size = qs.weightsSize(wd, w);
            packed = arena.allocate(size, 64);
            MemorySegment sums = scratch.allocate(4L * cols, 8);
            qs.packWeights(wd, w, packed, sums);
            bias = q.foldedBias(arena, sums);
        }
        return new SparseMatMulKernel(aType, k, cols, requireMatrix, q, wd, packed, size, bias,
            q.multiplierSegment(arena));
    }

    @Override
    public long packedWeightBytes() {
        return packedBytes + 8L * cols;
    }

    @Override
    public Tensor[] run(Tensor[] inputs, ExecutionContext ctx) {
        Tensor a = inputs[0];
        if (a.dtype() != aType || a.rank() < 2 || (requireMatrix && a.rank() != 2) || a.dim(a.rank() - 1) != k) {
            throw new IllegalArgumentException("A " + a.dtype() + Arrays.toString(a.shape()) + " does not fit B");
        }
        long[] shape = a.shape();
        shape[shape.length - 1] = cols;
        Tensor y = ctx.allocateUninitialized(quant.yType(), shape);
        int m = Math.toIntExact(a.size() / k);
        if (m == 0) {
            return new Tensor[] {y};
        }
        ConvDesc d = ConvDesc.of(new ConvGeometry2d(k, 1, m, 1, 1, 1, 1, 1, 1, 0, 0, 1, m), cols, false,
            quant.aZero(), aType == DType.I8, quant.yZero(), quant.signedOutput(), quant.yMin(), quant.yMax(),
            Arena.ofAuto().allocate(ConvDesc.BYTES, 8));
        Tensor image = m == 1 ? null : ctx.allocateUninitialized(DType.U8, k, m);
        Tensor out = m == 1 ? null : ctx.allocateUninitialized(DType.U8, cols, m);
        MemorySegment x = m == 1 ? a.segment() : image.segment();
        if (m > 1) {
            transpose(a.segment(), m, k, x);
        }
        QSparseBindings qs = QSparseBindings.get();
        Tensor scratch = ctx.allocateUninitialized(DType.U8, qs.scratchSize(d));
        qs.packInput(d, x, scratch.segment(), 0, 0, 1);
        qs.packInput(d, x, scratch.segment(), 1, 0, 1);
        MemorySegment yi = m == 1 ? y.segment() : out.segment();
        int threads = ctx.threadsFor(cols / 64);
        ctx.parallelFor(threads, t -> qs.compute(d, packedFor, scratch.segment(), packed, packedBytes, bias, multipliers,
            yi, t, threads));
        if (m > 1) {
            transpose(out.segment(), cols, m, y.segment());
            out.close();
            image.close();
        }
        scratch.close();
        return new Tensor[] {y};
    }

    /** dst [cols][rows] = src [rows][cols], bytes. */
    private static void transpose(MemorySegment src, int rows, int cols, MemorySegment dst) {
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                dst.set(ValueLayout.JAVA_BYTE, (long) j * rows + i, src.get(ValueLayout.JAVA_BYTE, (long) i * cols + j));
            }
        }
    }
}
