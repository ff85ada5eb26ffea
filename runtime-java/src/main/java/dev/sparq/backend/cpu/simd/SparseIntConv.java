package dev.sparq.backend.cpu.simd;

import dev.sparq.backend.ExecutionContext;
import dev.sparq.backend.Kernel;
import dev.sparq.backend.geometry.ConvAttributes;
import dev.sparq.backend.geometry.ConvGeometry2d;
import dev.sparq.sparse.SparseInt8Rows;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * QLinearConv (group 1, any kernel, stride, dilation, padding) with pruned constant 8-bit weights
 * ({@link SparseInt8Rows}). Per image the centered input is rewritten once into int "phase planes" (for stride s,
 * padded pixel (s·i + a, s·j + b) goes to phase (a, b) at (i, j); the padding holds 0 = the zero point centered), so
 * every tap of every stride reads its plane at a constant offset from the flat output index q = oy·wq + ox. Each
 * nonzero weight is then one broadcast multiply-add over a run of output pixels ({@link SparseIntLoop}); lanes with
 * ox ≥ ow are computed and dropped. Exact: the integers of cpu-ref, requantized as cpu-ref does.
 */
final class SparseIntConv implements Kernel {
    private final IntConvInput input;
    private final SparseInt8Rows w;
    private final int[] channel; // per nonzero: input channel
    private final int[] tap; // per nonzero: ky * kw + kx
    private final int[] values;
    private final Requantizer out;

    SparseIntConv(IntConvInput input, SparseInt8Rows w, Requantizer out) {
        this.input = input;
        this.w = w;
        this.out = out;
        ConvAttributes a = input.attrs();
        int taps = a.kh() * a.kw();
        int nnz = w.nonzeros();
        channel = new int[nnz];
        tap = new int[nnz];
        values = new int[nnz];
        for (int e = 0; e < nnz; e++) {
            channel[e] = w.index(e) / taps;
            tap[e] = w.index(e) % taps;
            values[e] = w.value(e);
        }
    }

    @Override
    public long packedWeightBytes() {
        return w.packedBytes() + 8L * w.rows(); // + int32 bias and the multiplier per channel
    }

    @Override
    public Tensor[] run(Tensor[] inputs, ExecutionContext ctx) {
        Tensor x = inputs[0];
        ConvGeometry2d g = input.geometry(x, input.channels());
        int cout = w.rows();
        int sh = g.sh();
        int sw = g.sw();
        int hq = (sh * (g.oh() - 1) + g.dh() * (g.kh() - 1) + 1 + sh - 1) / sh;
        int wq = (sw * (g.ow() - 1) + g.dw() * (g.kw() - 1) + 1 + sw - 1) / sw;
        int phases = sh * sw;
        int plane = hq * wq;
        int q = g.oh() * wq;
        int[] planes = new int[Math.multiplyExact(input.channels() * phases, plane) + SparseIntLoop.SLACK];
        int[] base = new int[values.length];
        for (int e = 0; e < base.length; e++) {
            int ry = (tap[e] / g.kw()) * g.dh();
            int rx = (tap[e] % g.kw()) * g.dw();
            int phase = (ry % sh) * sw + rx % sw;
            base[e] = (channel[e] * phases + phase) * plane + (ry / sh) * wq + rx / sw;
        }
        Tensor y = ctx.allocateUninitialized(out.dtype(), x.dim(0), cout, g.oh(), g.ow());
        boolean unsigned = x.dtype() == DType.U8;
        long image = (long) input.channels() * g.h() * g.w();
        long outPlane = (long) g.oh() * g.ow();
        SparseIntLoop loop = SparseIntLoop.get();
        for (long img = 0; img < x.dim(0); img++) {
            fillPlanes(x.segment(), img * image, g, unsigned, hq, wq, planes);
            long yOff = img * cout * outPlane;
            int threads = ctx.threadsFor(cout);
            ctx.parallelFor(threads, t -> {
                int[] acc = new int[(q + SparseIntLoop.SLACK - 1) / SparseIntLoop.SLACK * SparseIntLoop.SLACK];
                for (int co = cout * t / threads; co < cout * (t + 1) / threads; co++) {
                    loop.accumulate(planes, base, values, w.rowStart(co), w.rowStart(co + 1), q, acc);
                    store(acc, co, wq, g, y.segment(), yOff + co * outPlane);
                }
            });
        }
        return new Tensor[] {y};
    }

    /** The centered input of one image as phase planes (0 in the padding). */
    private void fillPlanes(MemorySegment x, long off, ConvGeometry2d g, boolean unsigned, int hq, int wq,
                            int[] planes) {
        int zero = input.zero();
        int plane = hq * wq;
        int phases = g.sh() * g.sw();
        for (int c = 0; c < input.channels(); c++) {
            long xc = off + (long) c * g.h() * g.w();
            for (int ph = 0; ph < phases; ph++) {
                int a = ph / g.sw();
                int b = ph % g.sw();
                int p0 = (c * phases + ph) * plane;
                for (int i = 0; i < hq; i++) {
                    int iy = g.sh() * i + a - g.padTop();
                    for (int j = 0; j < wq; j++) {
                        int ix = g.sw() * j + b - g.padLeft();
                        int v = 0;
                        if (iy >= 0 && iy < g.h() && ix >= 0 && ix < g.w()) {
                            byte raw = x.get(ValueLayout.JAVA_BYTE, xc + (long) iy * g.w() + ix);
                            v = (unsigned ? raw & 0xFF : raw) - zero;
                        }
                        planes[p0 + i * wq + j] = v;
                    }
                }
            }
        }
    }

    /** Requantizes one output channel's flat pixels into its NCHW plane, dropping the lanes with ox ≥ ow. */
    private void store(int[] acc, int co, int wq, ConvGeometry2d g, MemorySegment y, long at) {
        double m = out.multipliers()[co];
        int bias = out.bias()[co];
        for (int oy = 0; oy < g.oh(); oy++) {
            for (int ox = 0; ox < g.ow(); ox++) {
                int a = acc[oy * wq + ox] + bias;
                y.set(ValueLayout.JAVA_BYTE, at + (long) oy * g.ow() + ox,
                    (byte) ScalarOps.saturateRound(a * m + out.zero(), out.min(), out.max()));
            }
        }
    }
}
