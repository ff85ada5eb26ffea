package dev.sparq.backend.cpu.simd;

import dev.sparq.backend.ExecutionContext;
import dev.sparq.backend.geometry.ConvGeometry2d;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The im2col matrix of one image as plain rows: row k = (channel, ky, kx) holds that tap's input for every output
 * pixel, X[k][oy·ow + ox] (rows {@link #stride} apart), so a sparse product can stream it with pixels on the vector
 * lanes. Channels are copied through {@link PaddedPlane}s (padding and stride phases made once), one output row at a
 * time.
 */
final class Im2colRows {
    private Im2colRows() {
    }

    /**
     * Floats from one row to the next: the pixels rounded up to whole vectors, so that every row starts on a cache
     * line as the buffer does.
     */
    static int stride(ConvGeometry2d g) {
        int lanes = SparseOps.get().lanes();
        return (g.outputPixels() + lanes - 1) / lanes * lanes;
    }

    /**
     * Fills and returns the calling thread's {@link NativeScratch} 0 with depth rows of {@link #stride} floats;
     * channels split over threads.
     */
    static MemorySegment of(MemorySegment x, long imageOffset, ConvGeometry2d g, ExecutionContext ctx) {
        int stride = stride(g);
        int khw = g.kh() * g.kw();
        // 4 vectors to spare: the sparse products then read a tail's whole vectors (SparseOps.timesMatrix)
        MemorySegment dst = NativeScratch.floats(0, (long) g.depth() * stride + 4L * SparseOps.get().lanes());
        int threads = ctx.threadsFor(g.c());
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
                        long row = (long) (c * khw + ky * g.kw() + kx) * stride;
                        for (int oy = 0; oy < g.oh(); oy++) {
                            MemorySegment.copy(src, plane.run(oy, ky, kx), dst, ValueLayout.JAVA_FLOAT,
                                (row + (long) oy * g.ow()) * Float.BYTES, g.ow());
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
    private static void subsample(MemorySegment x, long imageOffset, ConvGeometry2d g, MemorySegment dst,
                                  int threads, ExecutionContext ctx) {
        int stride = stride(g);
        ctx.parallelFor(threads, t -> {
            SparseOps ops = SparseOps.get();
            for (int c = g.c() * t / threads; c < g.c() * (t + 1) / threads; c++) {
                for (int oy = 0; oy < g.oh(); oy++) {
                    long src = imageOffset + ((long) c * g.h() + (long) oy * g.sh()) * g.w();
                    long at = (long) c * stride + (long) oy * g.ow();
                    if (g.sw() == 1) {
                        MemorySegment.copy(x, src * Float.BYTES, dst, at * Float.BYTES, (long) g.ow() * Float.BYTES);
                    } else if (g.sw() == 2) {
                        // straight from the image: a copy of the row, then a deinterleave, cost twice as much
                        ops.evenElements(x, src, g.ow(), dst, at);
                    } else {
                        for (int ox = 0; ox < g.ow(); ox++) {
                            dst.setAtIndex(ValueLayout.JAVA_FLOAT, at + ox,
                                x.getAtIndex(ValueLayout.JAVA_FLOAT, src + (long) ox * g.sw()));
                        }
                    }
                }
            }
        });
    }
}
