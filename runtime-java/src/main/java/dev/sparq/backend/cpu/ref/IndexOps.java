package dev.sparq.backend.cpu.ref;

import dev.sparq.backend.ExecutionContext;
import dev.sparq.backend.Kernel;
import dev.sparq.backend.KernelRegistry;
import dev.sparq.backend.KernelRequest;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Shapes;
import dev.sparq.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Comparator;

/** Ops driven by element positions: Trilu, EyeLike, CumSum, OneHot, NonZero, TopK, GatherND, Compress. */
public final class IndexOps {
    private IndexOps() {
    }

    public static void register(KernelRegistry r) {
        r.register("Trilu", IndexOps::trilu);
        r.register("CumSum", IndexOps::cumSum);
        r.register("OneHot", IndexOps::oneHot);
        r.register("NonZero", req -> IndexOps::nonZero);
        r.register("TopK", IndexOps::topK);
        r.register("EyeLike", IndexOps::eyeLike);
        r.register("GatherND", IndexOps::gatherNd);
        r.register("Compress", IndexOps::compress);
    }

    /** EyeLike: ones where column − row = k in a 2-D tensor of the input's shape, in dtype (default: input's). */
    private static Kernel eyeLike(KernelRequest req) {
        long k = req.node().intAttr("k", 0);
        DType dtype = req.node().has("dtype") ? DType.fromOnnx((int) req.node().intAttr("dtype", 0)) : null;
        if (req.node().has("dtype") && dtype == null) {
            throw new dev.sparq.backend.UnsupportedKernelException("EyeLike dtype "
                + DType.onnxName((int) req.node().intAttr("dtype", 0)));
        }
        return (in, ctx) -> {
            Tensor x = in[0];
            if (x.rank() != 2) {
                throw new IllegalArgumentException("EyeLike needs a 2-D input, got rank " + x.rank());
            }
            Tensor y = ctx.allocate(dtype != null ? dtype : x.dtype(), x.shape());
            long cols = x.dim(1);
            for (long row = 0; row < x.dim(0); row++) {
                long col = row + k;
                if (col >= 0 && col < cols) {
                    y.setLong(row * cols + col, 1);
                }
            }
            return new Tensor[] {y};
        };
    }

    /**
     * GatherND: each index tuple (last dim of indices, length k) selects a slice data[b..., i1..ik, :]; the first
     * batch_dims dims (opset 12) of data and indices are matched pairwise.
     */
    private static Kernel gatherNd(KernelRequest req) {
        int batchDims = (int) req.node().intAttr("batch_dims", 0);
        return (in, ctx) -> {
            Tensor data = in[0];
            Tensor indices = in[1];
            long[] shape = data.shape();
            long[] idxShape = indices.shape();
            int k = (int) idxShape[idxShape.length - 1];
            if (batchDims + k > shape.length || batchDims >= idxShape.length) {
                throw new IllegalArgumentException("GatherND index tuples of length " + k + " with batch_dims "
                    + batchDims + " do not fit data of rank " + shape.length);
            }
            long batches = Axes.product(shape, 0, batchDims);
            long tuplesPerBatch = Axes.product(idxShape, batchDims, idxShape.length - 1);
            long slice = Axes.product(shape, batchDims + k, shape.length);
            long batchStride = Axes.product(shape, batchDims, shape.length);
            long[] strides = Shapes.strides(Arrays.copyOfRange(shape, batchDims, shape.length));
            long[] outShape = new long[idxShape.length - 1 + shape.length - batchDims - k];
            System.arraycopy(idxShape, 0, outShape, 0, idxShape.length - 1);
            System.arraycopy(shape, batchDims + k, outShape, idxShape.length - 1, shape.length - batchDims - k);
            Tensor y = ctx.allocate(data.dtype(), outShape);
            int bytes = data.dtype().byteSize();
            MemorySegment src = data.segment();
            MemorySegment dst = y.segment();
            long di = 0;
            for (long b = 0; b < batches; b++) {
                for (long t = 0; t < tuplesPerBatch; t++) {
                    long tuple = (b * tuplesPerBatch + t) * k;
                    long from = b * batchStride;
                    for (int j = 0; j < k; j++) {
                        from += Axes.index(indices.getLong(tuple + j), shape[batchDims + j]) * strides[j];
                    }
                    Elements.copy(src, from, dst, di, slice, bytes);
                    di += slice;
                }
            }
            return new Tensor[] {y};
        };
    }

