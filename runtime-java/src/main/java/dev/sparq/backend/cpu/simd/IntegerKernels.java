package dev.sparq.backend.cpu.simd;

import dev.sparq.backend.ExecutionContext;
import dev.sparq.backend.Kernel;
import dev.sparq.backend.KernelRequest;
import dev.sparq.backend.UnsupportedKernelException;
import dev.sparq.graph.Node;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * MatMulInteger and QLinearMatMul in pure Java: uint8 or int8 A, constant int8 B widened to int32 panels at load, exact int32
 * accumulation (wrapping like the reference). The honest Java int8 path: the Vector API has no 8-bit dot product,
 * so this runs 32-bit multiply-adds and is several times slower than cpu-native's VNNI (figures in RESULTS.md).
 */
final class IntegerKernels {
    private IntegerKernels() {
    }

    static Kernel matMulInteger(KernelRequest r) {
        Node n = r.node();
        DType aType = r.inputType(0).dtype();
        Tensor b = r.constantInput(1);
        if ((aType != DType.U8 && aType != DType.I8) || b == null || (b.dtype() != DType.I8 && b.dtype() != DType.U8)
            || b.rank() != 2) {
            throw new UnsupportedKernelException("cpu-simd MatMulInteger needs 8-bit A and a constant 8-bit 2-D B");
        }
        int aZero = 0;
        if (n.hasInput(2)) {
            Tensor z = r.constantInput(2);
            if (z == null || z.size() != 1) {
                throw new UnsupportedKernelException("cpu-simd MatMulInteger needs a constant scalar A zero point");
            }
            aZero = (int) z.getLong(0);
        }
        int k = (int) b.dim(0);
        int cols = (int) b.dim(1);
        int[] bZero = new int[cols];
        if (n.hasInput(3)) {
            Tensor z = r.constantInput(3);
            if (z == null || (z.size() != 1 && z.size() != cols)) {
                throw new UnsupportedKernelException("cpu-simd MatMulInteger needs a constant B zero point");
            }
            for (int j = 0; j < cols; j++) {
                bZero[j] = (int) z.getLong(z.size() == 1 ? 0 : j);
            }
        }
        IntGemm.Packed packed = IntGemm.pack(k, cols, (kk, j) -> (int) b.getLong((long) kk * cols + j) - bZero[j]);
        int zero = aZero;
        return (inputs, ctx) -> {
            Tensor a = inputs[0];
            if (a.dtype() != aType || a.rank() < 2 || a.dim(a.rank() - 1) != k) {
                throw new IllegalArgumentException("A " + a.dtype() + Arrays.toString(a.shape()) + " does not fit B");
            }
            long[] shape = a.shape();
            shape[shape.length - 1] = cols;
            Tensor y = ctx.allocateUninitialized(DType.I32, shape);
            int m = Math.toIntExact(a.size() / k);
            int threads = ctx.threadsFor(m);
            ctx.parallelFor(threads, t -> {
                int[] row = new int[k];
                for (int i = m * t / threads; i < m * (t + 1) / threads; i++) {
                    for (int kk = 0; kk < k; kk++) {
                        row[kk] = (int) a.getLong((long) i * k + kk) - zero;
                    }
                    IntGemm.row(row, packed, y.segment(), (long) i * cols);
                }
            });
            return new Tensor[] {y};
        };
    }

