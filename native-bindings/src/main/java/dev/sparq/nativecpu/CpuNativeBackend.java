package dev.sparq.nativecpu;

import dev.sparq.backend.Availability;
import dev.sparq.backend.Backend;
import dev.sparq.backend.Kernel;
import dev.sparq.backend.KernelRegistry;
import dev.sparq.backend.KernelRequest;
import dev.sparq.graph.ClampedQuantizedOp;
import java.util.Optional;

/**
 * Native CPU kernels through FFM: integer GEMM with the ISA's best dot-product instructions (AVX-512 VNNI, AVX-VNNI,
 * exact AVX2, NEON), picked inside the library at run time. Absent, with the reason, where the library was not built
 * or does not load.
 */
public final class CpuNativeBackend implements Backend {
    public static final String ID = "cpu-native";

    private static final KernelRegistry REGISTRY = new KernelRegistry()
        .register("MatMulInteger", IntegerGemmKernels::matMulInteger)
        .register("QLinearMatMul", SparseInt8Choice::qlinearMatMul)
        .register("QLinearConv", SparseInt8Choice::qlinearConv)
        .register(ClampedQuantizedOp.DOMAIN, "QLinearConv", SparseInt8Choice::qlinearConv)
        .register(ClampedQuantizedOp.DOMAIN, "QLinearAdd", QLinearAddKernel::create)
        .register(ClampedQuantizedOp.DOMAIN, "QLinearMatMul", SparseInt8Choice::qlinearMatMul)
        .register(ClampedQuantizedOp.DOMAIN, "QGemm", SparseInt8Choice::qgemm)
        .register("MaxPool", BytePoolKernel::create)
        .register("com.microsoft", "QLinearAdd", QLinearAddKernel::create)
        .register("com.microsoft", "QGemm", SparseInt8Choice::qgemm);

    @Override
    public String id() {
        return ID;
    }

    @Override
    public String description() {
        return "native C kernels via FFM (int8 GEMM and fused convolution: AMX / AVX-512 VNNI / AVX-VNNI / AVX2 / scalar, QLinearMatMul and QGemm with the requantization fused; 8-bit MaxPool and QLinearAdd)";
    }

    @Override
    public Availability availability() {
        CpuKernels k = CpuKernels.get();
        if (k.failure() != null) {
            return Availability.absent(k.failure());
        }
        return Availability.available("int8 GEMM path " + k.gemmPath() + ", convolution path " + k.convPath()
            + ", CPU features " + CpuFeatures.describe(k.features()));
    }

    @Override
    public Optional<Kernel> kernelFor(KernelRequest request) {
        if (CpuKernels.get().failure() != null) {
            return Optional.empty();
        }
        return REGISTRY.kernelFor(request);
    }
}
