package dev.sparq.backend.cpu.simd;

import dev.sparq.backend.ExecutionContext;
import dev.sparq.backend.Kernel;
import dev.sparq.backend.KernelRequest;
import dev.sparq.backend.UnsupportedKernelException;
import dev.sparq.backend.geometry.ConvGeometry2d;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * MaxPool over 8-bit NCHW values, as QDQ graphs produce once quantization is hoisted above the pool (max commutes
 * with quantization). Plain loops over bytes — the window arithmetic of {@link PoolWindow}, no float round trip.
 */
record BytePool(PoolWindow window, boolean unsigned) implements Kernel {
    static Kernel maxPool(KernelRequest r) {
        DType t = r.inputType(0).dtype();
        if ((t != DType.U8 && t != DType.I8) || (r.node().outputs().size() > 1 && !r.node().outputs().get(1).isEmpty())) {
            throw new UnsupportedKernelException("8-bit MaxPool without Indices only");
        }
        return new BytePool(PoolWindow.of(r.node()), t == DType.U8);
    }

    @Override
    public Tensor[] run(Tensor[] inputs, ExecutionContext ctx) {
        Tensor x = inputs[0];
        if (x.dtype() != (unsigned ? DType.U8 : DType.I8) || x.rank() != 4) {
            throw new IllegalArgumentException("expected an 8-bit [N,C,H,W] input");
        }
        ConvGeometry2d g = window.geometryOf(x.shape());
        Tensor out = ctx.allocateUninitialized(x.dtype(), x.dim(0), x.dim(1), g.oh(), g.ow());
        MemorySegment xs = x.segment();
        MemorySegment os = out.segment();
        int planes = (int) (x.dim(0) * x.dim(1));
        int threads = ctx.threadsFor(planes);
        ctx.parallelFor(threads, t -> {
            for (int p = planes * t / threads; p < planes * (t + 1) / threads; p++) {
                long in = (long) p * g.h() * g.w();
                long o = (long) p * g.oh() * g.ow();
                for (int oy = 0; oy < g.oh(); oy++) {
                    for (int ox = 0; ox < g.ow(); ox++) {
                        int best = Integer.MIN_VALUE;
                        for (int ky = 0; ky < g.kh(); ky++) {
                            int iy = oy * g.sh() - g.padTop() + ky;
                            if (iy < 0 || iy >= g.h()) {
                                continue;
                            }
                            for (int kx = 0; kx < g.kw(); kx++) {
                                int ix = ox * g.sw() - g.padLeft() + kx;
                                if (ix >= 0 && ix < g.w()) {
                                    byte b = xs.get(ValueLayout.JAVA_BYTE, in + (long) iy * g.w() + ix);
                                    best = Math.max(best, unsigned ? b & 0xFF : b);
                                }
                            }
                        }
                        os.set(ValueLayout.JAVA_BYTE, o + (long) oy * g.ow() + ox, (byte) best);
                    }
                }
            }
        });
        return new Tensor[] {out};
    }
}
