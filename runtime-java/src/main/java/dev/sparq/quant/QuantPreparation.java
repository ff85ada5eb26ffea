package dev.sparq.quant;

import dev.sparq.graph.Model;
import dev.sparq.graph.pass.BatchNormFolding;
import dev.sparq.graph.pass.ConstantFolding;
import dev.sparq.graph.pass.DeadNodeRemoval;
import dev.sparq.graph.pass.GraphPass;
import dev.sparq.graph.pass.IdentityRemoval;
import java.util.List;

/**
 * What quantization tools do first (ONNX Runtime's pre-processing, TensorRT's builder): Identity and Dropout
 * removed, weights kept in Constant nodes become initializers, and BatchNormalization is folded into the Conv
 * before it, so the folded weight is what gets quantized per channel. The QDQ writer quantizes the graph so
 * prepared, and the calibrator calibrates it, so both see the same value names.
 */
final class QuantPreparation {
    private QuantPreparation() {
    }

    /** Prepares {@code model} in place. */
    static void apply(Model model) {
        for (GraphPass p : List.of(new IdentityRemoval(), new ConstantFolding(), new BatchNormFolding(), new DeadNodeRemoval())) {
            p.apply(model);
        }
    }
}
