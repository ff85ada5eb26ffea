package dev.sparq.backend.cpu.ref;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sparq.backend.Backend;
import dev.sparq.graph.Attribute;
import dev.sparq.graph.Node;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import dev.sparq.testing.KernelHarness;

/** Shortcuts for the cpu-ref kernel tests: run one node, compare shape and values. */
final class RefAssert {
    static final Backend REF = new CpuRefBackend();

    private RefAssert() {
    }

    /** Runs a node of {@code op} with one input per tensor and {@code outputs} outputs. */
    static Tensor[] run(String op, long opset, int outputs, Tensor[] inputs, Attribute... attrs) {
        Node n = KernelHarness.node(op, inputs.length, outputs, attrs);
        return KernelHarness.run(REF, n, opset, inputs);
    }

    static Tensor run1(String op, long opset, Tensor[] inputs, Attribute... attrs) {
        return run(op, opset, 1, inputs, attrs)[0];
    }

    static Tensor[] in(Tensor... t) {
        return t;
    }

    static Tensor f(long[] shape, float... v) {
        return Tensor.fromFloats(v, shape);
    }

    static Tensor u8(long[] shape, int... v) {
        return bytes(DType.U8, shape, v);
    }

    static Tensor i8(long[] shape, int... v) {
        return bytes(DType.I8, shape, v);
    }

    private static Tensor bytes(DType t, long[] shape, int... v) {
        byte[] b = new byte[v.length];
        for (int i = 0; i < v.length; i++) {
            b[i] = (byte) v[i];
        }
        return Tensor.fromBytes(t, b, shape);
    }

    static long[] s(long... dims) {
        return dims;
    }

    static void assertTensor(long[] shape, float[] expected, Tensor actual, float tol) {
        assertArrayEquals(shape, actual.shape(), "shape");
        assertEquals(DType.F32, actual.dtype());
        assertArrayEquals(expected, actual.toFloatArray(), tol);
    }

    static void assertTensor(DType dtype, long[] shape, long[] expected, Tensor actual) {
        assertEquals(dtype, actual.dtype());
        assertArrayEquals(shape, actual.shape(), "shape");
        assertArrayEquals(expected, actual.toLongArray());
    }
}