    /**
     * QLinearMatMul (a, a_scale, a_zero_point, b, b_scale, b_zero_point, y_scale, y_zero_point): 8-bit A with
     * scalar parameters, constant 8-bit 2-D B with per-tensor or per-column scale and zero point; int32 rows from
     * {@link IntGemm}, requantized like QLinearConv ({@link Requantizer}).
     */
    static Kernel qlinearMatMul(KernelRequest r) {
        Tensor b = r.constantInput(3);
        if (b == null || !QuantParams.isEightBit(b.dtype()) || b.rank() != 2) {
            throw new UnsupportedKernelException("cpu-simd QLinearMatMul needs a constant 8-bit 2-D B");
        }
        int k = (int) b.dim(0);
        int cols = (int) b.dim(1);
        Tensor aZeroT = QuantParams.zeroPoint(r, 2, "a_zero_point");
        DType aType = QuantParams.inputType(r, 0, aZeroT, "a");
        int aZero = aZeroT == null ? 0 : (int) aZeroT.getLong(0);
        int[] bZero = QuantParams.weightZeros(r, 5, b, cols, "b");
        Tensor yZero = QuantParams.zeroPoint(r, 7, "y_zero_point");
        DType yType = QuantParams.outputType(yZero, aType);
        Requantizer rq = Requantizer.of(QuantParams.scale(r, 1, "a_scale"), QuantParams.scales(r, 4, cols, "b_scale"),
            QuantParams.scale(r, 6, "y_scale"), cols, null, yZero == null ? 0 : (int) yZero.getLong(0), yType,
            r.outputBounds(yType));
        int[] columns = new int[Math.multiplyExact(k, cols)]; // centered B transposed: one row per output column
        for (int kk = 0; kk < k; kk++) {
            for (int j = 0; j < cols; j++) {
                columns[j * k + kk] = (int) b.getLong((long) kk * cols + j) - bZero[j];
            }
        }
        return SparseIntChoice.choose(r, "QLinearMatMul", columns, cols, k, () -> denseMatMul(b, k, cols, bZero, aType,
                aZero, rq), 4L * columns.length + 4L * cols,
            () -> new SparseIntMatMul(dev.sparq.sparse.SparseInt8Rows.of(columns, cols, k), aType, aZero, rq));
    }

    private static Kernel denseMatMul(Tensor b, int k, int cols, int[] bZero, DType aType, int aZero, Requantizer rq) {
        IntGemm.Packed packed = IntGemm.pack(k, cols, (kk, j) -> (int) b.getLong((long) kk * cols + j) - bZero[j]);
        return (inputs, ctx) -> {
            Tensor a = inputs[0];
            if (!QuantParams.isEightBit(a.dtype()) || (aType != null && a.dtype() != aType) || a.rank() < 1
                || a.dim(a.rank() - 1) != k) {
                throw new IllegalArgumentException("A " + a.dtype() + Arrays.toString(a.shape()) + " does not fit B");
            }
            long[] shape = a.shape();
            shape[shape.length - 1] = cols; // a 1-D A gives a 1-D result, as numpy's matmul
            Tensor y = ctx.allocateUninitialized(rq.dtype(), shape);
            eachRow(a, k, cols, aZero, packed, ctx, (acc, i) -> rq.row(acc, 0, cols, y.segment(), (long) i * cols));
            return new Tensor[] {y};
        };
    }

    /** What is done with each row's int32 sums: {@code acc} (reused between rows) holds row {@code i}'s. */
    @FunctionalInterface
    interface RowSums {
        void accept(int[] acc, int i);
    }

    /**
     * Σ_k (A[i, k] − aZero) · B[k, ·] for every row i of the 8-bit A (rows of k), rows split across the threads; each
     * row's sums go to {@code sink} on the thread that computed them.
     */
    static void eachRow(Tensor a, int k, int cols, int aZero, IntGemm.Packed packed, ExecutionContext ctx,
                        RowSums sink) {
        int m = Math.toIntExact(a.size() / k);
        boolean unsigned = a.dtype() == DType.U8;
        MemorySegment as = a.segment();
        int threads = ctx.threadsFor(m);
        ctx.parallelFor(threads, t -> {
            byte[] bytes = new byte[k];
            int[] row = new int[k];
            int[] acc = new int[cols];
            // a native row for the vector stores, copied to the heap for the sink (see WinogradConv: no heap
            // segment through the Vector API)
            MemorySegment accs = NativeScratch.floats(2, cols);
            for (int i = m * t / threads; i < m * (t + 1) / threads; i++) {
                MemorySegment.copy(as, ValueLayout.JAVA_BYTE, (long) i * k, bytes, 0, k);
                for (int kk = 0; kk < k; kk++) {
                    row[kk] = (unsigned ? bytes[kk] & 0xFF : bytes[kk]) - aZero;
                }
                IntGemm.row(row, packed, accs, 0);
                MemorySegment.copy(accs, ValueLayout.JAVA_INT, 0, acc, 0, cols);
                sink.accept(acc, i);
            }
        });
    }
}
