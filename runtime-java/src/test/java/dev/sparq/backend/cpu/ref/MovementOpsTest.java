package dev.sparq.backend.cpu.ref;

import static dev.sparq.backend.cpu.ref.RefOps.*;
import static dev.sparq.testing.KernelHarness.i;
import static dev.sparq.testing.KernelHarness.ints;
import static dev.sparq.testing.KernelHarness.s;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import org.junit.jupiter.api.Test;

class MovementOpsTest {
    // [[0, 1, 2], [3, 4, 5]]
    private static Tensor x23() {
        return f32(shape(2, 3), 0, 1, 2, 3, 4, 5);
    }

    @Test
    void transposeDefaultReversesAndPermWorks() {
        assertFloats(run("Transpose", 13, NONE, x23()), shape(3, 2), 0, 3, 1, 4, 2, 5);
        Tensor x = of(DType.I8, shape(1, 2, 3), 0, 1, 2, 3, 4, 5);
        assertLongs(run("Transpose", 13, attrs(ints("perm", 2, 0, 1)), x), DType.I8, shape(3, 1, 2), 0, 3, 1, 4, 2, 5);
    }

    @Test
    void concatAlongNegativeAxis() {
        assertFloats(run("Concat", 13, attrs(i("axis", -1)), x23(), f32(shape(2, 1), 9, 8)), shape(2, 4),
            0, 1, 2, 9, 3, 4, 5, 8);
        assertFloats(run("Concat", 13, attrs(i("axis", 0)), x23(), f32(shape(0, 3))), shape(2, 3), 0, 1, 2, 3, 4, 5);
        assertThrows(IllegalArgumentException.class, () -> run("Concat", 13, attrs(i("axis", 0)), x23(),
            f32(shape(1, 2), 1, 2)));
    }

    @Test
    void splitSizesByOpset() {
        Tensor x = f32(shape(5), 0, 1, 2, 3, 4);
        Tensor[] a = runAll("Split", 11, 2, attrs(ints("split", 2, 3)), x);
        assertFloats(a[0], shape(2), 0, 1);
        assertFloats(a[1], shape(3), 2, 3, 4);
        Tensor[] b = runAll("Split", 13, 2, NONE, x, i64s(4, 1));
        assertFloats(b[1], shape(1), 4);
        // opset 18 num_outputs: ceil(5/3) = 2, last part smaller
        Tensor[] c = runAll("Split", 18, 3, attrs(i("num_outputs", 3)), x);
        assertFloats(c[0], shape(2), 0, 1);
        assertFloats(c[2], shape(1), 4);
        // without sizes, equal parts must divide the axis before opset 18
        assertThrows(IllegalArgumentException.class, () -> runAll("Split", 13, 2, NONE, x));
        Tensor[] d = runAll("Split", 13, 3, attrs(i("axis", 1)), x23());
        assertFloats(d[1], shape(2, 1), 1, 4);
    }

    @Test
    void sliceAttributesBeforeOpset10() {
        assertFloats(run("Slice", 9, attrs(ints("starts", 1), ints("ends", 1000), ints("axes", 1)), x23()),
            shape(2, 2), 1, 2, 4, 5);
    }

    @Test
    void sliceNegativeStepsAndClamping() {
        Tensor x = f32(shape(5), 0, 1, 2, 3, 4);
        assertFloats(run("Slice", 13, NONE, x, i64s(-1), i64s(Long.MIN_VALUE), i64s(0), i64s(-2)), shape(3), 4, 2, 0);
        assertFloats(run("Slice", 13, NONE, x, i64s(10), i64s(0), null, i64s(-1)), shape(4), 4, 3, 2, 1);
        assertFloats(run("Slice", 13, NONE, x, i64s(1), i64s(Long.MAX_VALUE), null, i64s(3)), shape(2), 1, 4);
        assertFloats(run("Slice", 13, NONE, x, i64s(3), i64s(1)), shape(0));
        assertFloats(run("Slice", 13, NONE, f32(shape(0)), i64s(-1), i64s(Long.MIN_VALUE), null, i64s(-1)), shape(0));
        assertFloats(run("Slice", 13, NONE, x23(), i64s(0, -1), i64s(2, -4), i64s(0, 1), i64s(1, -1)),
            shape(2, 3), 2, 1, 0, 5, 4, 3);
    }

