package dev.sparq.backend.cpu.ref;

import static dev.sparq.testing.KernelHarness.i;
import static dev.sparq.testing.KernelHarness.s;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparq.backend.KernelRequest;
import dev.sparq.graph.Attribute;
import dev.sparq.graph.Node;
import dev.sparq.graph.ValueType;
import dev.sparq.tensor.DType;
import dev.sparq.testing.KernelHarness;
import java.lang.foreign.Arena;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What cpu-ref cannot do is reported as unsupported at planning time, never answered with something else. */
class UnsupportedCasesTest {
    private static String why(String op, long opset, int inputs, int outputs, Map<String, ValueType> types,
                              Attribute... attrs) {
        Node n = KernelHarness.node(op, inputs, outputs, attrs);
        try (Arena arena = Arena.ofConfined()) {
            return CpuRefBackend.whyUnsupported(new KernelRequest(n, opset, Map.of(), types, arena));
        }
    }

    @Test
    void quantizeToInt4IsUnsupportedButInt8IsFine() {
        assertNotNull(why("QuantizeLinear", 21, 2, 1, Map.of(), i("output_dtype", 22)));
        assertNull(why("QuantizeLinear", 21, 2, 1, Map.of(), i("output_dtype", 3)));
        // saturate only concerns float8 outputs; with an int8 output it changes nothing.
        assertNull(why("QuantizeLinear", 19, 3, 1, Map.of(), i("saturate", 0)));
    }

    @Test
    void float16ScalesAreUnsupported() {
        String why = why("DequantizeLinear", 19, 2, 1, Map.of("x1", ValueType.tensor(DType.F16)));
        assertTrue(why != null && why.contains("f16"), why);
    }

    @Test
    void oldBatchNormTrainingOutputsAreUnsupported() {
        assertNotNull(why("BatchNormalization", 9, 5, 5, Map.of()));
        assertNull(why("BatchNormalization", 9, 5, 1, Map.of()));
        assertNull(why("BatchNormalization", 15, 5, 3, Map.of(), i("training_mode", 1)));
    }

    @Test
    void unknownAutoPadAndStashTypeAreUnsupported() {
        assertNotNull(why("Conv", 11, 2, 1, Map.of(), s("auto_pad", "SAME_SIDEWAYS")));
        assertNotNull(why("LayerNormalization", 17, 2, 1, Map.of(), i("stash_type", 0)));
        assertNotNull(why("MatMul", 13, 2, 1, Map.of("x0", ValueType.tensor(DType.F64))));
    }
}
