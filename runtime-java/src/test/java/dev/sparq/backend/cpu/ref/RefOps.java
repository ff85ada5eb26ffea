package dev.sparq.backend.cpu.ref;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sparq.graph.Attribute;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import dev.sparq.testing.KernelHarness;

/** Short helpers for cpu-ref kernel tests: build tensors, run one node, compare with hand-computed values. */
final class RefOps {
    static final CpuRefBackend BACKEND = new CpuRefBackend();

    private RefOps() {
    }

    static long[] shape(long... dims) {
        return dims;
    }

    static Attribute[] attrs(Attribute... a) {
        return a;
    }

    static final Attribute[] NONE = {};

    /** Runs a one-output node. */
    static Tensor run(String op, long opset, Attribute[] attrs, Tensor... inputs) {
        return runAll(op, opset, 1, attrs, inputs)[0];
    }

    static Tensor[] runAll(String op, long opset, int outputs, Attribute[] attrs, Tensor... inputs) {
        return KernelHarness.run(BACKEND, KernelHarness.node(op, inputs.length, outputs, attrs), opset, inputs);
    }

    static Tensor f32(long[] shape, float... v) {
        return Tensor.fromFloats(v, shape);
    }

    static Tensor i64(long[] shape, long... v) {
        return Tensor.fromLongs(v, shape);
    }

    static Tensor i64s(long... v) {
        return Tensor.fromLongs(v, v.length);
    }

    static Tensor scalarI64(long v) {
        return Tensor.fromLongs(new long[] {v});
    }

    static Tensor scalarF32(float v) {
        return Tensor.fromFloats(new float[] {v});
    }

    /** Any dtype from long values (wrapping like NumPy's astype). */
    static Tensor of(DType dtype, long[] shape, long... v) {
        Tensor t = Tensor.allocate(dtype, shape);
        for (int i = 0; i < v.length; i++) {
            t.setLong(i, v[i]);
        }
        assertEquals(v.length, t.size(), "test tensor size");
        return t;
    }

    static Tensor bools(long[] shape, boolean... v) {
        Tensor t = Tensor.allocate(DType.BOOL, shape);
        for (int i = 0; i < v.length; i++) {
            t.setLong(i, v[i] ? 1 : 0);
        }
        return t;
    }

    static void assertFloats(Tensor t, long[] shape, float... expected) {
        assertEquals(DType.F32, t.dtype(), "dtype");
        assertArrayEquals(shape, t.shape(), "shape");
        float[] actual = t.toFloatArray();
        for (int i = 0; i < expected.length; i++) {
            float tol = 1e-6f * Math.max(1, Math.abs(expected[i]));
            if (Float.isNaN(expected[i])) {
                assertEquals(Float.NaN, actual[i], "element " + i);
            } else {
                assertEquals(expected[i], actual[i], tol, "element " + i);
            }
        }
        assertEquals(expected.length, actual.length, "element count");
    }

    static void assertLongs(Tensor t, DType dtype, long[] shape, long... expected) {
        assertEquals(dtype, t.dtype(), "dtype");
        assertArrayEquals(shape, t.shape(), "shape");
        assertArrayEquals(expected, t.toLongArray());
    }

    static void assertBools(Tensor t, long[] shape, boolean... expected) {
        long[] e = new long[expected.length];
        for (int i = 0; i < e.length; i++) {
            e[i] = expected[i] ? 1 : 0;
        }
        assertLongs(t, DType.BOOL, shape, e);
    }
}
