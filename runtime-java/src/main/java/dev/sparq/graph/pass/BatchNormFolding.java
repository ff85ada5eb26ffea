package dev.sparq.graph.pass;

import dev.sparq.graph.Graph;
import dev.sparq.graph.Model;
import dev.sparq.graph.Node;
import dev.sparq.graph.ValueType;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * Folds an inference-mode BatchNormalization into the Conv before it: with s = scale / sqrt(var + eps),
 * W' = W · s (per output channel) and B' = (B − mean) · s + bias. Applies only when the Conv's output feeds the
 * BatchNormalization alone and every parameter is a constant.
 */
public final class BatchNormFolding implements GraphPass {
    @Override
    public String name() {
        return "batchnorm-folding";
    }

    @Override
    public int apply(Model model) {
        Graph g = model.graph();
        int folded = 0;
        for (Node bn : new ArrayList<>(g.nodes())) {
            if (!bn.opType().equals("BatchNormalization") || !bn.domain().isEmpty() || bn.intAttr("training_mode", 0) != 0
                || bn.outputs().stream().skip(1).anyMatch(o -> !o.isEmpty())) {
                continue;
            }
            Node conv = GraphEdits.producer(g, bn.input(0));
            if (conv == null || !conv.opType().equals("Conv") || !conv.domain().isEmpty()
                || GraphEdits.soleConsumer(g, bn.input(0)) != bn) {
                continue;
            }
            Tensor w = g.initializers().get(conv.input(1));
            Tensor b = conv.hasInput(2) ? g.initializers().get(conv.input(2)) : null;
            Tensor[] p = new Tensor[4];
            for (int i = 0; i < 4; i++) {
                p[i] = g.initializers().get(bn.input(i + 1));
            }
            int cout = w == null ? -1 : (int) w.dim(0);
            if (w == null || w.dtype() != DType.F32 || (conv.hasInput(2) && b == null) || !allF32(p, cout)) {
                continue;
            }
            float eps = bn.floatAttr("epsilon", 1e-5f);
            long perChannel = w.size() / cout;
            Tensor w2 = Tensor.allocate(DType.F32, w.shape(), model.arena());
            Tensor b2 = Tensor.allocate(DType.F32, new long[] {cout}, model.arena());
            for (int c = 0; c < cout; c++) {
                // computed in double, then rounded once, to stay as close as possible to the unfolded graph
                double s = p[0].getFloat(c) / Math.sqrt((double) p[3].getFloat(c) + eps);
                for (long i = 0; i < perChannel; i++) {
                    w2.setFloat(c * perChannel + i, (float) (w.getFloat(c * perChannel + i) * s));
                }
                double bias = b == null ? 0 : b.getFloat(c);
                b2.setFloat(c, (float) ((bias - p[2].getFloat(c)) * s + p[1].getFloat(c)));
            }
            String wName = GraphEdits.freshName(g, conv.input(1) + "_bn");
            g.initializers().put(wName, w2);
            g.setType(wName, ValueType.tensor(DType.F32, w2.shape()));
            String bName = GraphEdits.freshName(g, (conv.hasInput(2) ? conv.input(2) : conv.input(1)) + "_bn_bias");
            g.initializers().put(bName, b2);
            g.setType(bName, ValueType.tensor(DType.F32, b2.shape()));
            Node fused = new Node(conv.name(), conv.opType(), conv.domain(), List.of(conv.input(0), wName, bName),
                List.of(bn.outputs().get(0)), conv.attributes());
            int at = g.nodes().indexOf(conv);
            g.nodes().set(at, fused);
            g.nodes().remove(bn);
            folded++;
        }
        return folded;
    }

    private static boolean allF32(Tensor[] params, int channels) {
        for (Tensor t : params) {
            if (t == null || t.dtype() != DType.F32 || t.size() != channels) {
                return false;
            }
        }
        return true;
    }
}
