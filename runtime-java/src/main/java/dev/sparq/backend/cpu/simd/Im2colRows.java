package dev.sparq.backend.cpu.simd;

import dev.sparq.backend.ExecutionContext;
import dev.sparq.backend.geometry.ConvGeometry2d;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The im2col matrix of one image as plain rows: row k = (channel, ky, kx) holds that tap's input for every output
 * pixel, X[k][oy·ow + ox], so a sparse product can stream it with pixels on the vector lanes. Channels are copied
 * through {@link PaddedPlane}s (padding and stride phases made once), one output row at a time.
 */
final class Im2colRows {
    private Im2colRows() {
    }

    /** Fills and returns the calling thread's scratch 6 with depth × pixels floats; channels split over threads. */
    static float[] of(MemorySegment x, long imageOffset, ConvGeometry2d g, ExecutionContext ctx) {
        int pixels = g.outputPixels();
        int khw = g.kh() * g.kw();
        // 4 vectors to spare: the sparse products then read a tail's whole vectors (SparseOps.timesMatrix)
        float[] dst = Scratch.of(6).get(Math.addExact(Math.multiplyExact(g.depth(), pixels),
            4 * SparseOps.get().lanes()));
        int threads = Math.max(1, Math.min(ctx.threads(), g.c()));
        if (khw == 1 && g.padTop() == 0 && g.padLeft() == 0) {
            subsample(x, imageOffset, g, dst, threads, ctx);
            return dst;
        }
        ctx.parallelFor(threads, t -> {
            PaddedPlane plane = new PaddedPlane(g, Scratch.of(2).get(PaddedPlane.planeSize(g)),
                Scratch.of(4).get(PaddedPlane.phaseSize(g)));
            for (int c = g.c() * t / threads; c < g.c() * (t + 1) / threads; c++) {
                plane.load(x, imageOffset + (long) c * g.h() * g.w(), 0f);
                float[] src = plane.array();
                for (int ky = 0; ky < g.kh(); ky++) {
                    for (int kx = 0; kx < g.kw(); kx++) {
                        int row = (c * khw + ky * g.kw() + kx) * pixels;
                        for (int oy = 0; oy < g.oh(); oy++) {
                            System.arraycopy(src, plane.run(oy, ky, kx), dst, row + oy * g.ow(), g.ow());
                        }
                    }
                }
            }
        });
        return dst;
    }

    /**
     * A 1×1 convolution without padding (ResNet's strided shortcuts): X[c][oy·ow + ox] = x[c][oy·sh][ox·sw], read
     * straight from the rows it needs; padded planes would copy and split every row of the image for a quarter of
     * it (measured: most of the layer's time).
     */
    private static void subsample(MemorySegment x, long imageOffset, ConvGeometry2d g, float[] dst, int threads,
                                  ExecutionContext ctx) {
        int pixels = g.outputPixels();
        ctx.parallelFor(threads, t -> {
            SparseOps ops = SparseOps.get();
            for (int c = g.c() * t / threads; c < g.c() * (t + 1) / threads; c++) {
                for (int oy = 0; oy < g.oh(); oy++) {
                    long src = imageOffset + ((long) c * g.h() + (long) oy * g.sh()) * g.w();
                    int at = c * pixels + oy * g.ow();
                    if (g.sw() == 1) {
                        MemorySegment.copy(x, ValueLayout.JAVA_FLOAT, src * Float.BYTES, dst, at, g.ow());
                    } else if (g.sw() == 2) {
                        // straight from the image: a copy of the row, then a deinterleave, cost twice as much
                        ops.evenElements(x, src, g.ow(), dst, at);
                    } else {
                        for (int ox = 0; ox < g.ow(); ox++) {
                            dst[at + ox] = x.getAtIndex(ValueLayout.JAVA_FLOAT, src + (long) ox * g.sw());
                        }
                    }
                }
            }
        });
    }
}
