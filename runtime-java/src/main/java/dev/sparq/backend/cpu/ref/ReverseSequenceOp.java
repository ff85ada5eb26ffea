package dev.sparq.backend.cpu.ref;

import dev.sparq.backend.Kernel;
import dev.sparq.backend.KernelRegistry;
import dev.sparq.backend.KernelRequest;
import dev.sparq.tensor.Shapes;
import dev.sparq.tensor.Tensor;

/** ReverseSequence: for each batch entry b, reverses the first sequence_lens[b] steps along the time axis. */
public final class ReverseSequenceOp {
    private ReverseSequenceOp() {
    }

    public static void register(KernelRegistry r) {
        r.register("ReverseSequence", ReverseSequenceOp::reverseSequence);
    }

    private static Kernel reverseSequence(KernelRequest req) {
        long batchAttr = req.node().intAttr("batch_axis", 1);
        long timeAttr = req.node().intAttr("time_axis", 0);
        return (in, ctx) -> {
            Tensor x = in[0];
            long[] lengths = Elements.longs(in[1]);
            long[] shape = x.shape();
            int batchAxis = Shapes.axis(batchAttr, shape.length, "batch_axis");
            int timeAxis = Shapes.axis(timeAttr, shape.length, "time_axis");
            if (batchAxis == timeAxis || lengths.length != shape[batchAxis]) {
                throw new IllegalArgumentException("ReverseSequence needs distinct batch and time axes and one length"
                    + " per batch entry");
            }
            long timeStride = Shapes.strides(shape)[timeAxis];
            Tensor y = ctx.allocate(x.dtype(), shape);
            StridedCursor c = new StridedCursor(shape);
            for (long i = 0; i < y.size(); i++, c.advance()) {
                long t = c.coord(timeAxis);
                long length = Axes.clamp(lengths[(int) c.coord(batchAxis)], 0, shape[timeAxis]);
                long sourceT = t < length ? length - 1 - t : t;
                Elements.convert(x, i + (sourceT - t) * timeStride, y, i);
            }
            return new Tensor[] {y};
        };
    }
}
