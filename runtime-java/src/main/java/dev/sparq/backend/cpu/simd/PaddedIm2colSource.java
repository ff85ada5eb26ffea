package dev.sparq.backend.cpu.simd;

import dev.sparq.backend.ExecutionContext;
import dev.sparq.backend.geometry.ConvGeometry2d;
import java.lang.foreign.MemorySegment;

/**
 * The B operand of a convolution as GEMM, X[pixel][k] with k = (channel, ky, kx), packed from {@link PaddedPlane}
 * copies of the image's channels made once per call. With padding materialized (and strided columns split into
 * phases), the pixels of a panel that share an output row read one contiguous run: one {@code System.arraycopy}
 * per output row a panel touches.
 */
final class PaddedIm2colSource implements PanelSource {
    private final ConvGeometry2d g;
    private final PaddedPlane[] planes;
    /** Pixels numbered oy · flatStride + ox (garbage columns included): see {@link #flat}. */
    private boolean flat;

    /**
     * Copies the channels of one image (from element {@code imageOffset} of {@code x}) into padded planes, split
     * over the context's threads (done by one, it kept 1×1 strided layers from scaling at all).
     */
    PaddedIm2colSource(MemorySegment x, long imageOffset, ConvGeometry2d g, ExecutionContext ctx) {
        this(g);
        int threads = ctx.threadsFor(g.c());
        ctx.parallelFor(threads, t -> {
            for (int c = g.c() * t / threads; c < g.c() * (t + 1) / threads; c++) {
                planes[c].load(x, imageOffset + (long) c * g.h() * g.w(), 0f);
            }
        });
    }

    /**
     * The same over 8-bit channels (uint8 or int8 from byte {@code imageOffset} of {@code x}), minus their zero
     * point: the integer convolutions' B operand, exact in f32.
     */
    PaddedIm2colSource(MemorySegment x, long imageOffset, ConvGeometry2d g, boolean unsigned, int zero) {
        this(g);
        for (int c = 0; c < g.c(); c++) {
            planes[c].loadCentered(x, imageOffset + (long) c * g.h() * g.w(), unsigned, zero);
        }
    }

    private PaddedIm2colSource(ConvGeometry2d g) {
        this.g = g;
        this.planes = new PaddedPlane[g.c()];
        int planeSize = PaddedPlane.planeSize(g);
        int phaseSize = PaddedPlane.phaseSize(g);
        float[] data = Scratch.of(3).get(g.c() * planeSize);
        float[] phases = Scratch.of(4).get(g.c() * phaseSize);
        for (int c = 0; c < g.c(); c++) {
            planes[c] = new PaddedPlane(g, data, c * planeSize, phases, c * phaseSize);
        }
    }

    /**
     * Numbers the pixels as the flat planes lay them out, oy · flatStride + ox, garbage columns past ow included
     * ({@link #flatRows()} of them): a panel's pixels for one k are then one contiguous run, packed with vector
     * copies instead of one copy per output row it touches. The product has to be compacted afterwards.
     * Only for planes that are {@link PaddedPlane#flat()}.
     */
    PaddedIm2colSource flat() {
        if (!planes[0].flat()) {
            throw new IllegalStateException("planes are not flat at stride " + g.sh() + "x" + g.sw());
        }
        flat = true;
        return this;
    }

    /** The array the flat runs live in (see {@link #flatStarts}). */
    float[] flatArray() {
        return planes[0].array();
    }

    /** Where each im2col row k (channel, ky, kx) starts in {@link #flatArray()}, as flat-numbered pixels. */
    int[] flatStarts() {
        int khw = g.kh() * g.kw();
        int[] starts = new int[g.depth()];
        for (int k = 0; k < starts.length; k++) {
            int rem = k % khw;
            starts[k] = planes[k / khw].flatRun(rem / g.kw(), rem % g.kw());
        }
        return starts;
    }

    /** Row stride of the flat pixel numbering. */
    int flatStride() {
        return planes[0].flatStride();
    }

    /** Whether flat numbering computes at most 10% more pixels than the image has (a stride close to ow). */
    static boolean flatPays(ConvGeometry2d g) {
        return PaddedPlane.isFlat(g) && PaddedPlane.flatStride(g) * 10L <= g.ow() * 11L;
    }

    @Override
    public int rows() {
        return flat ? g.oh() * planes[0].flatStride() : g.outputPixels();
    }

    @Override
    public int depth() {
        return g.depth();
    }

    @Override
    public Panels panels(int k0, int kb, int row0, int count, int width, Scratch scratch) {
        int panels = (count + width - 1) / width;
        float[] dst = scratch.get(panels * width * kb);
        int khw = g.kh() * g.kw();
        if (flat) {
            int full = Math.min(panels, (rows() - row0) / width);
            SimdOps ops = SimdOps.get();
            for (int k = 0; k < kb; k++) {
                int kk = k0 + k;
                int ch = kk / khw;
                int rem = kk - ch * khw;
                PaddedPlane plane = planes[ch];
                int start = plane.flatRun(rem / g.kw(), rem % g.kw()) + row0;
                ops.copyPanels(plane.array(), start, full, width, dst, k * width, width * kb);
                if (full < panels) { // the last, partial panel
                    int valid = rows() - row0 - full * width;
                    int at = full * width * kb + k * width;
                    System.arraycopy(plane.array(), start + full * width, dst, at, valid);
                    java.util.Arrays.fill(dst, at + valid, at + width, 0f);
                }
            }
            return new Panels(dst, 0, width * kb);
        }
        for (int p = 0; p < panels; p++) {
            int base = p * width * kb;
            int pix0 = row0 + p * width;
            int valid = Math.min(width, rows() - pix0);
            int oy0 = pix0 / g.ow();
            int ox0 = pix0 - oy0 * g.ow();
            for (int k = 0; k < kb; k++) {
                int kk = k0 + k;
                int ch = kk / khw;
                int rem = kk - ch * khw;
                int ky = rem / g.kw();
                int kx = rem - ky * g.kw();
                PaddedPlane plane = planes[ch];
                float[] src = plane.array();
                int at = base + k * width;
                int lane = 0;
                int oy = oy0;
                int ox = ox0;
                while (lane < valid) {
                    int run = Math.min(valid - lane, g.ow() - ox);
                    System.arraycopy(src, plane.run(oy, ky, kx) + ox, dst, at + lane, run);
                    lane += run;
                    ox = 0;
                    oy++;
                }
                if (valid < width) {
                    java.util.Arrays.fill(dst, at + valid, at + width, 0f);
                }
            }
        }
        return new Panels(dst, 0, width * kb);
    }
}
