package dev.sparq.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class CalibratorTest {
    @Test
    void methodNamesMapToTheirSelectors() {
        assertInstanceOf(EntropyRange.class, Calibrator.forMethod("entropy").selector());
        assertInstanceOf(MinMaxRange.class, Calibrator.forMethod("minmax").selector());
        assertInstanceOf(MseRange.class, Calibrator.forMethod("mse").selector());
        PercentileRange p = assertInstanceOf(PercentileRange.class, Calibrator.forMethod("percentile").selector());
        assertEquals(99.99, p.percentile());
        assertEquals(99.9, ((PercentileRange) Calibrator.percentile(99.9).selector()).percentile());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Calibrator.forMethod("kl"));
        assertEquals("unknown calibration method 'kl'; use entropy, minmax, percentile or mse", e.getMessage());
    }

    @Test
    void configurationReturnsNewCalibrators() {
        Calibrator base = Calibrator.entropy();
        Calibrator u8 = base.scheme(QuantScheme.UINT8_ASYMMETRIC);
        assertEquals(QuantScheme.INT8_SYMMETRIC, base.scheme());
        assertEquals(QuantScheme.UINT8_ASYMMETRIC, u8.scheme());
        assertThrows(IllegalArgumentException.class, () -> base.threads(0));
    }
}
