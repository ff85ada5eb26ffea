package dev.sparq.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sparq.tensor.DType;
import org.junit.jupiter.api.Test;

class MinMaxRangeTest {
    private static TensorStats stats(float... values) {
        TensorStats s = new TensorStats();
        for (float v : values) {
            s.observe(v);
        }
        return s;
    }

    @Test
    void symmetricThresholdIsTheAbsMax() {
        TensorStats s = stats(-3f, 0.5f, 2f);
        assertEquals(3.0, new MinMaxRange().threshold(s));
        TensorQuant q = QuantParams.activation("x", QuantScheme.INT8_SYMMETRIC, s, new MinMaxRange().threshold(s));
        assertEquals(3f / 127, q.scale());
        assertEquals(0, q.zeroPoint());
        assertEquals(DType.I8, q.dtype());
    }

    @Test
    void uniformDataGivesItsMaximum() {
        float[] v = Histograms.uniform(10_000, 7);
        TensorStats s = stats(v);
        double max = 0;
        for (float x : v) {
            max = Math.max(max, Math.abs(x));
        }
        assertEquals(max, new MinMaxRange().threshold(s));
    }

    @Test
    void asymmetricUsesMinAndMax() {
        TensorStats s = stats(-3f, 2f);
        TensorQuant q = QuantParams.activation("x", QuantScheme.UINT8_ASYMMETRIC, s, new MinMaxRange().threshold(s));
        assertEquals(5f / 255, q.scale(), 1e-7);
        assertEquals(153, q.zeroPoint()); // round(3 / (5/255)) = 153
        assertEquals(DType.U8, q.dtype());
    }

    @Test
    void asymmetricRangeAlwaysContainsZero() {
        TensorStats positive = stats(1f, 4f); // e.g. after ReLU + offset
        TensorQuant q = QuantParams.activation("x", QuantScheme.UINT8_ASYMMETRIC, positive, 4);
        assertEquals(0, q.zeroPoint());
        assertEquals(4f / 255, q.scale(), 1e-7);
        TensorStats negative = stats(-4f, -1f);
        assertEquals(255, QuantParams.activation("x", QuantScheme.UINT8_ASYMMETRIC, negative, 4).zeroPoint());
    }

    @Test
    void allZeroTensorGetsAPositiveScale() {
        TensorStats zeros = stats(0f, 0f);
        assertEquals(QuantParams.EMPTY_RANGE_SCALE,
            QuantParams.activation("x", QuantScheme.INT8_SYMMETRIC, zeros, 0).scale());
        assertEquals(0, QuantParams.activation("x", QuantScheme.UINT8_ASYMMETRIC, zeros, 0).zeroPoint());
    }
}