    @Test
    void gatherWithNegativeIndices() {
        assertFloats(run("Gather", 13, attrs(i("axis", 1)), x23(), i64s(-1, 0)), shape(2, 2), 2, 0, 5, 3);
        assertFloats(run("Gather", 13, NONE, x23(), i64(shape(2, 1), 1, 0)), shape(2, 1, 3), 3, 4, 5, 0, 1, 2);
        assertFloats(run("Gather", 13, NONE, x23(), scalarI64(1)), shape(3), 3, 4, 5);
        assertThrows(IllegalArgumentException.class, () -> run("Gather", 13, NONE, x23(), i64s(2)));
    }

    @Test
    void gatherElementsReplacesTheAxisCoordinate() {
        assertFloats(run("GatherElements", 13, attrs(i("axis", 1)), x23(), i64(shape(2, 2), 2, 0, -1, 1)),
            shape(2, 2), 2, 0, 5, 4);
        assertFloats(run("GatherElements", 13, NONE, x23(), i64(shape(1, 3), 1, 0, 1)), shape(1, 3), 3, 1, 5);
    }

    @Test
    void tileRepeatsEachAxis() {
        assertFloats(run("Tile", 13, NONE, f32(shape(2, 2), 1, 2, 3, 4), i64s(2, 2)), shape(4, 4),
            1, 2, 1, 2, 3, 4, 3, 4, 1, 2, 1, 2, 3, 4, 3, 4);
        assertFloats(run("Tile", 13, NONE, f32(shape(2), 1, 2), i64s(0)), shape(0));
    }

    @Test
    void depthToSpaceModes() {
        float[] v = new float[8];
        for (int k = 0; k < 8; k++) {
            v[k] = k;
        }
        // x[0, c, 0, w] with C=4, H=1, W=2, blocksize 2 -> [1, 1, 2, 4]
        Tensor x = f32(shape(1, 4, 1, 2), v);
        // DCR: out[h*2+bh, w*2+bw] = x[bh*2+bw, h, w]
        assertFloats(run("DepthToSpace", 13, attrs(i("blocksize", 2)), x), shape(1, 1, 2, 4),
            0, 2, 1, 3, 4, 6, 5, 7);
        // CRD with one output channel: channel index bh*2+bw too, so the same here; 2 out channels would differ
        Tensor x8 = f32(shape(1, 8, 1, 1), v);
        assertFloats(run("DepthToSpace", 13, attrs(i("blocksize", 2), s("mode", "CRD")), x8), shape(1, 2, 2, 2),
            0, 1, 2, 3, 4, 5, 6, 7);
        assertFloats(run("DepthToSpace", 13, attrs(i("blocksize", 2)), x8), shape(1, 2, 2, 2),
            0, 2, 4, 6, 1, 3, 5, 7);
    }

    @Test
    void spaceToDepthInvertsDepthToSpaceDcr() {
        float[] v = new float[16];
        for (int k = 0; k < 16; k++) {
            v[k] = k;
        }
        Tensor x = f32(shape(1, 1, 4, 4), v);
        Tensor d = run("SpaceToDepth", 13, attrs(i("blocksize", 2)), x);
        assertFloats(d.reshape(16), shape(16), 0, 2, 8, 10, 1, 3, 9, 11, 4, 6, 12, 14, 5, 7, 13, 15);
        Tensor back = run("DepthToSpace", 13, attrs(i("blocksize", 2)), d);
        assertFloats(back, shape(1, 1, 4, 4), v);
        assertEquals(DType.F32, back.dtype());
    }

    @Test
    void opset1SplitAndTileTakeOtherInputs() {
        Tensor x = f32(shape(3), 0, 1, 2);
        Tensor[] parts = runAll("Split", 1, 2, NONE, x, i64s(1, 2));
        assertFloats(parts[1], shape(2), 1, 2);
        // Tile-1: (input, tiles, axis)
        assertFloats(run("Tile", 1, NONE, x23(), scalarI64(2), scalarI64(0)), shape(4, 3),
            0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5);
    }
}
