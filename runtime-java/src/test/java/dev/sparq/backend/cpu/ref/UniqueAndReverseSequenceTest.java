package dev.sparq.backend.cpu.ref;

import static dev.sparq.backend.cpu.ref.RefOps.*;
import static dev.sparq.testing.KernelHarness.i;

import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import org.junit.jupiter.api.Test;

class UniqueAndReverseSequenceTest {
    @Test
    void uniqueSortedAndInFirstOccurrenceOrder() {
        Tensor x = f32(shape(6), 2, 1, 1, 3, 4, 3);
        Tensor[] unsorted = runAll("Unique", 11, 4, attrs(i("sorted", 0)), x);
        assertFloats(unsorted[0], shape(4), 2, 1, 3, 4);
        assertLongs(unsorted[1], DType.I64, shape(4), 0, 1, 3, 4);
        assertLongs(unsorted[2], DType.I64, shape(6), 0, 1, 1, 2, 3, 2);
        assertLongs(unsorted[3], DType.I64, shape(4), 1, 2, 2, 1);
        Tensor[] sorted = runAll("Unique", 11, 4, NONE, x);
        assertFloats(sorted[0], shape(4), 1, 2, 3, 4);
        assertLongs(sorted[1], DType.I64, shape(4), 1, 0, 3, 4);
        assertLongs(sorted[2], DType.I64, shape(6), 1, 0, 0, 2, 3, 2);
        assertLongs(sorted[3], DType.I64, shape(4), 2, 1, 2, 1);
    }

    @Test
    void uniqueSlicesAlongAxis() {
        Tensor x = i64(shape(3, 3), 2, 3, 4, 1, 0, 0, 1, 0, 0);
        Tensor[] out = runAll("Unique", 11, 4, attrs(i("axis", 0)), x);
        assertLongs(out[0], DType.I64, shape(2, 3), 1, 0, 0, 2, 3, 4);
        assertLongs(out[1], DType.I64, shape(2), 1, 0);
        assertLongs(out[2], DType.I64, shape(3), 1, 0, 0);
        assertLongs(out[3], DType.I64, shape(2), 2, 1);
    }

    @Test
    void reverseSequencePerBatchLength() {
        // time_axis 0, batch_axis 1: column b is a sequence of length lens[b]
        Tensor x = f32(shape(4, 2), 0, 10, 1, 11, 2, 12, 3, 13);
        assertFloats(run("ReverseSequence", 10, NONE, x, i64s(4, 2)), shape(4, 2), 3, 11, 2, 10, 1, 12, 0, 13);
        Tensor rows = f32(shape(2, 3), 0, 1, 2, 3, 4, 5);
        assertFloats(run("ReverseSequence", 10, attrs(i("batch_axis", 0), i("time_axis", 1)), rows, i64s(1, 3)),
            shape(2, 3), 0, 1, 2, 5, 4, 3);
    }
}
