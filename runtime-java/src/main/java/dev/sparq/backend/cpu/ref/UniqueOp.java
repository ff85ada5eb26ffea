package dev.sparq.backend.cpu.ref;

import dev.sparq.backend.Kernel;
import dev.sparq.backend.KernelRegistry;
import dev.sparq.backend.KernelRequest;
import dev.sparq.tensor.Shapes;
import dev.sparq.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Comparator;

/**
 * Unique: the distinct elements (or, with axis, distinct slices along it) of X, sorted ascending or in order of
 * first occurrence, with the first-occurrence indices, the inverse indices and the counts (all int64).
 */
public final class UniqueOp {
    private UniqueOp() {
    }

    public static void register(KernelRegistry r) {
        r.register("Unique", UniqueOp::unique);
    }

    private static Kernel unique(KernelRequest req) {
        boolean sorted = req.node().intAttr("sorted", 1) != 0;
        Long axisAttr = req.node().has("axis") ? req.node().intAttr("axis", 0) : null;
        int outputs = req.node().outputs().size();
        return (in, ctx) -> {
            Tensor x = in[0];
            long[] shape = axisAttr == null ? new long[] {x.size()} : x.shape();
            int axis = axisAttr == null ? 0 : Shapes.axis(axisAttr, shape.length, "axis");
            int n = Math.toIntExact(shape[axis]);
            long outer = Axes.product(shape, 0, axis);
            long inner = Axes.product(shape, axis + 1, shape.length);
            double[][] slices = new double[n][];
            long[][] intSlices = new long[n][];
            boolean floating = x.dtype().isFloating();
            for (int k = 0; k < n; k++) {
                slices[k] = floating ? new double[(int) (outer * inner)] : null;
                intSlices[k] = floating ? null : new long[(int) (outer * inner)];
                for (long o = 0, e = 0; o < outer; o++) {
                    for (long j = 0; j < inner; j++, e++) {
                        long src = (o * n + k) * inner + j;
                        if (floating) {
                            slices[k][(int) e] = x.getDouble(src);
                        } else {
                            intSlices[k][(int) e] = x.getLong(src);
                        }
                    }
                }
            }
            Comparator<Integer> bySlice = floating ? (a, b) -> Arrays.compare(slices[a], slices[b])
                : (a, b) -> Arrays.compare(intSlices[a], intSlices[b]);
            Integer[] order = new Integer[n];
            for (int k = 0; k < n; k++) {
                order[k] = k;
            }
            Arrays.sort(order, bySlice); // stable: each run of equal slices starts with its first occurrence
            int[] group = new int[n];
            int groups = 0;
            int[] firstOfGroup = new int[n];
            long[] counts = new long[n];
            for (int t = 0; t < n; t++) {
                if (t == 0 || bySlice.compare(order[t - 1], order[t]) != 0) {
                    firstOfGroup[groups++] = order[t];
                }
                group[order[t]] = groups - 1;
                counts[groups - 1]++;
            }
            // Output position of each group: sorted order, or order of first occurrence.
            Integer[] rank = new Integer[groups];
            for (int g = 0; g < groups; g++) {
                rank[g] = g;
            }
            if (!sorted) {
                Arrays.sort(rank, Comparator.comparingInt(g -> firstOfGroup[g]));
            }
            int[] position = new int[groups];
            for (int p = 0; p < groups; p++) {
                position[rank[p]] = p;
            }
            long[] yShape = shape.clone();
            yShape[axis] = groups;
            Tensor y = ctx.allocate(x.dtype(), yShape);
            MemorySegment src = x.segment();
            MemorySegment dst = y.segment();
            int bytes = x.dtype().byteSize();
            for (int p = 0; p < groups; p++) {
                int k = firstOfGroup[rank[p]];
                for (long o = 0; o < outer; o++) {
                    Elements.copy(src, (o * n + k) * inner, dst, (o * groups + p) * inner, inner, bytes);
                }
            }
            long[] indices = new long[groups];
            long[] groupCounts = new long[groups];
            for (int p = 0; p < groups; p++) {
                indices[p] = firstOfGroup[rank[p]];
                groupCounts[p] = counts[rank[p]];
            }
            long[] inverse = new long[n];
            for (int k = 0; k < n; k++) {
                inverse[k] = position[group[k]];
            }
            Tensor[] all = {y, Elements.int64Vector(ctx, indices), Elements.int64Vector(ctx, inverse),
                Elements.int64Vector(ctx, groupCounts)};
            for (int k = outputs; k < all.length; k++) {
                all[k].close(); // not asked for; the executor frees only what a kernel returns
            }
            return Arrays.copyOf(all, Math.min(outputs, all.length));
        };
    }
}
