package dev.sparq.nativecpu;

import dev.sparq.backend.ExecutionContext;
import dev.sparq.backend.Kernel;
import dev.sparq.backend.KernelRequest;
import dev.sparq.backend.UnsupportedKernelException;
import dev.sparq.backend.geometry.ConvAttributes;
import dev.sparq.backend.geometry.ConvGeometry2d;
import dev.sparq.graph.Node;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * QLinearConv on the native fused kernel (kernels/cpu/src/qconv.c): group 1 or depthwise, any stride, dilation
 * and padding. Per image, two passes over the session's threads: the input is rewritten into phase planes (int8
 * input sign-flipped on the way, so no separate pass), then each thread computes its share of output channels with
 * the requantization done on the accumulator tile, straight into the NCHW output. Exact: the same integers as cpu-ref.
 */
final class FusedConvKernel implements Kernel {
    /** Below this much work per image (multiply-adds, plus {@link #OUTPUT_COST} per output) a second thread costs
     * more than it saves. */
    private static final long WORK_PER_THREAD = 1L << 20;
    /** An output's requantization and store, in multiply-adds: what a depthwise layer mostly spends. */
    private static final long OUTPUT_COST = 16;

    private final DType xType;
    private final int cin;
    private final int cout;
    private final boolean depthwise;
    private final ConvAttributes attrs;
    private final QuantParams quant;
    private final MemorySegment packed;
    private final MemorySegment bias;
    private final MemorySegment multipliers;
    private final LastConvDesc descs;

    private FusedConvKernel(DType xType, int cin, int cout, boolean depthwise, ConvAttributes attrs, QuantParams quant,
                            MemorySegment packed, MemorySegment bias, MemorySegment multipliers) {
        this.xType = xType;
        this.cin = cin;
        this.cout = cout;
        this.depthwise = depthwise;
        this.attrs = attrs;
        this.quant = quant;
        this.descs = new LastConvDesc(cin, cout, depthwise, quant, xType);
        this.packed = packed;
        this.bias = bias;
        this.multipliers = multipliers;
    }

    /** True where the library has a fast fused path; elsewhere the im2col + GEMM route (AVX2, NEON) is kept. */
    static boolean available() {
        return !CpuKernels.get().convPath().equals("scalar");
    }

    static Kernel create(KernelRequest r) {
        Node n = r.node();
        Tensor w = r.constantInput(3);
        DType xType = QLinearKernels.activationType(r, "QLinearConv");
        if (w == null || w.dtype() != DType.I8 || w.rank() != 4) {
            throw new UnsupportedKernelException("cpu-native QLinearConv needs constant int8 4-D weights");
        }
        long group = n.intAttr("group", 1);
        int cout = (int) w.dim(0);
        boolean depthwise = group != 1;
        if (depthwise && (w.dim(1) != 1 || group != cout)) {
            throw new UnsupportedKernelException("cpu-native QLinearConv takes group 1 or depthwise (group == channels"
                + " == output channels)");
        }
        int cin = depthwise ? cout : (int) w.dim(1);
        if (depthwise && w.dim(2) * w.dim(3) > 512) {
            throw new UnsupportedKernelException("cpu-native depthwise QLinearConv takes at most 512 taps");
        }
        ConvAttributes attrs = ConvAttributes.of(n, w);
        QuantParams q = QuantParams.read(r, xType, cout, 1, 2, 4, 5, 6, 7, 8);
        Arena arena = r.weightArena();
        CpuKernels nk = CpuKernels.get();
        MemorySegment packed;
        MemorySegment bias;
        try (Arena scratch = Arena.ofConfined()) {
            ConvDesc wd = ConvDesc.forWeights(cin, cout, (int) w.dim(2), (int) w.dim(3), depthwise,
                scratch.allocate(ConvDesc.BYTES, 8));
            packed = arena.allocate(nk.convWeightsSize(wd), 64);
            MemorySegment sums = scratch.allocate(4L * cout, 8);
            nk.convPackWeights(wd, w.segment(), packed, sums);
            bias = q.foldedBias(arena, sums);
        }
        return new FusedConvKernel(xType, cin, cout, depthwise, attrs, q, packed, bias, q.multiplierSegment(arena));
    }

    /** Packed weights (the library's layout), int32 bias and float32 multipliers. */
    @Override
    public long packedWeightBytes() {
        return packed.byteSize() + bias.byteSize() + multipliers.byteSize();
    }

    @Override
    public Tensor[] run(Tensor[] inputs, ExecutionContext ctx) {
        Tensor x = inputs[0];
        descs.checkInput(x);
        ConvGeometry2d g = attrs.geometry(x, cin);
        Tensor y = ctx.allocateUninitialized(quant.yType(), x.dim(0), cout, g.oh(), g.ow());
        ConvDesc desc = descs.fitting(g);
        CpuKernels nk = CpuKernels.get();
        Tensor scratch = ctx.allocateUninitialized(DType.U8, nk.convScratchSize(desc));
        long macs = (long) cout * (depthwise ? 1 : cin) * g.kh() * g.kw() * g.outputPixels();
        long work = macs + OUTPUT_COST * cout * g.outputPixels();
        int threads = ctx.threadsFor(work / WORK_PER_THREAD);
        long image = desc.inputBytes();
        long outImage = desc.outputBytes();
        for (long img = 0; img < x.dim(0); img++) {
            MemorySegment xi = x.segment().asSlice(img * image, image);
            MemorySegment yi = y.segment().asSlice(img * outImage, outImage);
            if (threads == 1) {
                if (!depthwise) { // depthwise reads the image itself
                    nk.convPackInput(desc, xi, scratch.segment(), 0, 1);
                }
                nk.convCompute(desc, xi, scratch.segment(), packed, bias, multipliers, yi, 0, 1);
            } else {
                if (!depthwise) { // depthwise reads the image itself
                    ctx.parallelFor(threads, t -> nk.convPackInput(desc, xi, scratch.segment(), t, threads));
                }
                ctx.parallelFor(threads, t -> nk.convCompute(desc, xi, scratch.segment(), packed, bias, multipliers, yi,
                    t, threads));
            }
        }
        scratch.close();
        return new Tensor[] {y};
    }
}
