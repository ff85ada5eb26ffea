package dev.sparq.graph.pass;

import dev.sparq.backend.Backend;
import dev.sparq.backend.Backends;
import dev.sparq.backend.ExecutionContext;
import dev.sparq.backend.Kernel;
import dev.sparq.backend.KernelRequest;
import dev.sparq.graph.Graph;
import dev.sparq.graph.Model;
import dev.sparq.graph.Node;
import dev.sparq.graph.ValueType;
import dev.sparq.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Evaluates nodes whose inputs are all constants once, at load, with the reference backend (reached through the
 * backend SPI), and replaces them by initializers: Constant nodes, weight transposes and reshapes, the arithmetic
 * exporters leave around constants. Random ops are never folded; DequantizeLinear is kept unless asked (so the
 * quantization passes still see integer weights); results over {@link #MAX_ELEMENTS} elements are left to run time.
 */
public final class ConstantFolding implements GraphPass {
    static final long MAX_ELEMENTS = 1L << 24;
    private static final Set<String> NEVER = Set.of("RandomNormal", "RandomUniform", "RandomNormalLike",
        "RandomUniformLike", "Multinomial", "Bernoulli");

    private final boolean foldDequantize;

    /** Folding that keeps DequantizeLinear of constants, so the quantization passes still see integer weights. */
    public ConstantFolding() {
        this(false);
    }

    /**
     * @param foldDequantize also fold DequantizeLinear of constant integer weights into float weights: for after
     *                       {@link QdqFusion}, so the layers it could not make integer get constant float weights
     *                       and the fast float kernels
     */
    public ConstantFolding(boolean foldDequantize) {
        this.foldDequantize = foldDequantize;
    }

    @Override
    public String name() {
        return "constant-folding";
    }

    @Override
    public int apply(Model model) {
        Graph g = model.graph();
        Backend ref = Backends.byId("cpu-ref");
        if (ref == null) {
            return 0;
        }
        int folded = 0;
        for (Node n : new ArrayList<>(g.nodes())) {
            if (!foldable(g, n)) {
                continue;
            }
            KernelRequest req = new KernelRequest(n, model.opsetFor(n), g.initializers(), g.types(), model.arena());
            Optional<Kernel> kernel = ref.kernelFor(req);
            if (kernel.isEmpty()) {
                continue;
            }
            Tensor[] in = new Tensor[n.inputs().size()];
            for (int i = 0; i < in.length; i++) {
                in[i] = n.hasInput(i) ? g.initializers().get(n.input(i)) : null;
            }
            Tensor[] out;
            try {
                out = kernel.get().run(in, ExecutionContext.standalone());
            } catch (RuntimeException e) {
                continue; // a node that fails on its constants fails at run time too, with the node's name
            }
            try {
                if (!storeOutputs(model, n, out)) {
                    continue;
                }
            } finally {
                for (Tensor t : out) {
                    if (t != null) {
                        t.close();
                    }
                }
            }
            g.nodes().remove(n);
            folded++;
        }
        return folded;
    }

    private boolean foldable(Graph g, Node n) {
        if (!n.domain().isEmpty() || NEVER.contains(n.opType()) || (!foldDequantize && n.opType().equals("DequantizeLinear"))
            || n.outputs().stream().anyMatch(o -> GraphEdits.isGraphOutput(g, o))) {
            return false;
        }
        for (String in : n.inputs()) {
            if (!in.isEmpty() && !g.initializers().containsKey(in)) {
                return false;
            }
        }
        return true;
    }

    /** Copies the outputs into the model's arena as initializers; false if one is too large to keep. */
    private static boolean storeOutputs(Model model, Node n, Tensor[] out) {
        List<String> names = n.outputs();
        for (int i = 0; i < names.size(); i++) {
            if (!names.get(i).isEmpty() && (i >= out.length || out[i] == null || out[i].size() > MAX_ELEMENTS)) {
                return false;
            }
        }
        Graph g = model.graph();
        for (int i = 0; i < names.size(); i++) {
            if (names.get(i).isEmpty()) {
                continue;
            }
            Tensor kept = Tensor.allocate(out[i].dtype(), out[i].shape(), model.arena());
            MemorySegment.copy(out[i].segment(), 0, kept.segment(), 0, out[i].byteSize());
            g.initializers().put(names.get(i), kept);
            g.setType(names.get(i), ValueType.tensor(kept.dtype(), kept.shape()));
        }
        return true;
    }
}
