package dev.sparq.backend.cpu.ref;

import dev.sparq.backend.Availability;
import dev.sparq.backend.Backend;
import dev.sparq.backend.Kernel;
import dev.sparq.backend.KernelRegistry;
import dev.sparq.backend.KernelRequest;
import java.util.Optional;

/**
 * Plain scalar Java kernels for every supported operator, written for clarity: the oracle every other backend is
 * tested against. Each op family registers its kernels in one class of this package.
 */
public final class CpuRefBackend implements Backend {
    public static final String ID = "cpu-ref";

    private static final KernelRegistry REGISTRY = buildRegistry();

    private static KernelRegistry buildRegistry() {
        KernelRegistry r = new KernelRegistry();
        // Op families: each registers its own ops (one op, one place).
        ConvOps.register(r);
        PoolOps.register(r);
        MatMulOps.register(r);
        EinsumOp.register(r);
        NormalizationOps.register(r);
        QuantizeOps.register(r);
        IntegerOps.register(r);
        MicrosoftQuantOps.register(r);
        QGemmOp.register(r);
        FusedOps.register(r);
        ElementwiseOps.register(r);
        UnaryOps.register(r);
        SoftmaxOps.register(r);
        ReduceOps.register(r);
        ShapeOps.register(r);
        MovementOps.register(r);
        PadOps.register(r);
        IndexOps.register(r);
        ScatterOps.register(r);
        UniqueOp.register(r);
        ReverseSequenceOp.register(r);
        NonMaxSuppressionOp.register(r);
        SignalOps.register(r);
        LossOps.register(r);
        RecurrentOps.register(r);
        GridSampleOp.register(r);
        RoiAlignOp.register(r);
        DetOp.register(r);
        ResizeOps.register(r);
        return r;
    }

    public static KernelRegistry registry() {
        return REGISTRY;
    }

    @Override
    public String id() {
        return ID;
    }

    @Override
    public String description() {
        return "scalar Java reference kernels (the correctness oracle)";
    }

    @Override
    public Availability availability() {
        return Availability.available(REGISTRY.opTypes().size() + " operators, any CPU");
    }

    @Override
    public Optional<Kernel> kernelFor(KernelRequest request) {
        return REGISTRY.kernelFor(request);
    }

    /** Why this backend has no kernel for the node, or null if it has one. */
    public static String whyUnsupported(KernelRequest request) {
        return REGISTRY.whyUnsupported(request);
    }
}
