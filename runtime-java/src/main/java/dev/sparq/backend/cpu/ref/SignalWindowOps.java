package dev.sparq.backend.cpu.ref;

import dev.sparq.backend.Kernel;
import dev.sparq.backend.KernelRegistry;
import dev.sparq.backend.KernelRequest;
import dev.sparq.backend.UnsupportedKernelException;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import java.util.function.DoubleUnaryOperator;

/**
 * HannWindow, HammingWindow, BlackmanWindow (opset 17): a window of the given size as a function of
 * θ = 2πn / N, with N = size if periodic (the default) and size − 1 if symmetric.
 */
public final class SignalWindowOps {
    private SignalWindowOps() {
    }

    public static void register(KernelRegistry r) {
        r.register("HannWindow", req -> window(req, t -> 0.5 - 0.5 * Math.cos(t)));
        r.register("HammingWindow", req -> window(req, t -> 25.0 / 46 - 21.0 / 46 * Math.cos(t)));
        r.register("BlackmanWindow", req -> window(req, t -> 0.42 - 0.5 * Math.cos(t) + 0.08 * Math.cos(2 * t)));
    }

    private static Kernel window(KernelRequest req, DoubleUnaryOperator w) {
        boolean periodic = req.node().intAttr("periodic", 1) != 0;
        int code = (int) req.node().intAttr("output_datatype", 1);
        DType type = DType.fromOnnx(code);
        if (type == null) {
            throw new UnsupportedKernelException("window output_datatype " + DType.onnxName(code));
        }
        return (in, ctx) -> {
            long size = Args.scalarLong(in[0], "size");
            if (size < 0) {
                throw new IllegalArgumentException("window size " + size + " is negative");
            }
            Tensor y = ctx.allocate(type, size);
            double n = periodic ? size : size - 1;
            for (long i = 0; i < size; i++) {
                y.setDouble(i, w.applyAsDouble(2 * Math.PI * i / n));
            }
            return new Tensor[] {y};
        };
    }
}
