package dev.sparq.backend.cpu.ref;

import static dev.sparq.backend.cpu.ref.RefOps.*;
import static dev.sparq.testing.KernelHarness.f;
import static dev.sparq.testing.KernelHarness.i;
import static dev.sparq.testing.KernelHarness.s;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import org.junit.jupiter.api.Test;

class UnaryOpsTest {
    @Test
    void roundIsHalfToEven() {
        assertFloats(run("Round", 11, NONE, f32(shape(7), 0.5f, 1.5f, 2.5f, -0.5f, -1.5f, 2.4f, -2.6f)),
            shape(7), 0, 2, 2, -0f, -2, 2, -3);
    }

    @Test
    void erfIsAccurate() {
        // Reference values from high-precision tables.
        assertFloats(run("Erf", 13, NONE, f32(shape(5), 0, 0.5f, 1, -2, 3)),
            shape(5), 0, 0.5204998778f, 0.8427007929f, -0.9953222650f, 0.9999779095f);
        assertEquals(0.5204998778130465, MathFunctions.erf(0.5), 1e-15);
        assertEquals(0.9999999999984626, MathFunctions.erf(5), 1e-15);
        assertEquals(1.1283791670955126e-3, MathFunctions.erf(1e-3), 1e-9);
    }

    @Test
    void clipUsesAttributesBeforeOpset11AndInputsAfter() {
        Tensor x = f32(shape(4), -3, -1, 1, 3);
        assertFloats(run("Clip", 6, attrs(f("min", -2), f("max", 2)), x), shape(4), -2, -1, 1, 2);
        assertFloats(run("Clip", 6, attrs(f("max", 0)), x), shape(4), -3, -1, 0, 0);
        // opset 13: only min given; max omitted
        assertFloats(run("Clip", 13, NONE, x, scalarF32(0), null), shape(4), 0, 0, 1, 3);
        // min > max: everything becomes max, as NumPy's clip does
        assertFloats(run("Clip", 13, NONE, x, scalarF32(2), scalarF32(1)), shape(4), 1, 1, 1, 1);
        assertLongs(run("Clip", 13, NONE, of(DType.I8, shape(3), -128, 5, 127), of(DType.I8, shape(), -10),
            of(DType.I8, shape(), 10)), DType.I8, shape(3), -10, 5, 10);
    }

    @Test
    void castTruncatesFloatsAndWrapsIntegers() {
        assertLongs(run("Cast", 13, attrs(i("to", 6)), f32(shape(4), -1.7f, 2.9f, 0.4f, -0.4f)),
            DType.I32, shape(4), -1, 2, 0, 0);
        assertLongs(run("Cast", 13, attrs(i("to", 2)), i64s(300, -1)), DType.U8, shape(2), 44, 255);
        assertBools(run("Cast", 13, attrs(i("to", 9)), f32(shape(3), 0, 0.1f, Float.NaN)), shape(3), false, true,
            true);
        Tensor half = run("Cast", 13, attrs(i("to", 10)), f32(shape(1), 1.0009765625f)); // exactly 1 + 2^-10
        assertEquals(DType.F16, half.dtype());
        assertEquals(1.0009765625, half.getDouble(0));
    }

    @Test
    void castToUnsupportedTypeHasNoKernel() {
        var node = dev.sparq.testing.KernelHarness.node("Cast", 1, 1, i("to", 8)); // STRING
        var req = new dev.sparq.backend.KernelRequest(node, 13, java.util.Map.of(), java.util.Map.of(), null);
        assertEquals("Cast to STRING", CpuRefBackend.whyUnsupported(req));
    }

