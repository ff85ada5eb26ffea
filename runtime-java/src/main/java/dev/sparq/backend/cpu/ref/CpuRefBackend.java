package dev.sparq.backend.cpu.ref;

import dev.sparq.backend.Availability;
import dev.sparq.backend.Backend;
import dev.sparq.backend.Kernel;
import dev.sparq.backend.KernelFactory;
import dev.sparq.backend.KernelRegistry;
import dev.sparq.backend.KernelRequest;
import dev.sparq.backend.UnsupportedKernelException;
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
        KernelFactory f = REGISTRY.find(request.node().domain(), request.node().opType());
        if (f == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(f.create(request));
        } catch (UnsupportedKernelException e) {
            return Optional.empty();
        }
    }

    /** Why this backend has no kernel for the node, or null if it has one. */
    public static String whyUnsupported(KernelRequest request) {
        KernelFactory f = REGISTRY.find(request.node().domain(), request.node().opType());
        if (f == null) {
            return "operator " + request.node().opType() + " is not implemented";
        }
        try {
            f.create(request);
            return null;
        } catch (UnsupportedKernelException e) {
            return e.getMessage();
        }
    }
}
