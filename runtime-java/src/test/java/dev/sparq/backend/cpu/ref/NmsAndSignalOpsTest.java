package dev.sparq.backend.cpu.ref;

import static dev.sparq.backend.cpu.ref.RefOps.*;
import static dev.sparq.testing.KernelHarness.i;

import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import org.junit.jupiter.api.Test;

class NmsAndSignalOpsTest {
    // Box 1 overlaps box 0 with IoU 0.9 / 1.1 = 0.82; box 2 is far away.
    private static Tensor boxes() {
        return f32(shape(1, 3, 4), 0, 0, 1, 1, 0, 0.1f, 1, 1.1f, 0, 10, 1, 11);
    }

    private static Tensor scores() {
        return f32(shape(1, 1, 3), 0.8f, 0.9f, 0.7f);
    }

    @Test
    void nmsKeepsTheBestOfOverlappingBoxes() {
        Tensor y = run("NonMaxSuppression", 11, NONE, boxes(), scores(), i64s(3), f32(shape(1), 0.5f));
        assertLongs(y, DType.I64, shape(2, 3), 0, 0, 1, 0, 0, 2);
        // a higher IoU threshold keeps all three, by descending score
        Tensor all = run("NonMaxSuppression", 11, NONE, boxes(), scores(), i64s(3), f32(shape(1), 0.9f));
        assertLongs(all, DType.I64, shape(3, 3), 0, 0, 1, 0, 0, 0, 0, 0, 2);
    }

    @Test
    void nmsScoreThresholdAndLimit() {
        Tensor y = run("NonMaxSuppression", 11, NONE, boxes(), scores(), i64s(3), f32(shape(1), 0.5f),
            f32(shape(1), 0.75f));
        assertLongs(y, DType.I64, shape(1, 3), 0, 0, 1);
        Tensor one = run("NonMaxSuppression", 11, NONE, boxes(), scores(), i64s(1), f32(shape(1), 0.5f));
        assertLongs(one, DType.I64, shape(1, 3), 0, 0, 1);
        // max_output_boxes_per_class omitted means 0: nothing selected
        assertLongs(run("NonMaxSuppression", 11, NONE, boxes(), scores()), DType.I64, shape(0, 3));
    }

    @Test
    void nmsCenterPointFormat() {
        // the same three boxes as [x_center, y_center, width, height]
        Tensor centers = f32(shape(1, 3, 4), 0.5f, 0.5f, 1, 1, 0.6f, 0.5f, 1, 1, 10.5f, 0.5f, 1, 1);
        Tensor y = run("NonMaxSuppression", 11, attrs(i("center_point_box", 1)), centers, scores(), i64s(3),
            f32(shape(1), 0.5f));
        assertLongs(y, DType.I64, shape(2, 3), 0, 0, 1, 0, 0, 2);
    }

    @Test
    void windowsPeriodicAndSymmetric() {
        assertFloats(run("HannWindow", 17, NONE, scalarI64(4)), shape(4), 0, 0.5f, 1, 0.5f);
        assertFloats(run("HannWindow", 17, attrs(i("periodic", 0)), scalarI64(3)), shape(3), 0, 1, 0);
        assertFloats(run("HammingWindow", 17, NONE, scalarI64(2)), shape(2), 4f / 46, 1);
        assertFloats(run("BlackmanWindow", 17, NONE, scalarI64(2)), shape(2), 0, 1);
        assertLongs(run("HannWindow", 17, attrs(i("output_datatype", 7)), scalarI64(2)), DType.I64, shape(2), 0, 1);
    }

    @Test
    void dftForwardInverseOnesidedAndLength() {
        Tensor x = f32(shape(1, 4, 1), 1, 2, 3, 4); // one real signal
        Tensor spectrum = run("DFT", 17, NONE, x);
        assertFloats(spectrum, shape(1, 4, 2), 10, 0, -2, 2, -2, 0, -2, -2);
        assertFloats(run("DFT", 17, attrs(i("onesided", 1)), x), shape(1, 3, 2), 10, 0, -2, 2, -2, 0);
        assertFloats(run("DFT", 17, attrs(i("inverse", 1)), spectrum), shape(1, 4, 2), 1, 0, 2, 0, 3, 0, 4, 0);
        assertFloats(run("DFT", 17, NONE, x, scalarI64(2)), shape(1, 2, 2), 3, 0, -1, 0); // truncated to [1, 2]
        // opset 20: the axis is input 2, counted on the input's dims (−2 = the last signal dim)
        assertFloats(run("DFT", 20, NONE, x, null, scalarI64(-2)), shape(1, 4, 2), 10, 0, -2, 2, -2, 0, -2, -2);
    }

    @Test
    void stftFramesEveryStep() {
        Tensor signal = f32(shape(1, 4, 1), 1, 2, 3, 4);
        // frames [1, 2] and [3, 4]; two-point DFTs [a + b, a − b]
        assertFloats(run("STFT", 17, NONE, signal, scalarI64(2), null, scalarI64(2)), shape(1, 2, 2, 2),
            3, 0, -1, 0, 7, 0, -1, 0);
        assertFloats(run("STFT", 17, NONE, signal, scalarI64(2), f32(shape(2), 0, 1)), shape(1, 2, 2, 2),
            2, 0, -2, 0, 4, 0, -4, 0);
    }
}