    @Test
    void activations() {
        Tensor x = f32(shape(4), -2, -0.5f, 0, 3);
        assertFloats(run("Relu", 14, NONE, x), shape(4), 0, 0, 0, 3);
        assertFloats(run("LeakyRelu", 16, attrs(f("alpha", 0.1f)), x), shape(4), -0.2f, -0.05f, 0, 3);
        assertFloats(run("HardSigmoid", 6, NONE, x), shape(4), 0.1f, 0.4f, 0.5f, 1);
        assertFloats(run("HardSwish", 14, NONE, x), shape(4), -2 * (1 / 6f), -0.5f * (0.5f - 0.5f / 6), 0, 3);
        assertFloats(run("Elu", 6, NONE, x), shape(4), (float) Math.expm1(-2), (float) Math.expm1(-0.5), 0, 3);
        assertFloats(run("Softsign", 1, NONE, x), shape(4), -2f / 3, -1f / 3, 0, 0.75f);
        float selu = 1.0507009873554805f;
        assertFloats(run("Selu", 6, NONE, f32(shape(2), 1, -1)), shape(2), selu,
            (float) (1.0507009873554805 * 1.6732632423543772 * Math.expm1(-1)));
        // no overflow for large inputs
        assertFloats(run("Softplus", 1, NONE, f32(shape(3), 100, -100, 0)), shape(3), 100, (float) Math.exp(-100),
            (float) Math.log(2));
        assertFloats(run("Sigmoid", 13, NONE, f32(shape(3), -1000, 0, 1000)), shape(3), 0, 0.5f, 1);
        assertLongs(run("Relu", 14, NONE, of(DType.I32, shape(2), -5, 5)), DType.I32, shape(2), 0, 5);
    }

    @Test
    void geluExactAndTanhApproximation() {
        assertFloats(run("Gelu", 20, NONE, f32(shape(2), 1, -1)), shape(2), 0.8413447461f, -0.1586552539f);
        assertFloats(run("Gelu", 20, attrs(s("approximate", "tanh")), f32(shape(1), 1)), shape(1), 0.8411919906f);
    }

    @Test
    void integerAbsNegAndSignWrap() {
        assertLongs(run("Abs", 13, NONE, of(DType.I8, shape(3), -128, -5, 5)), DType.I8, shape(3), -128, 5, 5);
        assertLongs(run("Neg", 13, NONE, of(DType.I32, shape(2), 7, -7)), DType.I32, shape(2), -7, 7);
        assertFloats(run("Sign", 13, NONE, f32(shape(3), -2, 0, 0.1f)), shape(3), -1, 0, 1);
    }

    @Test
    void preluBroadcastsSlope() {
        assertFloats(run("PRelu", 16, NONE, f32(shape(2, 3), -1, -1, -1, 1, -2, 1), f32(shape(3), 1, 2, 3)),
            shape(2, 3), -1, -2, -3, 1, -4, 1);
    }

    @Test
    void isNaNAndIsInf() {
        Tensor x = f32(shape(4), Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 1);
        assertBools(run("IsNaN", 13, NONE, x), shape(4), true, false, false, false);
        assertBools(run("IsInf", 10, NONE, x), shape(4), false, true, true, false);
        assertBools(run("IsInf", 10, attrs(i("detect_negative", 0)), x), shape(4), false, true, false, false);
    }

    @Test
    void dropoutIsIdentityWithAllTrueMask() {
        Tensor x = f32(shape(2), 1, 2);
        Tensor[] out = runAll("Dropout", 13, 2, NONE, x, scalarF32(0.5f));
        assertFloats(out[0], shape(2), 1, 2);
        assertBools(out[1], shape(2), true, true);
        // opset 7: the mask has the input's type
        Tensor[] old = runAll("Dropout", 7, 2, attrs(f("ratio", 0.5f)), x);
        assertFloats(old[1], shape(2), 1, 1);
        assertEquals(1, runAll("Dropout", 13, 1, NONE, x).length);
    }

    @Test
    void identityCopies() {
        Tensor x = i64s(1, 2, 3);
        Tensor y = run("Identity", 16, NONE, x);
        x.setLong(0, 9);
        assertLongs(y, DType.I64, shape(3), 1, 2, 3);
    }

    @Test
    void castLikeTakesTheSecondInputsType() {
        assertLongs(run("CastLike", 15, NONE, f32(shape(2), 2.7f, -2.7f), of(DType.I8, shape(), 0)), DType.I8,
            shape(2), 2, -2);
    }

