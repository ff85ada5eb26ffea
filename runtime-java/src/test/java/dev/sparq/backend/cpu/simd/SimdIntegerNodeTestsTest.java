package dev.sparq.backend.cpu.simd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.sparq.backend.Backend;
import dev.sparq.graph.Model;
import dev.sparq.graph.Node;
import dev.sparq.onnx.OnnxImporter;
import dev.sparq.onnx.OnnxTensors;
import dev.sparq.onnx.proto.Onnx.TensorProto;
import dev.sparq.tensor.Tensor;
import dev.sparq.testing.KernelHarness;
import dev.sparq.testing.SharedData;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * ONNX's own node tests for the integer ops, run on cpu-simd's kernels directly (weights and quantization
 * parameters given as constants, as in a real model; the conformance runner feeds them as graph inputs, which
 * cpu-simd declines, so it would test cpu-ref instead). Exact: the expected integers, bit for bit.
 */
class SimdIntegerNodeTestsTest {
    private static final Backend SIMD = new SimdBackend();

    @ParameterizedTest
    @ValueSource(strings = {"test_qlinearconv", "test_qlinearmatmul_2D", "test_basic_convinteger",
        "test_convinteger_with_padding", "test_convinteger_without_padding", "test_matmulinteger"})
    void nodeTestGivesTheExpectedIntegersOnCpuSimd(String test) throws Exception {
        Path dir = SharedData.nodeTests().resolve(test);
        try (Model model = OnnxImporter.load(dir.resolve("model.onnx")); Arena arena = Arena.ofShared()) {
            assertEquals(1, model.graph().nodes().size());
            Node node = model.graph().nodes().get(0);
            Path set = dir.resolve("test_data_set_0");
            Tensor[] inputs = new Tensor[node.inputs().size()];
            for (int i = 0; i < inputs.length; i++) {
                inputs[i] = read(set.resolve("input_" + i + ".pb"), arena);
            }
            Tensor want = read(set.resolve("output_0.pb"), arena);
            // Everything but the activation is a constant (initializer) in a real quantized model.
            Tensor got = KernelHarness.run(SIMD, node, model.opset(""), 1, inputs)[0];
            assertEquals(want.dtype(), got.dtype(), test);
            assertArrayEquals(want.shape(), got.shape(), test);
            assertArrayEquals(want.toLongArray(), got.toLongArray(), test);
            got.close();
        }
    }

    private static Tensor read(Path file, Arena arena) throws java.io.IOException {
        return OnnxTensors.toTensor(TensorProto.parseFrom(Files.readAllBytes(file)), arena, null);
    }
}
