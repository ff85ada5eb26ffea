package dev.sparq.quant;

import dev.sparq.graph.Attribute;
import dev.sparq.graph.Graph;
import dev.sparq.graph.Model;
import dev.sparq.graph.Node;
import dev.sparq.graph.ShapeInference;
import dev.sparq.graph.ValueType;
import dev.sparq.graph.pass.GraphEdits;
import dev.sparq.onnx.OnnxExporter;
import dev.sparq.onnx.OnnxImporter;
import dev.sparq.onnx.proto.Onnx.ModelProto;
import dev.sparq.onnx.proto.Onnx.OperatorSetIdProto;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns an FP32 model and its activation calibration into a QDQ model, the form ONNX Runtime's and TensorRT's
 * quantization toolkits write. Both inputs of an Add of two calibrated activations (residual connections) and the
 * input of a GlobalAveragePool get a QuantizeLinear → DequantizeLinear pair. For every Conv, Gemm and MatMul whose weight is an initializer and whose activation
 * input was calibrated:
 * <ul>
 *   <li>the activation goes through QuantizeLinear → DequantizeLinear with its calibrated scale and zero point
 *       (one pair per activation, shared by all its quantized readers);</li>
 *   <li>the weight becomes an int8 initializer, symmetric per output channel ({@code max|w_c| / 127}), read through
 *       DequantizeLinear on the output-channel axis (0 for Conv and Gemm with transB=1, 1 for transB=0, the last
 *       axis for MatMul);</li>
 *   <li>a 1-D Conv/Gemm bias becomes int32 with scale input scale × weight scale[c], through DequantizeLinear.</li>
 * </ul>
 * Constants are folded and BatchNormalization folded into its Conv first. Outputs stay float. Per-channel
 * DequantizeLinear needs opset 13: older models are raised when that changes no op (see {@link OpsetUpgrade}).
 * The FP32 model is left untouched.
 */
public final class QdqWriter {
    static final long PER_CHANNEL_OPSET = 13;

    private QdqWriter() {
    }

    /** Writes the QDQ model of {@code fp32} with the activation parameters of {@code calibration}. */
    public static void write(Model fp32, CalibrationResult calibration, Path file) throws IOException {
        write(fp32, calibration.activations(), file);
    }

    /**
     * Writes the QDQ model of {@code fp32} to {@code file}; {@code activations} is a calibration's
     * {@code CalibrationResult.activations()} (scale and zero point by value name).
     */
    public static void write(Model fp32, Map<String, TensorQuant> activations, Path file) throws IOException {
        try (Model q = quantize(fp32, activations)) {
            OnnxExporter.write(q, file);
        }
    }

    /**
     * The QDQ model of {@code fp32}, with its own memory (the caller closes it).
     *
     * @throws IllegalArgumentException if the model's opset cannot be raised to 13
     */
    public static Model quantize(Model fp32, Map<String, TensorQuant> activations) {
        Map<String, Long> opsets = OpsetUpgrade.raiseTo(fp32, PER_CHANNEL_OPSET);
        // A deep copy through the exporter: the result owns its tensors whatever happens to the FP32 model.
        ModelProto.Builder proto = OnnxExporter.toProto(fp32).toBuilder().clearOpsetImport();
        opsets.forEach((d, v) -> proto.addOpsetImport(OperatorSetIdProto.newBuilder().setDomain(d).setVersion(v)));
        Model copy = OnnxImporter.fromProto(proto.build(), null, fp32.source());
        try {
            QuantPreparation.apply(copy);
            new Rewrite(copy, activations).run();
            ShapeInference.run(copy);
            return copy;
        } catch (RuntimeException e) {
            copy.close();
            throw e;
        }
    }

    /** One rewrite of one model's main graph. */
    private static final class Rewrite {
        private final Model model;
        private final Graph g;
        private final Map<String, TensorQuant> activations;
        /** Activation name → its DequantizeLinear output, so an activation read twice is quantized once. */
        private final Map<String, String> dequantized = new HashMap<>();
        private final List<Node> out = new ArrayList<>();
        /** Float initializers that were replaced by quantized ones. */
        private final Set<String> replaced = new HashSet<>();

        Rewrite(Model model, Map<String, TensorQuant> activations) {
            this.model = model;
            this.g = model.graph();
            this.activations = activations;
        }

        void run() {
            for (Node n : g.nodes()) {
                if (isResidualAdd(n)) {
                    out.add(quantizedAdd(n));
                    continue;
                }
                if (isCalibratedGlobalPool(n)) {
                    out.add(withDequantizedInput(n));
                    continue;
                }
                int axis = WeightScales.outputAxis(n, g.initializers().get(n.input(1)));
                TensorQuant x = activations.get(n.input(0));
                if (axis < 0 || x == null) {
                    out.add(n);
                    continue;
                }
                out.add(quantized(n, x, axis));
            }
            g.nodes().clear();
            g.nodes().addAll(out);
            removeUnreadInitializers();
        }


        /**
         * An Add of two calibrated activations (a residual connection), quantized on both inputs as ONNX Runtime's
         * quantizer does: the convolution feeding it then ends in a QuantizeLinear and can run as QLinearConv.
         */
        private boolean isResidualAdd(Node n) {
            return n.opType().equals("Add") && n.domain().isEmpty() && n.inputs().size() == 2
                && activations.containsKey(n.input(0)) && activations.containsKey(n.input(1))
                && !g.initializers().containsKey(n.input(0)) && !g.initializers().containsKey(n.input(1));
        }

