package dev.sparq.conformance;

import dev.sparq.SessionOptions;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/** ONNX's node tests with cpu-native on the class path (it takes the integer ops first): still every test passes. */
class NativeConformanceTest {
    @Test
    void everyNodeTestPassesWithCpuNativeFirst() throws IOException {
        OnnxNodeConformanceTest.check(SessionOptions.builder().preference(java.util.List.of("cpu-native", "cpu-simd"))
            .threads(2).build());
    }
}
