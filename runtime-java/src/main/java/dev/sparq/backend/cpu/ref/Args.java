package dev.sparq.backend.cpu.ref;

import dev.sparq.backend.KernelRequest;
import dev.sparq.tensor.Tensor;

/** Reading the integer lists ONNX moved from attributes to inputs across opsets (axes, pads, starts, split…). */
final class Args {
    private Args() {
    }

    /**
     * The list from input {@code inputIndex} when the opset is at least {@code sinceOpset}, else from attribute
     * {@code attr}; null when absent. An attribute left on a newer node (invalid, but some exporters write it) is
     * used when the input is absent.
     */
    static long[] intsFromAttrOrInput(KernelRequest req, Tensor[] in, String attr, int inputIndex, int sinceOpset) {
        long[] fromInput = req.opset() < sinceOpset ? null : optionalLongs(in, inputIndex);
        return fromInput != null ? fromInput : req.node().intsAttr(attr, null);
    }

    /** Input {@code i} as longs, or null if the input is omitted. */
    static long[] optionalLongs(Tensor[] in, int i) {
        return i < in.length && in[i] != null ? Elements.longs(in[i]) : null;
    }

    static Tensor optional(Tensor[] in, int i) {
        return i < in.length ? in[i] : null;
    }

    /** A scalar (or one-element) integer input. */
    static long scalarLong(Tensor t, String what) {
        if (t.size() != 1) {
            throw new IllegalArgumentException(what + " must have one element, has shape "
                + java.util.Arrays.toString(t.shape()));
        }
        return Elements.longs(t)[0];
    }
}
