package dev.sparq.compress;

import dev.sparq.graph.Attribute;
import dev.sparq.graph.Graph;
import dev.sparq.graph.Model;
import dev.sparq.graph.Node;
import dev.sparq.graph.ShapeInference;
import dev.sparq.graph.pass.GraphEdits;
import dev.sparq.tensor.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.RealMatrix;
import org.apache.commons.math3.linear.SingularValueDecomposition;

/**
 * Low-rank factorization of fully connected layers by truncated SVD (commons-math3). A Gemm or MatMul computing
 * x·W with W [K, N] (a Gemm with transB=1 stores Wᵀ) becomes two smaller layers, W ≈ U_k · (S_k V_kᵀ):
 * {@code MatMul(x, U_k [K,k])} then {@code MatMul(·, S_k V_kᵀ [k,N])} — a Gemm with the original bias, alpha and
 * beta when the layer was a Gemm. k is the smallest rank whose singular values keep {@code energy} of Σσ²
 * (singular values whose squares are below 1e-12 of the total count as zero, so energy 1.0 keeps the numerical
 * rank). A layer is replaced only where k·(K+N) &lt; K·N, i.e. where it saves parameters.
 */
public final class SvdFactorizer {
    /** Energy shares this close to the total are float32 noise, not signal. */
    private static final double NOISE = 1e-12;

    private SvdFactorizer() {
    }

    /** Factorizes every Gemm/MatMul with a constant matrix weight where it saves parameters. */
    public static Compressed factorize(Model source, double energy) {
        if (!(energy > 0 && energy <= 1)) {
            throw new IllegalArgumentException("energy must be in (0, 1], not " + energy);
        }
        String method = String.format(Locale.ROOT, "truncated SVD keeping %.2f%% of each weight's energy (Σσ²)",
            100 * energy);
        Model m = ModelEdits.copy(source);
        try {
            CompressionReport.Builder report = new CompressionReport.Builder(method, source);
            Graph g = m.graph();
            Map<Node, List<Node>> replacements = new LinkedHashMap<>();
            for (WeightLayer l : WeightLayer.find(g)) {
                Node n = l.node();
                if (n.opType().equals("Conv")) {
                    continue;
                }
                if (n.opType().equals("Gemm") && n.intAttr("transA", 0) != 0) {
                    report.untouched(l.label(), "Gemm with transA=1");
                    continue;
                }
                List<Node> pair = factorize(m, l, energy, report);
                if (pair != null) {
                    replacements.put(n, pair);
                }
            }
            List<Node> nodes = new ArrayList<>();
            for (Node n : g.nodes()) {
                nodes.addAll(replacements.getOrDefault(n, List.of(n)));
            }
            g.nodes().clear();
            g.nodes().addAll(nodes);
            ShapeInference.run(m);
            return new Compressed(m, report.build(m));
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /** The two nodes replacing {@code l}, or null (with the reason reported) where factorizing does not pay. */
    private static List<Node> factorize(Model m, WeightLayer l, double energy, CompressionReport.Builder report) {
        Graph g = m.graph();
        Tensor wt = g.initializers().get(l.weight());
        float[] w = wt.toFloatArray();
        int k = (int) l.depth();
        int n = (int) l.rows();
        double[][] a = new double[k][n];
        for (int i = 0; i < k; i++) {
            for (int j = 0; j < n; j++) {
                a[i][j] = w[(int) l.index(j, i)];
            }
        }
        SingularValueDecomposition svd = new SingularValueDecomposition(new Array2DRowRealMatrix(a, false));
        double[] sigma = svd.getSingularValues();
        int rank = rankFor(sigma, energy);
        Tensor bias = l.bias() == null ? null : g.initializers().get(l.bias());
        long biasSize = bias == null ? 0 : bias.size();
        long nz = ModelEdits.nonzeros(wt) + (bias == null ? 0 : ModelEdits.nonzeros(bias));
        long before = (long) k * n;
        long after = (long) rank * (k + n);
        if (after >= before) {
            report.untouched(l.label(), String.format(Locale.ROOT, "rank %d of %d keeps %.1f%% of the energy but "
                + "%d·(%d+%d) = %,d >= %,d parameters", rank, Math.min(k, n), 100 * share(sigma, rank), rank, k, n,
                after, before));
            return null;
        }
        RealMatrix u = svd.getU();
        RealMatrix v = svd.getV();
        float[] first = new float[k * rank];
        for (int i = 0; i < k; i++) {
            for (int r = 0; r < rank; r++) {
                first[i * rank + r] = (float) u.getEntry(i, r);
            }
        }
        float[] second = new float[rank * n];
        for (int r = 0; r < rank; r++) {
            for (int j = 0; j < n; j++) {
                second[r * n + j] = (float) (sigma[r] * v.getEntry(j, r));
            }
        }
        Node old = l.node();
        String uName = GraphEdits.freshName(g, l.weight() + "_svd_u");
        ModelEdits.putFloats(m, uName, first, k, rank);
        String vName = GraphEdits.freshName(g, l.weight() + "_svd_sv");
        ModelEdits.putFloats(m, vName, second, rank, n);
        g.initializers().remove(l.weight());
        g.types().remove(l.weight());
        String mid = GraphEdits.freshName(g, old.outputs().get(0) + "_svd");
        String name = old.name() == null || old.name().isEmpty() ? mid : old.name();
        Node down = new Node(name + "_svd_u", "MatMul", "", List.of(old.input(0), uName), List.of(mid), Map.of());
        Node up;
        if (old.opType().equals("Gemm")) {
            Map<String, Attribute> attrs = new LinkedHashMap<>(old.attributes());
            attrs.remove("transA");
            attrs.put("transB", new Attribute("transB", Attribute.Type.INT, 0L));
            List<String> inputs = new ArrayList<>(List.of(mid, vName));
            if (old.hasInput(2)) {
                inputs.add(old.input(2));
            }
            up = new Node(name + "_svd_sv", "Gemm", "", inputs, old.outputs(), attrs);
        } else {
            up = new Node(name + "_svd_sv", "MatMul", "", List.of(mid, vName), old.outputs(), Map.of());
        }
        report.layer(new CompressionReport.Layer(l.label(), old.opType(), CompressionReport.shape(wt),
            "[" + k + "," + rank + "]+[" + rank + "," + n + "]", before + biasSize, nz, after + biasSize,
            after + (bias == null ? 0 : ModelEdits.nonzeros(bias)), String.format(Locale.ROOT,
                "rank %d of %d, %.1f%% of the energy", rank, Math.min(k, n), 100 * share(sigma, rank))));
        return List.of(down, up);
    }

    /** The smallest k whose leading singular values hold {@code energy} of Σσ² (at least 1). */
    static int rankFor(double[] sigma, double energy) {
        double total = 0;
        for (double s : sigma) {
            total += s * s;
        }
        double cum = 0;
        for (int r = 0; r < sigma.length; r++) {
            cum += sigma[r] * sigma[r];
            if (cum >= energy * total - NOISE * total) {
                return r + 1;
            }
        }
        return sigma.length;
    }

    private static double share(double[] sigma, int rank) {
        double total = 0;
        double kept = 0;
        for (int r = 0; r < sigma.length; r++) {
            total += sigma[r] * sigma[r];
            kept += r < rank ? sigma[r] * sigma[r] : 0;
        }
        return total == 0 ? 1 : kept / total;
    }
}