    /** Compress: the slices along axis (or elements of the flattened input) whose condition entry is true. */
    private static Kernel compress(KernelRequest req) {
        Long axisAttr = req.node().has("axis") ? req.node().intAttr("axis", 0) : null;
        return (in, ctx) -> {
            Tensor x = in[0];
            Tensor condition = in[1];
            long[] shape = axisAttr == null ? new long[] {x.size()} : x.shape();
            int axis = axisAttr == null ? 0 : Shapes.axis(axisAttr, shape.length, "axis");
            long n = Math.min(condition.size(), shape[axis]);
            long kept = 0;
            for (long i = 0; i < n; i++) {
                kept += condition.getLong(i) != 0 ? 1 : 0;
            }
            long[] outShape = shape.clone();
            outShape[axis] = kept;
            Tensor y = ctx.allocate(x.dtype(), outShape);
            long outer = Axes.product(shape, 0, axis);
            long inner = Axes.product(shape, axis + 1, shape.length);
            int bytes = x.dtype().byteSize();
            MemorySegment src = x.segment();
            MemorySegment dst = y.segment();
            long di = 0;
            for (long o = 0; o < outer; o++) {
                for (long i = 0; i < n; i++) {
                    if (condition.getLong(i) != 0) {
                        Elements.copy(src, (o * shape[axis] + i) * inner, dst, di, inner, bytes);
                        di += inner;
                    }
                }
            }
            return new Tensor[] {y};
        };
    }

    /** Trilu: keeps column − row ≥ k (upper) or ≤ k (lower) in the last two dims, zeroes the rest. */
    private static Kernel trilu(KernelRequest req) {
        boolean upper = req.node().intAttr("upper", 1) != 0;
        return (in, ctx) -> {
            Tensor x = in[0];
            if (x.rank() < 2) {
                throw new IllegalArgumentException("Trilu needs rank >= 2, got " + x.rank());
            }
            Tensor kTensor = Args.optional(in, 1);
            long k = kTensor == null ? 0 : Args.scalarLong(kTensor, "k");
            long rows = x.dim(x.rank() - 2);
            long cols = x.dim(x.rank() - 1);
            Tensor y = ctx.allocate(x.dtype(), x.shape());
            for (long i = 0; i < x.size(); i++) {
                long col = i % cols;
                long row = (i / cols) % rows;
                boolean keep = upper ? col - row >= k : col - row <= k;
                if (keep) {
                    Elements.convert(x, i, y, i);
                }
            }
            return new Tensor[] {y};
        };
    }

    /** CumSum along the axis input; exclusive leaves out the element itself, reverse sums from the end. */
    private static Kernel cumSum(KernelRequest req) {
        boolean exclusive = req.node().intAttr("exclusive", 0) != 0;
        boolean reverse = req.node().intAttr("reverse", 0) != 0;
        return (in, ctx) -> {
            Tensor x = in[0];
            long[] shape = x.shape();
            int axis = Shapes.axis(Args.scalarLong(in[1], "axis"), shape.length, "axis");
            long outer = Axes.product(shape, 0, axis);
            long length = shape[axis];
            long inner = Axes.product(shape, axis + 1, shape.length);
            Tensor y = ctx.allocate(x.dtype(), shape);
            boolean floating = x.dtype().isFloating();
            for (long o = 0; o < outer; o++) {
                for (long j = 0; j < inner; j++) {
                    double sum = 0;
                    long isum = 0;
                    for (long step = 0; step < length; step++) {
                        long k = reverse ? length - 1 - step : step;
                        long idx = (o * length + k) * inner + j;
                        if (floating) {
                            double v = x.getDouble(idx);
                            y.setDouble(idx, exclusive ? sum : sum + v);
                            sum += v;
                        } else {
                            long v = x.getLong(idx);
                            y.setLong(idx, exclusive ? isum : isum + v);
                            isum += v;
                        }
                    }
                }
            }
            return new Tensor[] {y};
        };
    }

