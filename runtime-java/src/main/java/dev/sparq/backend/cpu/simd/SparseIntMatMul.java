package dev.sparq.backend.cpu.simd;

import dev.sparq.backend.ExecutionContext;
import dev.sparq.backend.Kernel;
import dev.sparq.sparse.SparseInt8Rows;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * QLinearMatMul with a pruned constant 8-bit B [k, cols], held per output column ({@link SparseInt8Rows}: row j =
 * column j of B). The centered A is transposed once per call to [k][m], so each nonzero B[kk, j] is one broadcast
 * multiply-add over the m rows of A ({@link SparseIntLoop}), as a 1×1 convolution over m pixels. Exact.
 */
final class SparseIntMatMul implements Kernel {
    private final SparseInt8Rows b;
    private final DType aType;
    private final int aZero;
    private final Requantizer out;

    SparseIntMatMul(SparseInt8Rows b, DType aType, int aZero, Requantizer out) {
        this.b = b;
        this.aType = aType;
        this.aZero = aZero;
        this.out = out;
    }

    @Override
    public long packedWeightBytes() {
        return b.packedBytes() + 4L * b.rows(); // + the multiplier per column
    }

    @Override
    public Tensor[] run(Tensor[] inputs, ExecutionContext ctx) {
        Tensor a = inputs[0];
        int k = b.cols();
        int cols = b.rows();
        if (!QuantParams.isEightBit(a.dtype()) || (aType != null && a.dtype() != aType) || a.rank() < 1
            || a.dim(a.rank() - 1) != k) {
            throw new IllegalArgumentException("A " + a.dtype() + Arrays.toString(a.shape()) + " does not fit B");
        }
        long[] shape = a.shape();
        shape[shape.length - 1] = cols;
        Tensor y = ctx.allocateUninitialized(out.dtype(), shape);
        int m = Math.toIntExact(a.size() / k);
        boolean unsigned = a.dtype() == DType.U8;
        int[] at = new int[Math.multiplyExact(k, m) + SparseIntLoop.SLACK];
        MemorySegment as = a.segment();
        for (int i = 0; i < m; i++) {
            for (int kk = 0; kk < k; kk++) {
                byte raw = as.get(ValueLayout.JAVA_BYTE, (long) i * k + kk);
                at[kk * m + i] = (unsigned ? raw & 0xFF : raw) - aZero;
            }
        }
        int[] base = new int[b.nonzeros()];
        int[] values = new int[b.nonzeros()];
        for (int e = 0; e < base.length; e++) {
            base[e] = b.index(e) * m;
            values[e] = b.value(e);
        }
        SparseIntLoop loop = SparseIntLoop.get();
        MemorySegment ys = y.segment();
        int threads = ctx.threadsFor(cols / 16);
        ctx.parallelFor(threads, t -> {
            int[] acc = new int[(m + SparseIntLoop.SLACK - 1) / SparseIntLoop.SLACK * SparseIntLoop.SLACK];
            for (int j = cols * t / threads; j < cols * (t + 1) / threads; j++) {
                loop.accumulate(at, base, values, b.rowStart(j), b.rowStart(j + 1), m, acc);
                double mult = out.multipliers()[j];
                for (int i = 0; i < m; i++) {
                    ys.set(ValueLayout.JAVA_BYTE, (long) i * cols + j,
                        (byte) ScalarOps.saturateRound(acc[i] * mult + out.zero(), out.min(), out.max()));
                }
            }
        });
        return new Tensor[] {y};
    }
}
