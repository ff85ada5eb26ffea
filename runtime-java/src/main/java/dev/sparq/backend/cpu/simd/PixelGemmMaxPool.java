package dev.sparq.backend.cpu.simd;

import dev.sparq.backend.ExecutionContext;
import dev.sparq.backend.Kernel;
import dev.sparq.backend.KernelRequest;
import dev.sparq.backend.UnsupportedKernelException;
import dev.sparq.backend.geometry.ConvAttributes;
import dev.sparq.backend.geometry.ConvGeometry2d;
import dev.sparq.graph.Attribute;
import dev.sparq.graph.Node;
import dev.sparq.graph.pass.ConvMaxPoolFusion;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@link ConvMaxPoolFusion#OP}: a first layer on {@link PixelGemmConv} and the 3×3 stride-2 MaxPool after it, one
 * pooled row at a time. For pooled row py the convolution computes its rows 2py and 2py + 1 (row 2py − 1 is the
 * previous pooled row's last, kept), each column's three rows are folded by maxima once and each pooled pixel takes
 * the maximum of its three columns ({@link SimdOps#maxPoolRow3x3Stride2}, in registers), and only then are the bias
 * and the clamp applied, on the way to the NCHW output (a quarter of the unfused layer's transposes and stores).
 * The same values as the two layers: adding a channel's bias and clamping are both monotone, so they commute with
 * the maximum (the maximum of the rounded sums is the rounded sum of the maximum), and the padding never wins a
 * maximum, so edge windows leave it out.
 */
final class PixelGemmMaxPool implements Kernel {
    private final PixelGemmConv conv;
    private final PoolWindow pool;

    private PixelGemmMaxPool(PixelGemmConv conv, PoolWindow pool) {
        this.conv = conv;
        this.pool = pool;
    }

    static Kernel create(KernelRequest r) {
        Node n = r.node();
        Tensor w = r.constantInput(1);
        if (w == null || w.dtype() != DType.F32 || w.rank() != 4 || n.intAttr("group", 1) != 1) {
            throw new UnsupportedKernelException("cpu-simd " + ConvMaxPoolFusion.OP
                + " needs constant f32 4-D weights and one group");
        }
        ConvAttributes attrs = ConvAttributes.of(n, w);
        int cout = (int) w.dim(0);
        int cin = (int) w.dim(1);
        int depth = Math.toIntExact(w.size() / cout);
        if (!PixelGemmConv.fits(depth) || !PaddedPlane.isFlat(attrs.sh(), attrs.sw())) {
            throw new UnsupportedKernelException("cpu-simd " + ConvMaxPoolFusion.OP
                + " takes a reduction of at most " + Gemm.KC + " and stride 1 or 2 × 2");
        }
        PoolWindow window = PoolWindow.of(poolNode(n));
        if (window.kh() != 3 || window.kw() != 3 || window.sh() != 2 || window.sw() != 2 || window.padTop() != 1
            || window.padLeft() != 1) {
            throw new UnsupportedKernelException("cpu-simd " + ConvMaxPoolFusion.OP
                + " pools 3×3 at stride 2 with one row and column of padding before");
        }
        float[] bias = ChannelsLastConvKernels.bias(r, 2, cout);
        return new PixelGemmMaxPool(new PixelGemmConv(attrs, w.toFloatArray(), bias, Activation.ofFused(n), cin),
            window);
    }

    /** The pool's window as a MaxPool node's attributes, for {@link PoolWindow#of}. */
    private static Node poolNode(Node n) {
        Map<String, Attribute> a = new LinkedHashMap<>();
        for (String[] names : new String[][] {{ConvMaxPoolFusion.POOL_KERNEL_SHAPE, "kernel_shape"},
            {ConvMaxPoolFusion.POOL_STRIDES, "strides"}, {ConvMaxPoolFusion.POOL_PADS, "pads"}}) {
            if (n.has(names[0])) {
                a.put(names[1], new Attribute(names[1], Attribute.Type.INTS, n.attr(names[0]).value()));
            }
        }
        return new Node(n.name(), "MaxPool", "", n.inputs().subList(0, 1), n.outputs(), a);
    }

    @Override
    public String describe() {
        return "pixel-gemm-maxpool: first layer and its 3×3/2 MaxPool, one pooled row at a time";
    }

    @Override
    public long packedWeightBytes() {
        return conv.packedWeightBytes();
    }

    @Override
    public Tensor[] run(Tensor[] inputs, ExecutionContext ctx) {
        Tensor x = inputs[0];
        ConvAttributes.checkInput(x, conv.cin);
        ConvGeometry2d g = conv.attrs.geometry(x, conv.cin);
        int cout = conv.weights.cout();
        ConvGeometry2d pg = pool.geometryOf(new long[] {x.dim(0), cout, g.oh(), g.ow()});
        if (!MaxPool3x3Stride2.fits(pg)) {
            throw new IllegalArgumentException("a " + g.oh() + "x" + g.ow() + " convolution output leaves a pooling "
                + "window without its centre inside the image");
        }
        int ph = pg.oh();
        int pw = pg.ow();
        int ow = g.ow();
        Tensor out = ctx.allocateUninitialized(DType.F32, x.dim(0), cout, ph, pw);
        MemorySegment xs = x.segment();
        MemorySegment os = out.segment();
        int width = conv.weights.width();
        int rowFloats = PaddedPlane.flatStride(g) * width;
        // two convolution rows and the last pixel panel's overrun, twice (this pooled row's and the previous one's),
        // then the pooled row
        int pairFloats = 2 * rowFloats + conv.tile.mr() * width;
        int pooled = 2 * pairFloats;
        SimdOps ops = SimdOps.get();
        float min = conv.act.min();
        float max = conv.act.max();
        for (long img = 0; img < x.dim(0); img++) {
            long outImage = img * cout * ph * pw;
            PaddedIm2colSource src = new PaddedIm2colSource(xs, img * conv.cin * g.h() * g.w(), g, ctx).flat();
            float[] planes = src.flatArray();
            int[] starts = src.flatStarts();
            int threads = ctx.threadsFor(Math.min(ph,
                (long) g.oh() * ow * width * conv.weights.depth() / Gemm.WORK_PER_THREAD));
            ctx.parallelFor(threads, t -> {
                float[] buf = Scratch.of(7).get(pooled + pw * width);
                int py0 = ph * t / threads;
                int cur = 0;
                int prev = pairFloats;
                if (py0 > 0) {
                    // the row above this thread's first window, where the previous pooled row would have kept it
                    conv.multiplyRows(planes, starts, g, 2 * py0 - 1, 2 * py0, buf, prev + rowFloats);
                }
                for (int py = py0; py < ph * (t + 1) / threads; py++) {
                    int top = 2 * py;
                    int bottom = Math.min(g.oh(), top + 2);
                    conv.multiplyRows(planes, starts, g, top, bottom, buf, cur);
                    int below = bottom > top + 1 ? cur + rowFloats : cur;
                    ops.maxPoolRow3x3Stride2(buf, py > 0 ? prev + rowFloats : cur, cur, below, width, ow, pw, buf,
                        pooled);
                    ops.storeTransposed(buf, pooled, width, pw, 0, cout, conv.bias, min, max, os,
                        outImage + (long) py * pw, (long) ph * pw);
                    int swap = cur;
                    cur = prev;
                    prev = swap;
                }
            });
        }
        return new Tensor[] {out};
    }
}