    /**
     * OneHot: a new axis of size depth; on-value where the coordinate equals the index (negative indices count
     * from depth), off-value elsewhere, including for out-of-range indices.
     */
    private static Kernel oneHot(KernelRequest req) {
        long axisAttr = req.node().intAttr("axis", -1);
        return (in, ctx) -> {
            Tensor indices = in[0];
            long depth = (long) in[1].getDouble(0);
            Tensor values = in[2];
            if (values.size() != 2) {
                throw new IllegalArgumentException("OneHot values must hold [off, on]");
            }
            if (depth < 1) {
                throw new IllegalArgumentException("OneHot depth must be positive, is " + depth);
            }
            long[] idxShape = indices.shape();
            int axis = Shapes.axis(axisAttr, idxShape.length + 1, "axis");
            long[] outShape = new long[idxShape.length + 1];
            System.arraycopy(idxShape, 0, outShape, 0, axis);
            outShape[axis] = depth;
            System.arraycopy(idxShape, axis, outShape, axis + 1, idxShape.length - axis);
            Tensor y = ctx.allocate(values.dtype(), outShape);
            long outer = Axes.product(idxShape, 0, axis);
            long inner = Axes.product(idxShape, axis, idxShape.length);
            for (long o = 0; o < outer; o++) {
                for (long j = 0; j < inner; j++) {
                    long index = (long) indices.getDouble(o * inner + j);
                    long hot = index < 0 ? index + depth : index;
                    for (long d = 0; d < depth; d++) {
                        Elements.convert(values, d == hot ? 1 : 0, y, (o * depth + d) * inner + j);
                    }
                }
            }
            return new Tensor[] {y};
        };
    }

    /** NonZero: a [rank, count] int64 tensor of the coordinates of non-zero elements, in C order. */
    private static Tensor[] nonZero(Tensor[] in, ExecutionContext ctx) {
        Tensor x = in[0];
        long[] shape = x.rank() == 0 ? new long[] {1} : x.shape();
        long count = 0;
        for (long i = 0; i < x.size(); i++) {
            count += isNonZero(x, i) ? 1 : 0;
        }
        Tensor y = ctx.allocate(DType.I64, shape.length, count);
        StridedCursor c = new StridedCursor(shape);
        long column = 0;
        for (long i = 0; i < x.size(); i++, c.advance()) {
            if (isNonZero(x, i)) {
                for (int k = 0; k < shape.length; k++) {
                    y.setLong(k * count + column, c.coord(k));
                }
                column++;
            }
        }
        return new Tensor[] {y};
    }

    private static boolean isNonZero(Tensor x, long i) {
        return x.dtype().isFloating() ? x.getDouble(i) != 0 : x.getLong(i) != 0;
    }

    /**
     * TopK along axis: k is an attribute in opset 1 and input 1 from 10; largest and sorted arrive in 11. Equal
     * values keep the lower index first. Results are always sorted (allowed when sorted=0).
     */
    private static Kernel topK(KernelRequest req) {
        long axisAttr = req.node().intAttr("axis", -1);
        boolean largest = req.node().intAttr("largest", 1) != 0;
        long attrK = req.node().intAttr("k", -1);
        boolean kFromInput = req.opset() >= 10;
        return (in, ctx) -> {
            Tensor x = in[0];
            long[] shape = x.shape();
            int axis = Shapes.axis(axisAttr, shape.length, "axis");
            long k = kFromInput ? Args.scalarLong(in[1], "K") : attrK;
            long length = shape[axis];
            if (k < 0 || k > length) {
                throw new IllegalArgumentException("TopK k=" + k + " for an axis of " + length);
            }
            long[] outShape = shape.clone();
            outShape[axis] = k;
            Tensor values = ctx.allocate(x.dtype(), outShape);
            Tensor indices = ctx.allocate(DType.I64, outShape);
            long outer = Axes.product(shape, 0, axis);
            long inner = Axes.product(shape, axis + 1, shape.length);
            boolean floating = x.dtype().isFloating();
            Integer[] order = new Integer[Math.toIntExact(length)];
            for (long o = 0; o < outer; o++) {
                for (long j = 0; j < inner; j++) {
                    long base = o * length * inner + j;
                    Comparator<Integer> ascending = floating
                        ? (a, b) -> Double.compare(x.getDouble(base + a * inner), x.getDouble(base + b * inner))
                        : (a, b) -> Long.compare(x.getLong(base + a * inner), x.getLong(base + b * inner));
                    for (int t = 0; t < order.length; t++) {
                        order[t] = t;
                    }
                    Arrays.sort(order, largest ? ascending.reversed() : ascending); // stable: ties keep index order
                    for (long t = 0; t < k; t++) {
                        long dst = (o * k + t) * inner + j;
                        Elements.convert(x, base + order[(int) t] * inner, values, dst);
                        indices.setLong(dst, order[(int) t]);
                    }
                }
            }
            return new Tensor[] {values, indices};
        };
    }
}
