package dev.sparq.backend.cpu.ref;

import dev.sparq.backend.ExecutionContext;
import dev.sparq.backend.Kernel;
import dev.sparq.backend.KernelRegistry;
import dev.sparq.backend.KernelRequest;
import dev.sparq.backend.UnsupportedKernelException;
import dev.sparq.tensor.Shapes;
import dev.sparq.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * Ops that move elements of any dtype without arithmetic: Transpose, Concat, Split, Slice, Gather,
 * GatherElements, Tile, DepthToSpace, SpaceToDepth. Strided views go through {@link Elements#copyStrided}.
 */
public final class MovementOps {
    private MovementOps() {
    }

    public static void register(KernelRegistry r) {
        r.register("Transpose", req -> {
            long[] perm = req.node().intsAttr("perm", null);
            return (in, ctx) -> new Tensor[] {transpose(in[0], in[0].shape(), perm, null, ctx)};
        });
        r.register("Concat", MovementOps::concat);
        r.register("Split", MovementOps::split);
        r.register("Slice", MovementOps::slice);
        r.register("Gather", MovementOps::gather);
        r.register("GatherElements", MovementOps::gatherElements);
        r.register("Tile", req -> req.opset() < 6 ? MovementOps::tileOneAxis : MovementOps::tile);
        r.register("DepthToSpace", MovementOps::depthToSpace);
        r.register("SpaceToDepth", MovementOps::spaceToDepth);
    }

    /**
     * {@code x} viewed with {@code viewShape} (same element count), transposed by {@code perm} (null: reversed):
     * output dim k is view dim perm[k]. The result gets {@code finalShape} if not null (same element count).
     * Also the core of DepthToSpace and SpaceToDepth.
     */
    static Tensor transpose(Tensor x, long[] viewShape, long[] perm, long[] finalShape, ExecutionContext ctx) {
        int rank = viewShape.length;
        long[] p = perm != null ? perm : reversed(rank);
        if (p.length != rank) {
            throw new IllegalArgumentException("perm " + Arrays.toString(p) + " does not match rank " + rank);
        }
        long[] viewStrides = Shapes.strides(viewShape);
        long[] outShape = new long[rank];
        long[] srcStrides = new long[rank];
        boolean[] used = new boolean[rank];
        for (int k = 0; k < rank; k++) {
            int a = Shapes.axis(p[k], rank, "perm entry");
            if (used[a]) {
                throw new IllegalArgumentException("perm " + Arrays.toString(p) + " repeats axis " + a);
            }
            used[a] = true;
            outShape[k] = viewShape[a];
            srcStrides[k] = viewStrides[a];
        }
        Tensor y = ctx.allocate(x.dtype(), finalShape != null ? finalShape : outShape);
        // Writes through a view of y with the transposed shape; y's own shape is only a relabeling of it.
        Elements.copyStrided(x, 0, srcStrides, finalShape != null ? y.reshape(outShape) : y);
        return y;
    }

    private static long[] reversed(int rank) {
        long[] p = new long[rank];
        for (int i = 0; i < rank; i++) {
            p[i] = rank - 1 - i;
        }
        return p;
    }

    /** Concat along axis (required from opset 4, default 1 before); inputs match on every other dim. */
    private static Kernel concat(KernelRequest req) {
        long axisAttr = req.opset() < 4 ? req.node().intAttr("axis", 1) : req.node().intAttr("axis", Long.MIN_VALUE);
        if (axisAttr == Long.MIN_VALUE) {
            throw new IllegalArgumentException("Concat needs the axis attribute");
        }
        return (in, ctx) -> {
            long[] first = in[0].shape();
            int axis = Shapes.axis(axisAttr, first.length, "axis");
            long[] outShape = first.clone();
            outShape[axis] = 0;
            for (Tensor t : in) {
                long[] s = t.shape();
                ElementwiseOps.requireSameType("Concat", in[0], t);
                if (s.length != first.length) {
                    throw new IllegalArgumentException("Concat inputs have ranks " + first.length + " and " + s.length);
                }
                for (int i = 0; i < s.length; i++) {
                    if (i != axis && s[i] != first[i]) {
                        throw new IllegalArgumentException("Concat inputs " + Arrays.toString(first) + " and "
                            + Arrays.toString(s) + " differ outside axis " + axis);
                    }
                }
                outShape[axis] += s[axis];
            }
            Tensor y = ctx.allocate(in[0].dtype(), outShape);
            long outer = Axes.product(first, 0, axis);
            long inner = Axes.product(first, axis + 1, first.length);
            long outRow = outShape[axis] * inner;
            int bytes = y.dtype().byteSize();
            MemorySegment dst = y.segment();
            long column = 0;
            for (Tensor t : in) {
                long row = t.dim(axis) * inner;
                MemorySegment src = t.segment();
                for (long o = 0; o < outer; o++) {
                    Elements.copy(src, o * row, dst, o * outRow + column, row, bytes);
                }
                column += row;
            }
            return new Tensor[] {y};
        };
    }

    /**
     * Split along axis: sizes from the split attribute (before opset 13) or input 1 (from 13); without them, equal
     * parts, one per output — from opset 18 num_outputs parts of ceil(dim / n), the last one smaller.
     */
    private static Kernel split(KernelRequest req) {
        long axisAttr = req.node().intAttr("axis", 0);
        int outputs = req.node().outputs().size();
        long numOutputs = req.node().intAttr("num_outputs", 0);
        return (in, ctx) -> {
            Tensor x = in[0];
            long[] shape = x.shape();
            int axis = Shapes.axis(axisAttr, shape.length, "axis");
            long dim = shape[axis];
            // Split-1 could also take the sizes as input 1; opsets 2 to 12 only as the attribute.
            long[] sizes = req.opset() < 2 && Args.optional(in, 1) != null ? Elements.longs(in[1])
                : Args.intsFromAttrOrInput(req, in, "split", 1, 13);
            if (sizes == null) {
                sizes = equalParts(dim, numOutputs > 0 ? (int) numOutputs : outputs, req.opset() >= 18);
            }
            if (Arrays.stream(sizes).sum() != dim || Arrays.stream(sizes).anyMatch(v -> v < 0)) {
                throw new IllegalArgumentException("split sizes " + Arrays.toString(sizes) + " do not add up to "
                    + dim);
            }
            long outer = Axes.product(shape, 0, axis);
            long inner = Axes.product(shape, axis + 1, shape.length);
            Tensor[] out = new Tensor[sizes.length];
            long column = 0;
            int bytes = x.dtype().byteSize();
            MemorySegment src = x.segment();
            for (int k = 0; k < sizes.length; k++) {
                long[] s = shape.clone();
                s[axis] = sizes[k];
                out[k] = ctx.allocate(x.dtype(), s);
                long row = sizes[k] * inner;
                for (long o = 0; o < outer; o++) {
                    Elements.copy(src, o * dim * inner + column, out[k].segment(), o * row, row, bytes);
                }
                column += row;
            }
            return out;
        };
    }

    private static long[] equalParts(long dim, int parts, boolean lastMayBeSmaller) {
        if (parts <= 0) {
            throw new IllegalArgumentException("Split has no outputs");
        }
        long[] sizes = new long[parts];
        if (!lastMayBeSmaller || dim % parts == 0) {
            if (dim % parts != 0) {
                throw new IllegalArgumentException("dim " + dim + " does not split into " + parts + " equal parts");
            }
            Arrays.fill(sizes, dim / parts);
            return sizes;
        }
        long chunk = Math.ceilDiv(dim, parts);
        for (int k = 0; k < parts; k++) {
            sizes[k] = Math.max(0, Math.min(chunk, dim - k * chunk));
        }
        return sizes;
    }

    /** Slice: starts/ends/axes attributes before opset 10; from 10 inputs starts, ends, axes, steps. */
    private static Kernel slice(KernelRequest req) {
        return (in, ctx) -> {
            Tensor x = in[0];
            long[] starts;
            long[] ends;
            long[] axes;
            long[] steps = null;
            if (req.opset() < 10) {
                starts = req.node().intsAttr("starts", null);
                ends = req.node().intsAttr("ends", null);
                axes = req.node().intsAttr("axes", null);
            } else {
                starts = Elements.longs(in[1]);
                ends = Elements.longs(in[2]);
                axes = Args.optionalLongs(in, 3);
                steps = Args.optionalLongs(in, 4);
            }
            if (starts == null || ends == null || starts.length != ends.length) {
                throw new IllegalArgumentException("Slice needs starts and ends of the same length");
            }
            long[] shape = x.shape();
            long[] strides = Shapes.strides(shape);
            long[] outShape = shape.clone();
            long[] srcStrides = strides.clone();
            long offset = 0;
            boolean[] seen = new boolean[shape.length];
            for (int i = 0; i < starts.length; i++) {
                int axis = Shapes.axis(axes == null ? i : axes[i], shape.length, "axis");
                if (seen[axis]) {
                    throw new IllegalArgumentException("Slice axis " + axis + " is listed twice");
                }
                seen[axis] = true;
                long step = steps == null ? 1 : steps[i];
                if (step == 0) {
                    throw new IllegalArgumentException("Slice step is 0");
                }
                long dim = shape[axis];
                long start = clampSliceBound(starts[i], dim, step, false);
                long end = clampSliceBound(ends[i], dim, step, true);
                long count = dim == 0 ? 0 : step > 0 ? Math.max(0, Math.ceilDiv(end - start, step))
                    : Math.max(0, Math.ceilDiv(start - end, -step));
                outShape[axis] = count;
                offset += count > 0 ? start * strides[axis] : 0;
                srcStrides[axis] = step * strides[axis];
            }
            Tensor y = ctx.allocate(x.dtype(), outShape);
            Elements.copyStrided(x, offset, srcStrides, y);
            return new Tensor[] {y};
        };
    }

    /**
     * ONNX's bound rules: negative values count from the end; then starts clamp to [0, dim] for positive steps and
     * [0, dim − 1] for negative ones; ends to [0, dim] and [−1, dim − 1].
     */
    static long clampSliceBound(long v, long dim, long step, boolean isEnd) {
        long b = v < 0 ? v + dim : v;
        if (step > 0) {
            return Axes.clamp(b, 0, dim);
        }
        return Axes.clamp(b, isEnd ? -1 : 0, dim - 1);
    }

    /** Gather: output = data[:axis] + indices.shape + data[axis+1:]; negative indices count from the end. */
    private static Kernel gather(KernelRequest req) {
        long axisAttr = req.node().intAttr("axis", 0);
        return (in, ctx) -> {
            Tensor data = in[0];
            long[] indices = Elements.longs(in[1]);
            long[] shape = data.shape();
            int axis = Shapes.axis(axisAttr, shape.length, "axis");
            long dim = shape[axis];
            long[] idxShape = in[1].shape();
            long[] outShape = new long[shape.length - 1 + idxShape.length];
            System.arraycopy(shape, 0, outShape, 0, axis);
            System.arraycopy(idxShape, 0, outShape, axis, idxShape.length);
            System.arraycopy(shape, axis + 1, outShape, axis + idxShape.length, shape.length - axis - 1);
            Tensor y = ctx.allocate(data.dtype(), outShape);
            long outer = Axes.product(shape, 0, axis);
            long inner = Axes.product(shape, axis + 1, shape.length);
            int bytes = data.dtype().byteSize();
            MemorySegment src = data.segment();
            MemorySegment dst = y.segment();
            long di = 0;
            for (long o = 0; o < outer; o++) {
                for (long index : indices) {
                    long k = Axes.index(index, dim);
                    Elements.copy(src, (o * dim + k) * inner, dst, di, inner, bytes);
                    di += inner;
                }
            }
            return new Tensor[] {y};
        };
    }

    /** GatherElements: out[i] = data[i with its axis coordinate replaced by indices[i]]. */
    private static Kernel gatherElements(KernelRequest req) {
        long axisAttr = req.node().intAttr("axis", 0);
        return (in, ctx) -> {
            Tensor data = in[0];
            Tensor indices = in[1];
            long[] shape = data.shape();
            long[] idxShape = indices.shape();
            if (idxShape.length != shape.length) {
                throw new IllegalArgumentException("GatherElements indices rank " + idxShape.length
                    + " differs from data rank " + shape.length);
            }
            int axis = Shapes.axis(axisAttr, shape.length, "axis");
            long[] strides = Shapes.strides(shape);
            long[] baseStrides = strides.clone();
            baseStrides[axis] = 0; // the axis coordinate comes from the index instead
            Tensor y = ctx.allocate(data.dtype(), idxShape);
            int bytes = data.dtype().byteSize();
            MemorySegment src = data.segment();
            MemorySegment dst = y.segment();
            StridedCursor c = new StridedCursor(idxShape, baseStrides);
            for (long i = 0; i < y.size(); i++, c.advance()) {
                long k = Axes.index(indices.getLong(i), shape[axis]);
                Elements.copy(src, c.offset(0) + k * strides[axis], dst, i, 1, bytes);
            }
            return new Tensor[] {y};
        };
    }

    /**
     * Tile: output coordinate t·d + i along each axis reads input coordinate i. Walks the shape [r0, d0, r1, d1, …]
     * with input strides [0, s0, 0, s1, …] and output strides [d0·S0, S0, d1·S1, S1, …].
     */
    /** Tile-1: inputs (input, tiles, axis) repeat along one axis only. */
    private static Tensor[] tileOneAxis(Tensor[] in, ExecutionContext ctx) {
        long[] repeats = new long[in[0].rank()];
        Arrays.fill(repeats, 1);
        repeats[Shapes.axis(Args.scalarLong(in[2], "axis"), repeats.length, "axis")] = Args.scalarLong(in[1], "tiles");
        return new Tensor[] {tile(in[0], repeats, ctx)};
    }

    private static Tensor[] tile(Tensor[] in, ExecutionContext ctx) {
        return new Tensor[] {tile(in[0], Elements.longs(in[1]), ctx)};
    }

    private static Tensor tile(Tensor x, long[] repeats, ExecutionContext ctx) {
        long[] shape = x.shape();
        if (repeats.length != shape.length) {
            throw new IllegalArgumentException("Tile repeats has " + repeats.length + " entries for rank "
                + shape.length);
        }
        int rank = shape.length;
        long[] outShape = new long[rank];
        for (int k = 0; k < rank; k++) {
            if (repeats[k] < 0) {
                throw new IllegalArgumentException("negative repeat " + repeats[k]);
            }
            outShape[k] = shape[k] * repeats[k];
        }
        Tensor y = ctx.allocate(x.dtype(), outShape);
        long[] inStrides = Shapes.strides(shape);
        long[] outStrides = Shapes.strides(outShape);
        long[] walk = new long[2 * rank];
        long[] walkIn = new long[2 * rank];
        long[] walkOut = new long[2 * rank];
        for (int k = 0; k < rank; k++) {
            walk[2 * k] = repeats[k];
            walk[2 * k + 1] = shape[k];
            walkIn[2 * k + 1] = inStrides[k];
            walkOut[2 * k] = shape[k] * outStrides[k];
            walkOut[2 * k + 1] = outStrides[k];
        }
        int bytes = x.dtype().byteSize();
        MemorySegment src = x.segment();
        MemorySegment dst = y.segment();
        StridedCursor c = new StridedCursor(walk, walkIn, walkOut);
        for (long i = 0; i < y.size(); i++, c.advance()) {
            Elements.copy(src, c.offset(0), dst, c.offset(1), 1, bytes);
        }
        return y;
    }

    /** DepthToSpace: DCR views [N, b, b, C/b², H, W]; CRD views [N, C/b², b, b, H, W]. */
    private static Kernel depthToSpace(KernelRequest req) {
        long b = req.node().intAttr("blocksize", 0);
        String mode = req.node().stringAttr("mode", "DCR");
        if (!mode.equals("DCR") && !mode.equals("CRD")) {
            throw new UnsupportedKernelException("DepthToSpace mode '" + mode + "'");
        }
        return (in, ctx) -> {
            long[] s = blockShape(in[0], b);
            long n = s[0];
            long c = s[1];
            long h = s[2];
            long w = s[3];
            if (c % (b * b) != 0) {
                throw new IllegalArgumentException("channels " + c + " are not a multiple of blocksize² " + b * b);
            }
            long oc = c / (b * b);
            long[] outShape = {n, oc, h * b, w * b};
            return new Tensor[] {mode.equals("DCR")
                ? transpose(in[0], new long[] {n, b, b, oc, h, w}, new long[] {0, 3, 4, 1, 5, 2}, outShape, ctx)
                : transpose(in[0], new long[] {n, oc, b, b, h, w}, new long[] {0, 1, 4, 2, 5, 3}, outShape, ctx)};
        };
    }

    /** SpaceToDepth: views [N, C, H/b, b, W/b, b] and moves both block dims in front of C. */
    private static Kernel spaceToDepth(KernelRequest req) {
        long b = req.node().intAttr("blocksize", 0);
        return (in, ctx) -> {
            long[] s = blockShape(in[0], b);
            long n = s[0];
            long c = s[1];
            long h = s[2];
            long w = s[3];
            if (h % b != 0 || w % b != 0) {
                throw new IllegalArgumentException("spatial dims " + h + "x" + w + " are not multiples of " + b);
            }
            return new Tensor[] {transpose(in[0], new long[] {n, c, h / b, b, w / b, b},
                new long[] {0, 3, 5, 1, 2, 4}, new long[] {n, c * b * b, h / b, w / b}, ctx)};
        };
    }

    private static long[] blockShape(Tensor x, long blocksize) {
        if (x.rank() != 4) {
            throw new IllegalArgumentException("expected a 4-D input, got rank " + x.rank());
        }
        if (blocksize <= 0) {
            throw new IllegalArgumentException("blocksize must be positive");
        }
        return x.shape();
    }
}
