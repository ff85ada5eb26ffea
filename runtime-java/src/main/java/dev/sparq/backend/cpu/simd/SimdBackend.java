package dev.sparq.backend.cpu.simd;

import dev.sparq.backend.Availability;
import dev.sparq.backend.Backend;
import dev.sparq.backend.Kernel;
import dev.sparq.backend.KernelRegistry;
import dev.sparq.backend.KernelRequest;
import dev.sparq.graph.ChannelsLastConv;
import dev.sparq.graph.ClampedQuantizedOp;
import dev.sparq.graph.Node;
import dev.sparq.graph.pass.ChannelsLastLayout;
import dev.sparq.graph.pass.ConvMaxPoolFusion;
import dev.sparq.graph.pass.GraphPass;
import dev.sparq.graph.pass.PointwiseDepthwiseFusion;
import dev.sparq.graph.pass.ResidualAddFusion;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * FP32 kernels on the Java Vector API: packed, register-blocked GEMM for Conv/Gemm/MatMul with fused bias and
 * clamp activations, direct depthwise convolution, and the elementwise and pooling ops that sit between them.
 * Nodes it does not take fall back to cpu-ref, node by node.
 */
public final class SimdBackend implements Backend {
    public static final String ID = "cpu-simd";
    public static final String MS = "com.microsoft";

    private static final KernelRegistry REGISTRY = new KernelRegistry()
        .register("Conv", ConvKernels::create)
        .register(MS, "FusedConv", ConvKernels::create)
        .register("Gemm", GemmKernels::gemm)
        .register(MS, "FusedGemm", GemmKernels::gemm)
        .register(MS, "QLinearAdd", QLinearAddKernel::create)
        .register("MatMul", GemmKernels::matmul)
        .register("MatMulInteger", IntegerKernels::matMulInteger)
        .register("QLinearMatMul", IntegerKernels::qlinearMatMul)
        .register(MS, "QGemm", QGemmKernel::create)
        .register("QLinearConv", IntConvKernels::qlinearConv)
        .register(ClampedQuantizedOp.DOMAIN, "QLinearConv", IntConvKernels::qlinearConv)
        .register(ClampedQuantizedOp.DOMAIN, "QLinearAdd", QLinearAddKernel::create)
        .register(ClampedQuantizedOp.DOMAIN, "QLinearMatMul", IntegerKernels::qlinearMatMul)
        .register(ClampedQuantizedOp.DOMAIN, "QGemm", QGemmKernel::create)
        .register("ConvInteger", IntConvKernels::convInteger)
        .register("QuantizeLinear", QuantKernels::quantize)
        .register("DequantizeLinear", QuantKernels::dequantize)
        .register("Relu", ElementwiseKernels::clamp)
        .register("Clip", ElementwiseKernels::clamp)
        .register("Add", ElementwiseKernels.binary(SimdOps.Arith.ADD))
        .register("Sub", ElementwiseKernels.binary(SimdOps.Arith.SUB))
        .register("Mul", ElementwiseKernels.binary(SimdOps.Arith.MUL))
        .register("Div", ElementwiseKernels.binary(SimdOps.Arith.DIV))
        .register("Softmax", RowKernels::softmax)
        .register("LayerNormalization", RowKernels::layerNorm)
        .register("AveragePool", Pool2d::averagePool)
        .register("GlobalAveragePool", PoolKernels::globalAverage)
        .register("MaxPool", Pool2d::maxPool)
        .register(ChannelsLastConv.DOMAIN, ChannelsLastConv.OP, ChannelsLastConvKernels::create)
        .register(ChannelsLastConv.DOMAIN, ChannelsLastConv.FUSED_OP, PointwiseDepthwiseConv::create)
        .register(ChannelsLastConv.DOMAIN, ChannelsLastConv.GLOBAL_AVERAGE_POOL, PoolKernels::channelsLastGlobalAverage)
        .register(ConvMaxPoolFusion.DOMAIN, ConvMaxPoolFusion.OP, PixelGemmMaxPool::create)
        .register("Transpose", ChannelsLastTranspose::create);

    @Override
    public String id() {
        return ID;
    }

    @Override
    public String description() {
        return "Java Vector API kernels (FP32 GEMM, convolution, depthwise, elementwise; exact int8 convolution and matmul)";
    }

    @Override
    public Availability availability() {
        return Availability.available(SimdConfig.describe() + ", GEMM tile " + MicroKernel.get().mr() + "x"
            + MicroKernel.get().nr());
    }

    @Override
    public Optional<Kernel> kernelFor(KernelRequest request) {
        return REGISTRY.kernelFor(request);
    }

    /**
     * Depthwise blocks run channels-last here ({@link ChannelsLastLayout}), their large expansions fused into the
     * depthwise layers ({@link PointwiseDepthwiseFusion}), unless the optimization level is lower.
     */
    @Override
    public List<GraphPass> layoutPasses(Predicate<Node> claimed) {
        return List.of(new ChannelsLastLayout(claimed), new PointwiseDepthwiseFusion(),
            new ResidualAddFusion(claimed), new ConvMaxPoolFusion(claimed));
    }
}
