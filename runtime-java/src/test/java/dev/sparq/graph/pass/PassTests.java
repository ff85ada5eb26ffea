package dev.sparq.graph.pass;

import dev.sparq.graph.Model;
import dev.sparq.graph.Node;
import dev.sparq.onnx.OnnxImporter;
import java.nio.file.Path;
import java.util.List;

/** What the layout-pass tests share: a model file through the graph passes, and its nodes' op types. */
final class PassTests {
    private PassTests() {
    }

    /** The file imported and optimized at level ALL (the layout passes themselves are the test's to apply). */
    static Model optimized(Path f) {
        Model m = OnnxImporter.load(f);
        GraphOptimizer.optimize(m, GraphOptimizer.Level.ALL);
        return m;
    }

    static List<String> ops(Model m) {
        return m.graph().nodes().stream().map(Node::opType).toList();
    }
}
