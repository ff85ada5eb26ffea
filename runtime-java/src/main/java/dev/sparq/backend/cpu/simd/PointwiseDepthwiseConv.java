package dev.sparq.backend.cpu.simd;

import dev.sparq.backend.ExecutionContext;
import dev.sparq.backend.Kernel;
import dev.sparq.backend.KernelRequest;
import dev.sparq.backend.UnsupportedKernelException;
import dev.sparq.backend.geometry.ConvAttributes;
import dev.sparq.backend.geometry.ConvGeometry2d;
import dev.sparq.graph.Attribute;
import dev.sparq.graph.ChannelsLastConv;
import dev.sparq.graph.Node;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@link ChannelsLastConv#FUSED_OP}: a pointwise layer and the 3×3 depthwise layer reading it, with the expanded
 * image never whole in memory. Each thread takes a range of output rows and keeps a ring of {@link #RING} expanded
 * rows: input rows are expanded {@link #GROUP} at a time (3 rows of a width divisible by 4 are whole 12-pixel
 * panels) when a depthwise row first needs them, and the depthwise kernel reads them from the ring while cached.
 * Each value is computed as the two kernels compute it apart, so results do not depend on the thread count.
 */
final class PointwiseDepthwiseConv implements Kernel {
    static final int GROUP = 3;
    static final int RING = 2 * GROUP;
    /** The expansions run inside a thread's share: sequential, on the calling thread. */
    private static final ExecutionContext SEQUENTIAL = ExecutionContext.standalone();

    private final PackedMatrix expand;
    private final Epilogue expandEpilogue;
    private final ConvAttributes attrs;
    private final float[] taps;
    private final float[] bias;
    private final Activation act;

    private PointwiseDepthwiseConv(PackedMatrix expand, Epilogue expandEpilogue, ConvAttributes attrs, float[] taps,
                                   float[] bias, Activation act) {
        this.expand = expand;
        this.expandEpilogue = expandEpilogue;
        this.attrs = attrs;
        this.taps = taps;
        this.bias = bias;
        this.act = act;
    }

    static Kernel create(KernelRequest r) {
        Node n = r.node();
        Tensor w1 = r.constantInput(1);
        Tensor w2 = r.constantInput(3);
        if (w1 == null || w2 == null || w1.dtype() != DType.F32 || w2.dtype() != DType.F32 || w1.rank() != 4
            || w2.rank() != 4 || w1.dim(2) != 1 || w1.dim(3) != 1 || w2.dim(0) != w1.dim(0) || w2.dim(1) != 1
            || w2.dim(2) != 3 || w2.dim(3) != 3 || n.intAttr("group", 1) != w2.dim(0)) {
            throw new UnsupportedKernelException("cpu-simd " + ChannelsLastConv.FUSED_OP
                + " needs constant f32 1×1 weights and 3×3 depthwise weights for their channels");
        }
        int cexp = (int) w1.dim(0);
        int cin = (int) w1.dim(1);
        float[] b1 = ChannelsLastConvKernels.bias(r, 2, cexp);
        float[] b2 = ChannelsLastConvKernels.bias(r, 4, cexp);
        ConvAttributes attrs = ConvAttributes.of(n, w2);
        if (attrs.dh() != 1 || attrs.dw() != 1) {
            throw new UnsupportedKernelException("cpu-simd " + ChannelsLastConv.FUSED_OP + " takes dilation 1 only");
        }
        float[] weights1 = w1.toFloatArray();
        PackedMatrix expand = new PackedMatrix(cexp, cin, MicroKernel.get().nr(), (j, k) -> weights1[j * cin + k]);
        Activation act1 = Activation.ofFused(pointwiseActivation(n));
        float[] taps = ChannelsLastConvKernels.tapMajor(w2.toFloatArray(), cexp);
        return new PointwiseDepthwiseConv(expand, act1.epilogue(null, b1), attrs, taps, b2, Activation.ofFused(n));
    }

    /** A node holding the pointwise activation under the names {@link Activation#ofFused} reads. */
    private static Node pointwiseActivation(Node n) {
        Map<String, Attribute> a = new LinkedHashMap<>();
        if (n.has(ChannelsLastConv.POINTWISE_ACTIVATION)) {
            a.put("activation", new Attribute("activation", Attribute.Type.STRING,
                n.stringAttr(ChannelsLastConv.POINTWISE_ACTIVATION, "")));
        }
        if (n.has(ChannelsLastConv.POINTWISE_ACTIVATION_PARAMS)) {
            a.put("activation_params", new Attribute("activation_params", Attribute.Type.FLOATS,
                n.attr(ChannelsLastConv.POINTWISE_ACTIVATION_PARAMS).value()));
        }
        return new Node(n.name(), n.opType(), n.domain(), n.inputs(), n.outputs(), a);
    }

    @Override
    public Tensor[] run(Tensor[] inputs, ExecutionContext ctx) {
        Tensor x = inputs[0];
        int cin = expand.depth();
        int channels = expand.rows();
        if (x.dtype() != DType.F32 || x.rank() != 4 || x.dim(3) != cin) {
            throw new IllegalArgumentException("input " + x.dtype() + Arrays.toString(x.shape())
                + " must be f32 [N,H,W," + cin + "]");
        }
        int h = (int) x.dim(1);
        int w = (int) x.dim(2);
        ConvGeometry2d g = attrs.geometry(h, w, 1);
        Tensor y = ctx.allocateUninitialized(DType.F32, x.dim(0), g.oh(), g.ow(), channels);
        int rows = Math.toIntExact(x.dim(0) * g.oh());
        int threads = ctx.threadsFor(rows);
        long rowFloats = (long) w * channels;
        long ringFloats = RING * rowFloats;
        try (Tensor zeros = ctx.allocate(DType.F32, rowFloats);
             Tensor rings = ctx.allocateUninitialized(DType.F32, threads * ringFloats)) {
            MemorySegment xs = x.segment();
            MemorySegment ys = y.segment();
            MemorySegment zeroRow = zeros.segment();
            SimdOps ops = SimdOps.get();
            long outImage = (long) g.oh() * g.ow() * channels;
            int groups = (h + GROUP - 1) / GROUP;
            ctx.parallelFor(threads, t -> {
                MemorySegment ring = rings.segment().asSlice(t * ringFloats * Float.BYTES, ringFloats * Float.BYTES);
                long[] held = {-1, -1}; // the group of input rows in each half of the ring, as image · groups + group
                for (int r = (int) ((long) rows * t / threads); r < (long) rows * (t + 1) / threads; r++) {
                    int n = r / g.oh();
                    int oy = r % g.oh();
                    for (int iy = Math.max(0, oy * g.sh() - g.padTop());
                         iy <= Math.min(h - 1, oy * g.sh() - g.padTop() + 2); iy++) {
                        int group = iy / GROUP;
                        if (held[group % 2] != (long) n * groups + group) {
                            expandRows(xs, (long) n * h + (long) group * GROUP, Math.min(GROUP, h - group * GROUP), w,
                                ring, group % 2 * GROUP * rowFloats);
                            held[group % 2] = (long) n * groups + group;
                        }
                    }
                    ops.depthwiseNhwcRows(g, channels, ring, 0, taps, bias, act.min(), act.max(), oy, oy + 1, ys,
                        n * outImage, zeroRow, RING);
                }
            });
        }
        return new Tensor[] {y};
    }

    /** Input rows [row, row + count) of the batch (row counted across images) expanded into the ring at {@code at}. */
    private void expandRows(MemorySegment x, long row, int count, int w, MemorySegment ring, long at) {
        int cin = expand.depth();
        int pixels = count * w;
        MemorySegment in = x.asSlice(row * w * cin * Float.BYTES, (long) pixels * cin * Float.BYTES);
        MemorySegment out = ring.asSlice(at * Float.BYTES, (long) pixels * expand.rows() * Float.BYTES);
        ChannelsLastConvKernels.gemm(MicroKernel.get(), ChannelsLastGemm.available(), in, pixels, cin, expand, out,
            expandEpilogue, SEQUENTIAL);
    }

    @Override
    public String describe() {
        return "channels-last pointwise into 3x3 depthwise, " + RING + " expanded rows a thread in cache";
    }

    @Override
    public long packedWeightBytes() {
        return expand.bytes() + 4L * (expand.rows() + taps.length + bias.length);
    }
}
