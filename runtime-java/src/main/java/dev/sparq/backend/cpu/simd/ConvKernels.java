package dev.sparq.backend.cpu.simd;

import dev.sparq.backend.geometry.ConvAttributes;
import dev.sparq.backend.geometry.ConvGeometry2d;
import dev.sparq.backend.ExecutionContext;
import dev.sparq.backend.Kernel;
import dev.sparq.backend.KernelRequest;
import dev.sparq.backend.UnsupportedKernelException;
import dev.sparq.graph.Node;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * 2-D convolution (ONNX Conv and com.microsoft FusedConv) with constant weights: grouped or not, as a packed GEMM
 * per image and group (1×1 stride-1 convolutions read the image directly, others through {@link Im2colSource});
 * depthwise convolutions run {@link DepthwiseConv}. Bias and a clamp activation are fused into the store.
 */
final class ConvKernels {
    /**
     * -Dsparq.winograd=true turns on Winograd F(4×4,3×3) for 3×3 stride-1 convolutions. Off by default: measured on
     * ResNet-18 it is not yet faster than im2col GEMM here (its output transform scatters to NCHW element by
     * element, and at 7×7 and 14×14 its 4× larger weights make the GEMMs memory-bound); see benchmarks/RESULTS.md.
     */
    static final boolean WINOGRAD = Boolean.getBoolean("sparq.winograd");

    private ConvKernels() {
    }

    static Kernel create(KernelRequest r) {
        Node n = r.node();
        Tensor w = r.constantInput(1);
        if (w == null || w.dtype() != DType.F32 || w.rank() != 4) {
            throw new UnsupportedKernelException("cpu-simd Conv needs constant f32 4-D weights");
        }
        if (r.inputType(0).dtype() != null && r.inputType(0).dtype() != DType.F32) {
            throw new UnsupportedKernelException("cpu-simd Conv runs f32 only");
        }
        Tensor b = n.hasInput(2) ? r.constantInput(2) : null;
        if (n.hasInput(2) && b == null) {
            throw new UnsupportedKernelException("cpu-simd Conv needs a constant bias");
        }
        Activation act = n.opType().equals("FusedConv") ? Activation.ofFused(n) : Activation.NONE;
        ConvAttributes attrs = ConvAttributes.of(n, w);
        int group = (int) n.intAttr("group", 1);
        int cout = (int) w.dim(0);
        if (group < 1 || cout % group != 0) {
            throw new UnsupportedKernelException("bad group " + group);
        }
        float[] bias = new float[cout];
        if (b != null) {
            if (b.size() != cout) {
                throw new UnsupportedKernelException("bias has " + b.size() + " values for " + cout + " channels");
            }
            for (int i = 0; i < cout; i++) {
                bias[i] = b.getFloat(i);
            }
        }
        if (WINOGRAD && group == 1 && attrs.kh() == 3 && attrs.kw() == 3 && attrs.sh() == 1 && attrs.sw() == 1
            && attrs.dh() == 1 && attrs.dw() == 1 && w.dim(1) >= 8 && cout >= 8) {
            return new WinogradConv(attrs, w, bias, act);
        }
        if (group > 1 && w.dim(1) == 1 && cout == group) {
            return new DepthwiseConv(attrs, weights(w), bias, act);
        }
        int coutPerGroup = cout / group;
        int depth = (int) (w.dim(1) * w.dim(2) * w.dim(3));
        PackedMatrix[] packed = new PackedMatrix[group];
        Epilogue[] epilogues = new Epilogue[group];
        for (int g = 0; g < group; g++) {
            int first = g * coutPerGroup;
            packed[g] = new PackedMatrix(coutPerGroup, depth, MicroKernel.MR,
                (row, k) -> w.getFloat((long) (first + row) * depth + k));
            epilogues[g] = act.epilogue(Arrays.copyOfRange(bias, first, first + coutPerGroup), null);
        }
        return new GemmConv(attrs, packed, epilogues, (int) w.dim(1));
    }

    private static float[] weights(Tensor w) {
        return w.toFloatArray();
    }

    /** Convolution as GEMM per image and group: out[g] = W[g] · im2col(x[g]). */
    private record GemmConv(ConvAttributes attrs, PackedMatrix[] packed, Epilogue[] epilogues, int cinPerGroup)
        implements Kernel {
        @Override
        public Tensor[] run(Tensor[] inputs, ExecutionContext ctx) {
            Tensor x = inputs[0];
            int groups = packed.length;
            ConvAttributes.checkInput(x, cinPerGroup * groups);
            ConvGeometry2d full = attrs.geometry(x, cinPerGroup);
            int coutPerGroup = packed[0].rows();
            long batch = x.dim(0);
            Tensor out = ctx.allocateUninitialized(DType.F32, batch, (long) coutPerGroup * groups, full.oh(), full.ow());
            MemorySegment xs = x.segment();
            MemorySegment os = out.segment();
            long pixels = full.outputPixels();
            long imageIn = (long) cinPerGroup * groups * full.h() * full.w();
            for (long img = 0; img < batch; img++) {
                for (int g = 0; g < groups; g++) {
                    long inOff = img * imageIn + (long) g * cinPerGroup * full.h() * full.w();
                    PanelSource src = full.isPointwise()
                        ? new RowMajorSource(xs, inOff, (int) pixels, cinPerGroup, pixels, true)
                        : new PaddedIm2colSource(xs, inOff, full);
                    long outOff = (img * groups + g) * coutPerGroup * pixels;
                    Gemm.run(packed[g], src, os, outOff, pixels, epilogues[g], ctx);
                }
            }
            return new Tensor[] {out};
        }
    }
}
