package dev.sparq.compress;

import dev.sparq.graph.Graph;
import dev.sparq.graph.Model;
import dev.sparq.graph.Node;
import dev.sparq.graph.ShapeInference;
import dev.sparq.graph.ValueInfo;
import dev.sparq.graph.ValueType;
import dev.sparq.onnx.OnnxExporter;
import dev.sparq.onnx.OnnxImporter;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HashSet;
import java.util.Set;

/** The model surgery the compression tools share: a private copy, initializer replacement, re-inferred types. */
final class ModelEdits {
    private ModelEdits() {
    }

    /** A deep copy with its own memory (through the exporter), so the source model is never touched. */
    static Model copy(Model source) {
        return OnnxImporter.fromProto(OnnxExporter.toProto(source), null, source.source());
    }

    /** Stores {@code values} with {@code shape} as the float32 initializer {@code name} (new or replaced). */
    static void putFloats(Model model, String name, float[] values, long... shape) {
        Tensor t = Tensor.allocate(DType.F32, shape, model.arena());
        MemorySegment.copy(values, 0, t.segment(), ValueLayout.JAVA_FLOAT, 0, values.length);
        model.graph().initializers().put(name, t);
        model.graph().setType(name, ValueType.tensor(DType.F32, shape));
    }

    /**
     * Forgets the types of every value the nodes compute (graph outputs keep theirs) and infers them again: a
     * rewrite that changes channel counts must not leave stale shapes in the file's value_info.
     */
    static void reinferTypes(Model model) {
        Graph g = model.graph();
        Set<String> keep = new HashSet<>();
        g.outputs().stream().map(ValueInfo::name).forEach(keep::add);
        for (Node n : g.nodes()) {
            for (String out : n.outputs()) {
                if (!keep.contains(out)) {
                    g.types().remove(out);
                }
            }
        }
        ShapeInference.run(model);
    }

    static long nonzeros(Tensor t) {
        long nz = 0;
        for (long i = 0; i < t.size(); i++) {
            nz += t.getDouble(i) != 0 ? 1 : 0;
        }
        return nz;
    }
}
