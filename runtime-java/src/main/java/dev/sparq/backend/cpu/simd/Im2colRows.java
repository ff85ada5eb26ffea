package dev.sparq.backend.cpu.simd;

import dev.sparq.backend.ExecutionContext;
import dev.sparq.backend.geometry.ConvGeometry2d;
import java.lang.foreign.MemorySegment;

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
        float[] dst = Scratch.of(6).get(Math.multiplyExact(g.depth(), pixels));
        int threads = Math.max(1, Math.min(ctx.threads(), g.c()));
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
}
