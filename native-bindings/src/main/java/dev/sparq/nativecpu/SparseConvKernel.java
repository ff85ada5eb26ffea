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
 * QLinearConv (group 1, any kernel, stride, dilation and padding) with pruned constant int8 weights on the native
 * sparse kernel (kernels/cpu/src/qsparse.c): the input is rewritten into phase planes with 64-byte aligned rows
 * (one pass over the session's threads, split by plane), then each thread computes its share of output channels
 * from the kept (tap, 4-channel) blocks only, requantized in registers straight into the NCHW output. Exact: the
 * same integers as cpu-ref.
 */
final class SparseConvKernel implements Kernel {
    /** Below this many kept multiply-adds per image a second thread costs more than it saves. */
    private static final long MACS_PER_THREAD = 1L << 19;

    private final DType xType;
    private final int cin;
    private final int cout;
    private final ConvAttributes attrs;
    private final QuantParams quant;
    private final ConvDesc packedFor;
    private final MemorySegment packed;
    private final long packedBytes;
    private final MemorySegment bias;
    private final MemorySegment multipliers;
    private final double density;
    private final LastConvDesc descs;

    private SparseConvKernel(DType xType, int cin, int cout, ConvAttributes attrs, QuantParams quant,
                             ConvDesc packedFor, MemorySegment packed, long packedBytes, MemorySegment bias,
                             MemorySegment multipliers, double density) {
        this.xType = xType;
        this.cin = cin;
        this.cout = cout;
        this.attrs = attrs;
        this.quant = quant;
        this.descs = new LastConvDesc(cin, cout, false, quant, xType);
        this.packedFor = packedFor;
        this.packed = packed;
        this.packedBytes = packedBytes;
        this.bias = bias;
        this.multipliers = multipliers;
        this.density = density;
    }

    static SparseConvKernel create(KernelRequest r) {
        QSparseBindings qs = QSparseBindings.get();
        if (qs.failure() != null) {
            throw new UnsupportedKernelException(qs.failure());
        }
        Node n = r.node();
        Tensor w = r.constantInput(3);
        DType xType = QLinearKernels.activationType(r, "QLinearConv");
        if (w == null || w.dtype() != DType.I8 || w.rank() != 4 || n.intAttr("group", 1) != 1) {
            throw new UnsupportedKernelException("cpu-native sparse QLinearConv needs constant int8 4-D weights, group 1");
        }
        int cout = (int) w.dim(0);
        int cin = (int) w.dim(1);
        ConvAttributes attrs = ConvAttributes.of(n, w);
        QuantParams q = QuantParams.read(r, xType, cout, 1, 2, 4, 5, 6, 7, 8);
        Arena arena = r.weightArena();
        // the descriptor the weights are packed for lives as long as they do
        ConvDesc wd = ConvDesc.forWeights(cin, cout, (int) w.dim(2), (int) w.dim(3), false,
            arena.allocate(ConvDesc.BYTES, 8));
        long size = qs.weightsSize(wd, w.segment());
        MemorySegment packed = arena.allocate(size, 64);
        MemorySegment bias;
        try (Arena scratch = Arena.ofConfined()) {
            MemorySegment sums = scratch.allocate(4L * cout, 8);
            qs.packWeights(wd, w.segment(), packed, sums);
            bias = q.foldedBias(arena, sums);
        }
        long nonzeros = 0;
        for (long i = 0; i < w.size(); i++) {
            nonzeros += w.getLong(i) != 0 ? 1 : 0;
        }
        return new SparseConvKernel(xType, cin, cout, attrs, q, wd, packed, size, bias, q.multiplierSegment(arena),
            w.size() == 0 ? 0 : (double) nonzeros / w.size());
    }

    /** Packed sparse weights, int32 bias and float32 multipliers. */
    @Override
    public long packedWeightBytes() {
        return packedBytes + 8L * cout;
    }

    @Override
    public Tensor[] run(Tensor[] inputs, ExecutionContext ctx) {
        Tensor x = inputs[0];
        descs.checkInput(x);
        ConvGeometry2d g = attrs.geometry(x, cin);
        Tensor y = ctx.allocateUninitialized(quant.yType(), x.dim(0), cout, g.oh(), g.ow());
        ConvDesc desc = descs.fitting(g);
        QSparseBindings qs = QSparseBindings.get();
        Tensor scratch = ctx.allocateUninitialized(DType.U8, qs.scratchSize(desc));
        long macs = (long) (density * cout * cin * g.kh() * g.kw() * g.outputPixels());
        int threads = ctx.threadsFor(macs / MACS_PER_THREAD);
        long image = desc.inputBytes();
        long outImage = desc.outputBytes();
        MemorySegment sc = scratch.segment();
        for (long img = 0; img < x.dim(0); img++) {
            MemorySegment xi = x.segment().asSlice(img * image, image);
            MemorySegment yi = y.segment().asSlice(img * outImage, outImage);
            if (threads == 1) {
                qs.packInput(desc, xi, sc, 2, 0, 1);
                qs.compute(desc, packedFor, sc, packed, packedBytes, bias, multipliers, yi, 0, 1);
            } else {
                // one pass fills the scratch (each part copies only planes it wrote: no barrier inside), one computes
                ctx.parallelFor(threads, t -> qs.packInput(desc, xi, sc, 2, t, threads));
                ctx.parallelFor(threads, t -> qs.compute(desc, packedFor, sc, packed, packedBytes, bias, multipliers,
                    yi, t, threads));
            }
        }
        scratch.close();
        return new Tensor[] {y};
    }
}
