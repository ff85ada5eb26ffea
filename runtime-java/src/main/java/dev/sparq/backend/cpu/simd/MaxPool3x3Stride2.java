package dev.sparq.backend.cpu.simd;

import dev.sparq.backend.ExecutionContext;
import dev.sparq.backend.geometry.ConvGeometry2d;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * MaxPool 3×3, stride 2, padding 1 (ResNet's), separably: each output row first folds its three input rows into
 * one ({@link SimdOps#max3}, straight from the tensor), then splits that row into even and odd columns and takes
 * out[x] = max(even[x], odd[x], odd[x − 1]). The general pool copies every plane into four padded stride phases
 * first, which cost more than the maxima (0.7 ms against ONNX Runtime's 0.2 for ResNet-18's pool, stop 17). The
 * padding never wins a maximum, so rows and columns past the edges are left out (a missing row is the middle one
 * again): the same values as the general pool.
 */
final class MaxPool3x3Stride2 {
    private MaxPool3x3Stride2() {
    }

    /**
     * Whether the window is 3×3 at stride 2 with one row and column of padding before and every window's centre
     * inside the input (so at most one row and column of padding after).
     */
    static boolean fits(ConvGeometry2d g) {
        return g.kh() == 3 && g.kw() == 3 && g.sh() == 2 && g.sw() == 2 && g.dh() == 1 && g.dw() == 1
            && g.padTop() == 1 && g.padLeft() == 1 && 2 * (g.oh() - 1) < g.h() && 2 * (g.ow() - 1) < g.w();
    }

    static void run(ConvGeometry2d g, MemorySegment xs, MemorySegment os, int planes, ExecutionContext ctx) {
        int h = g.h();
        int w = g.w();
        int oh = g.oh();
        int ow = g.ow();
        int threads = ctx.threadsFor(planes);
        ctx.parallelFor(threads, t -> {
            SimdOps ops = SimdOps.get();
            float[] row = Scratch.of(2).get(w + 2);
            float[] even = Scratch.of(3).get(ow + 1);
            float[] odd = Scratch.of(4).get(ow + 1);
            for (int p = planes * t / threads; p < planes * (t + 1) / threads; p++) {
                long plane = (long) p * h * w;
                for (int oy = 0; oy < oh; oy++) {
                    int mid = 2 * oy;
                    ops.max3(xs, plane + (long) Math.max(mid - 1, 0) * w, plane + (long) mid * w,
                        plane + (long) Math.min(mid + 1, h - 1) * w, row, 0, w);
                    row[w] = Float.NEGATIVE_INFINITY; // the right padding, read when 2·ow − 1 = w
                    ops.deinterleave2(row, 0, 2 * ow, even, 0, odd, 0);
                    ops.max(even, 0, odd, 0, ow);
                    ops.max(even, 1, odd, 0, ow - 1);
                    MemorySegment.copy(even, 0, os, ValueLayout.JAVA_FLOAT, ((long) p * oh * ow + (long) oy * ow)
                        * Float.BYTES, ow);
                }
            }
        });
    }
}