    @Test
    void moreActivations() {
        Tensor x = f32(shape(4), -2, -0.25f, 0.25f, 2);
        assertFloats(run("ThresholdedRelu", 10, attrs(f("alpha", 0.5f)), x), shape(4), 0, 0, 0, 2);
        assertFloats(run("Shrink", 9, attrs(f("lambd", 0.5f), f("bias", 1)), x), shape(4), -1, 0, 0, 1);
        assertFloats(run("Celu", 12, attrs(f("alpha", 2)), x), shape(4), (float) (2 * Math.expm1(-1)),
            (float) (2 * Math.expm1(-0.125)), 0.25f, 2);
        assertFloats(run("Asinh", 9, NONE, f32(shape(1), 1)), shape(1), 0.8813735870f);
        assertFloats(run("Atanh", 9, NONE, f32(shape(1), 0.5f)), shape(1), 0.5493061443f);
        assertFloats(run("Acosh", 9, NONE, f32(shape(1), 2)), shape(1), 1.3169578969f);
    }

    @Test
    void dropoutWithRuntimeTrainingModeHasNoKernel() {
        var node = dev.sparq.testing.KernelHarness.node("Dropout", 3, 1);
        var req = new dev.sparq.backend.KernelRequest(node, 13, java.util.Map.of(), java.util.Map.of(), null);
        assertEquals("Dropout in training mode (training_mode not a constant false)",
            CpuRefBackend.whyUnsupported(req));
        var constantFalse = java.util.Map.of("x2", bools(shape(), false));
        var inference = new dev.sparq.backend.KernelRequest(node, 13, constantFalse, java.util.Map.of(), null);
        assertNull(CpuRefBackend.whyUnsupported(inference));
    }

    @Test
    void castOpset1NamesTheTypeAsAString() {
        assertLongs(run("Cast", 1, attrs(s("to", "INT32")), f32(shape(2), 1.9f, -1.9f)), DType.I32, shape(2), 1, -1);
    }

    @Test
    void mathFunctionsOnEachFloatingType() {
        assertFloats(run("Floor", 13, NONE, f32(shape(2), -1.5f, 1.5f)), shape(2), -2, 1);
        assertFloats(run("Ceil", 13, NONE, f32(shape(2), -1.5f, 1.5f)), shape(2), -1, 2);
        assertFloats(run("Reciprocal", 13, NONE, f32(shape(2), 4, -0.5f)), shape(2), 0.25f, -2);
        assertFloats(run("Log", 13, NONE, f32(shape(2), 1, 0)), shape(2), 0, Float.NEGATIVE_INFINITY);
        assertFloats(run("Sqrt", 13, NONE, f32(shape(2), 4, -1)), shape(2), 2, Float.NaN);
        assertFloats(run("Tanh", 13, NONE, f32(shape(1), 0.5f)), shape(1), (float) Math.tanh(0.5));
        assertFloats(run("Sin", 7, NONE, f32(shape(1), 1)), shape(1), (float) Math.sin(1));
        assertFloats(run("Cos", 7, NONE, f32(shape(1), 1)), shape(1), (float) Math.cos(1));
        // double stays double
        Tensor d = Tensor.allocate(DType.F64, 2);
        d.setDouble(1, 1);
        Tensor e = run("Exp", 13, NONE, d);
        assertEquals(DType.F64, e.dtype());
        assertEquals(Math.E, e.getDouble(1));
        // half precision: computed in double, rounded once to the nearest half
        Tensor h = Tensor.allocate(DType.F16, 1);
        h.setDouble(0, 2);
        assertEquals(Float.float16ToFloat(Float.floatToFloat16((float) Math.sqrt(2))),
            run("Sqrt", 13, NONE, h).getDouble(0));
    }

    @Test
    void halfPrecisionAddRoundsTiesToEven() {
        Tensor one = Tensor.allocate(DType.F16, 1);
        one.setDouble(0, 1);
        Tensor tiny = Tensor.allocate(DType.F16, 1);
        tiny.setDouble(0, Math.scalb(1.0, -11)); // half an ulp of 1.0 in f16
        Tensor sum = run("Add", 14, NONE, one, tiny);
        assertEquals(DType.F16, sum.dtype());
        assertEquals(1.0, sum.getDouble(0));
    }
}
