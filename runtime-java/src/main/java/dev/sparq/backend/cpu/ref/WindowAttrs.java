package dev.sparq.backend.cpu.ref;

import dev.sparq.backend.UnsupportedKernelException;
import dev.sparq.graph.Node;

/**
 * The sliding-window attributes shared by Conv, ConvTranspose, the pools and the integer convolutions, as written on
 * the node (null where absent: defaults depend on the spatial rank, known only when the kernel runs).
 */
record WindowAttrs(long[] kernelShape, long[] strides, long[] dilations, long[] pads, String autoPad,
                   boolean ceilMode) {
    /** No attributes: unit strides and dilations, no padding. */
    static final WindowAttrs NONE = new WindowAttrs(null, null, null, null, "NOTSET", false);

    static WindowAttrs of(Node n) {
        String autoPad = n.stringAttr("auto_pad", "NOTSET");
        if (!autoPad.equals("NOTSET") && !autoPad.equals("SAME_UPPER") && !autoPad.equals("SAME_LOWER")
            && !autoPad.equals("VALID")) {
            throw new UnsupportedKernelException("auto_pad '" + autoPad + "' is not supported");
        }
        return new WindowAttrs(n.intsAttr("kernel_shape", null), n.intsAttr("strides", null),
            n.intsAttr("dilations", null), n.intsAttr("pads", null), autoPad, n.intAttr("ceil_mode", 0) != 0);
    }

    boolean same() {
        return autoPad.startsWith("SAME");
    }

    /** The attribute {@code values}, or {@code fill} repeated {@code rank} times when absent; checks the length. */
    static long[] orDefault(long[] values, int rank, long fill, String what) {
        if (values == null) {
            long[] d = new long[rank];
            java.util.Arrays.fill(d, fill);
            return d;
        }
        if (values.length != rank) {
            throw new IllegalArgumentException(what + " has " + values.length + " values, expected " + rank);
        }
        return values;
    }
}