        /**
         * A GlobalAveragePool of a calibrated activation (the end of a CNN's feature extractor), quantized on its
         * input as ONNX Runtime's quantizer does: the convolution before it then ends in a QuantizeLinear and runs
         * as QLinearConv instead of staying float.
         */
        private boolean isCalibratedGlobalPool(Node n) {
            return n.opType().equals("GlobalAveragePool") && n.domain().isEmpty() && n.inputs().size() == 1
                && activations.containsKey(n.input(0)) && !g.initializers().containsKey(n.input(0));
        }

        private Node withDequantizedInput(Node n) {
            return new Node(n.name(), n.opType(), n.domain(),
                List.of(dequantizedActivation(n.input(0), activations.get(n.input(0)))), n.outputs(), n.attributes());
        }

        private Node quantizedAdd(Node n) {
            List<String> inputs = List.of(dequantizedActivation(n.input(0), activations.get(n.input(0))),
                dequantizedActivation(n.input(1), activations.get(n.input(1))));
            return new Node(n.name(), n.opType(), n.domain(), inputs, n.outputs(), n.attributes());
        }

        private Node quantized(Node n, TensorQuant x, int axis) {
            List<String> inputs = new ArrayList<>(n.inputs());
            inputs.set(0, dequantizedActivation(n.input(0), x));
            ChannelQuantizer.Quantized w = ChannelQuantizer.weights(g.initializers().get(n.input(1)), axis);
            inputs.set(1, dequantizeLinear(n.input(1), w.values(), w.scales(), axis));
            Tensor b = n.opType().equals("MatMul") ? null : g.initializers().get(n.input(2));
            if (b != null && b.dtype() == DType.F32 && b.rank() == 1 && b.size() == w.scales().length) {
                float[] biasScales = new float[w.scales().length];
                for (int c = 0; c < biasScales.length; c++) {
                    biasScales[c] = x.scale() * w.scales()[c];
                }
                inputs.set(2, dequantizeLinear(n.input(2), ChannelQuantizer.bias(b, biasScales),
                    biasScales, 0));
            }
            return new Node(n.name(), n.opType(), n.domain(), inputs, n.outputs(), n.attributes());
        }

        /** QuantizeLinear → DequantizeLinear of an activation, added once; returns the dequantized value. */
        private String dequantizedActivation(String value, TensorQuant q) {
            return dequantized.computeIfAbsent(value, v -> {
                String scale = initializer(v + "_scale", Tensor.fromFloats(new float[] {q.scale()}));
                String zero = initializer(v + "_zero_point", zeroPoint(q));
                String quantized = GraphEdits.freshName(g, v + "_quantized");
                out.add(new Node(quantized, "QuantizeLinear", "", List.of(v, scale, zero), List.of(quantized), Map.of()));
                g.setType(quantized, ValueType.UNKNOWN);
                String dq = GraphEdits.freshName(g, v + "_dequantized");
                out.add(new Node(dq, "DequantizeLinear", "", List.of(quantized, scale, zero), List.of(dq), Map.of()));
                g.setType(dq, ValueType.UNKNOWN);
                return dq;
            });
        }

        private static Tensor zeroPoint(TensorQuant q) {
            if (q.dtype() != DType.I8 && q.dtype() != DType.U8) {
                throw new IllegalArgumentException("activation '" + q.name() + "' is calibrated for " + q.dtype()
                    + "; QDQ writing supports i8 and u8");
            }
            Tensor t = Tensor.allocate(q.dtype());
            t.setLong(0, q.zeroPoint());
            return t;
        }

        /** DequantizeLinear of a per-channel quantized constant (zero points 0); returns its output. */
        private String dequantizeLinear(String original, Tensor values, float[] scales, int axis) {
            replaced.add(original);
            String q = initializer(original + "_quantized", values);
            String scale = initializer(original + "_scale", Tensor.fromFloats(scales, scales.length));
            String zero = initializer(original + "_zero_point", Tensor.allocate(values.dtype(), scales.length));
            String dq = GraphEdits.freshName(g, original + "_dequantized");
            out.add(new Node(dq, "DequantizeLinear", "", List.of(q, scale, zero), List.of(dq),
                Map.of("axis", new Attribute("axis", Attribute.Type.INT, (long) axis))));
            g.setType(dq, ValueType.UNKNOWN);
            return dq;
        }

        /** Stores {@code t} (copied into the model's memory) under a fresh name derived from {@code base}. */
        private String initializer(String base, Tensor t) {
            String name = GraphEdits.freshName(g, base);
            Tensor kept = Tensor.allocate(t.dtype(), t.shape(), model.arena());
            MemorySegment.copy(t.segment(), 0, kept.segment(), 0, t.byteSize());
            t.close();
            g.initializers().put(name, kept);
            g.setType(name, ValueType.tensor(kept.dtype(), kept.shape()));
            return name;
        }

        /** Drops the replaced float weights and biases that no other node reads. */
        private void removeUnreadInitializers() {
            Map<String, Integer> uses = GraphEdits.useCounts(g);
            for (String name : replaced) {
                if (!uses.containsKey(name) && !GraphEdits.hasSubgraphs(g)) {
                    g.initializers().remove(name);
                    g.types().remove(name);
                }
            }
        }
    }
}
