package dev.sparq.backend.cpu.ref;

/**
 * Walks every coordinate of an iteration shape in C order while keeping, for each operand, the flat element offset
 * that coordinate maps to under the operand's strides. A stride of 0 repeats an element (broadcasting, or the
 * reduced axes of a reduction's output); negative strides walk backwards (Slice with negative steps).
 *
 * <p>Usage: {@code for (long i = 0; i < n; i++) { use(c.offset(k)); c.advance(); }}. The shared iterator behind
 * broadcasting binary ops, reductions, Expand, Transpose and Slice.
 */
final class StridedCursor {
    private final long[] shape;
    private final long[][] strides;
    private final long[] coord;
    private final long[] offsets;

    private StridedCursor(long[] shape, long[] starts, long[][] strides) {
        this.shape = shape.clone();
        this.strides = strides;
        this.coord = new long[shape.length];
        this.offsets = starts == null ? new long[strides.length] : starts.clone();
        for (long[] s : strides) {
            if (s.length != shape.length) {
                throw new IllegalStateException("stride rank " + s.length + " != iteration rank " + shape.length);
            }
        }
    }

    StridedCursor(long[] shape, long[]... strides) {
        this(shape, null, strides);
    }

    /** A cursor whose operand k starts at offset {@code starts[k]} rather than 0. */
    static StridedCursor startingAt(long[] shape, long[] starts, long[]... strides) {
        return new StridedCursor(shape, starts, strides);
    }

    long offset(int operand) {
        return offsets[operand];
    }

    /** Current coordinate along {@code axis}. */
    long coord(int axis) {
        return coord[axis];
    }

    /** Moves to the next coordinate in C order (a no-op past the last one wraps back to the start). */
    void advance() {
        for (int ax = shape.length - 1; ax >= 0; ax--) {
            coord[ax]++;
            if (coord[ax] < shape[ax]) {
                for (int k = 0; k < offsets.length; k++) {
                    offsets[k] += strides[k][ax];
                }
                return;
            }
            coord[ax] = 0;
            for (int k = 0; k < offsets.length; k++) {
                offsets[k] -= strides[k][ax] * (shape[ax] - 1);
            }
        }
    }
}
