package dev.sparq.graph;

import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Infers dtype and shape of every value once at load, keeping symbolic dims (the batch "N") symbolic. Best effort:
 * an op without a rule here gets unknown outputs, which only costs planning information — kernels compute exact
 * shapes at run time, so correctness never depends on this pass. Types declared in the file are kept when the
 * rule knows less.
 */
public final class ShapeInference {
    private static final Set<String> SAME_AS_FIRST = Set.of("Relu", "LeakyRelu", "PRelu", "Sigmoid", "Tanh", "Exp",
        "Log", "Sqrt", "Erf", "Abs", "Neg", "Reciprocal", "Floor", "Ceil", "Round", "Sign", "HardSigmoid",
        "HardSwish", "Elu", "Selu", "Softplus", "Softsign", "Gelu", "Sin", "Cos", "Clip", "Softmax", "LogSoftmax",
        "Hardmax", "Identity", "Dropout", "BatchNormalization", "LayerNormalization", "InstanceNormalization",
        "CumSum", "Mish");
    private static final Set<String> BROADCAST = Set.of("Add", "Sub", "Mul", "Div", "Pow", "Mod", "Max", "Min",
        "Sum", "Mean", "And", "Or", "Xor", "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual");
    private static final Set<String> BOOL_OUT = Set.of("And", "Or", "Xor", "Equal", "Less", "Greater",
        "LessOrEqual", "GreaterOrEqual", "Not", "IsNaN", "IsInf");

    private ShapeInference() {
    }

    public static void run(Model model) {
        Graph g = model.graph();
        for (Node n : g.nodes()) {
            List<ValueType> in = new ArrayList<>();
            for (String name : n.inputs()) {
                in.add(name.isEmpty() ? ValueType.UNKNOWN : g.type(name));
            }
            ValueType out;
            try {
                out = infer(n, in, g, model.opset(n.domain()));
            } catch (RuntimeException e) {
                out = ValueType.UNKNOWN; // a malformed node is reported by its kernel, with the node's name
            }
            if (!n.outputs().isEmpty() && !n.outputs().get(0).isEmpty()) {
                merge(g, n.outputs().get(0), out);
            }
        }
    }

    private static void merge(Graph g, String name, ValueType inferred) {
        ValueType declared = g.type(name);
        if (declared.kind() == ValueType.Kind.UNKNOWN || (!declared.hasRank() && inferred.hasRank())) {
            DType dt = inferred.dtype() != null ? inferred.dtype() : declared.dtype();
            g.setType(name, new ValueType(inferred.kind(), dt, inferred.dims()));
        }
    }

    private static ValueType infer(Node n, List<ValueType> in, Graph g, long opset) {
        if (n.domain().equals(ClampedQuantizedOp.DOMAIN)) {
            return infer(ClampedQuantizedOp.unclamped(n), in, g, opset); // a clamp changes no type or shape
        }
        String op = n.opType();
        if (n.domain().equals("com.microsoft") && op.equals("QGemm")) {
            return qgemm(n, in);
        }
        if (n.domain().equals("com.microsoft") && (op.equals("QLinearAdd") || op.equals("QLinearMul"))
            && in.size() > 3) {
            DType dt = in.size() > 7 && n.hasInput(7) ? in.get(7).dtype() : in.get(0).dtype();
            return ValueType.tensor(dt, broadcast(in.get(0), in.get(3)).dims());
        }
        if (!n.domain().isEmpty()) {
            return ValueType.UNKNOWN;
        }
        ValueType x = in.isEmpty() ? ValueType.UNKNOWN : in.get(0);
        if (SAME_AS_FIRST.contains(op)) {
            return x;
        }
        if (op.equals("Not") || op.equals("IsNaN") || op.equals("IsInf")) {
            return ValueType.tensor(DType.BOOL, x.dims());
        }
        if (BROADCAST.contains(op)) {
            ValueType acc = x;
            for (int i = 1; i < in.size(); i++) {
                acc = broadcast(acc, in.get(i));
            }
            return BOOL_OUT.contains(op) ? ValueType.tensor(DType.BOOL, acc.dims()) : acc;
        }
        switch (op) {
            case "Where" -> {
                return ValueType.tensor(in.get(1).dtype(), broadcast(broadcast(in.get(0), in.get(1)), in.get(2)).dims());
            }
            case "Cast" -> {
                return ValueType.tensor(DType.fromOnnx((int) n.intAttr("to", 0)), x.dims());
            }
            case "QuantizeLinear" -> {
                DType dt = in.size() > 2 && in.get(2).dtype() != null ? in.get(2).dtype() : DType.U8;
                return ValueType.tensor(dt, x.dims());
            }
            case "DequantizeLinear" -> {
                return ValueType.tensor(DType.F32, x.dims());
            }
            case "Conv", "MaxPool", "AveragePool", "ConvInteger", "QLinearConv" -> {
                return convLike(n, in, op);
            }
            case "GlobalAveragePool", "GlobalMaxPool" -> {
                if (!x.hasRank()) {
                    return ValueType.UNKNOWN;
                }
                List<Dim> d = new ArrayList<>(x.dims().subList(0, 2));
                for (int i = 2; i < x.rank(); i++) {
                    d.add(Dim.of(1));
                }
                return ValueType.tensor(x.dtype(), d);
            }
            case "Gemm" -> {
                ValueType b = in.get(1);
                if (x.rank() != 2 || b.rank() != 2) {
                    return ValueType.UNKNOWN;
                }
                Dim m = x.dims().get(n.intAttr("transA", 0) != 0 ? 1 : 0);
                Dim nn = b.dims().get(n.intAttr("transB", 0) != 0 ? 0 : 1);
                return ValueType.tensor(x.dtype(), List.of(m, nn));
            }
            case "MatMul", "MatMulInteger", "QLinearMatMul" -> {
                ValueType b = in.get(op.equals("QLinearMatMul") ? 3 : 1);
                DType dt = op.equals("MatMul") ? x.dtype() : op.equals("MatMulInteger") ? DType.I32
                    : in.size() > 7 ? in.get(7).dtype() : null;
                return matmul(x, b, dt);
            }
            case "Flatten" -> {
                if (!x.hasRank()) {
                    return ValueType.UNKNOWN;
                }
                int axis = (int) (n.intAttr("axis", 1) < 0 ? n.intAttr("axis", 1) + x.rank() : n.intAttr("axis", 1));
                return ValueType.tensor(x.dtype(), List.of(product(x.dims().subList(0, axis)),
                    product(x.dims().subList(axis, x.rank()))));
            }
            case "Reshape" -> {
                Tensor shape = g.initializers().get(n.input(1));
                return shape == null ? ValueType.tensor(x.dtype(), (List<Dim>) null) : reshape(x, shape,
                    n.intAttr("allowzero", 0) != 0);
            }
            case "Transpose" -> {
                if (!x.hasRank()) {
                    return ValueType.tensor(x.dtype(), (List<Dim>) null);
                }
                long[] perm = n.intsAttr("perm", null);
                List<Dim> d = new ArrayList<>();
                for (int i = 0; i < x.rank(); i++) {
                    d.add(x.dims().get(perm == null ? x.rank() - 1 - i : (int) perm[i]));
                }
                return ValueType.tensor(x.dtype(), d);
            }
            case "Shape" -> {
                return ValueType.tensor(DType.I64, x.hasRank() && !n.has("start") && !n.has("end")
                    ? List.of(Dim.of(x.rank())) : null);
            }
            case "Constant" -> {
                Attribute v = n.attr("value");
                return v != null && v.type() == Attribute.Type.TENSOR
                    ? ValueType.tensor(v.asTensor().dtype(), v.asTensor().shape()) : ValueType.UNKNOWN;
            }
            case "Concat" -> {
                return concat(n, in);
            }
            default -> {
                return ValueType.UNKNOWN;
            }
        }
    }

    private static ValueType broadcast(ValueType a, ValueType b) {
        DType dt = a.dtype() != null ? a.dtype() : b.dtype();
        if (!a.hasRank() || !b.hasRank()) {
            return ValueType.tensor(dt, (List<Dim>) null);
        }
        int rank = Math.max(a.rank(), b.rank());
        List<Dim> out = new ArrayList<>();
        for (int i = 0; i < rank; i++) {
            Dim da = i < rank - a.rank() ? Dim.of(1) : a.dims().get(i - (rank - a.rank()));
            Dim db = i < rank - b.rank() ? Dim.of(1) : b.dims().get(i - (rank - b.rank()));
            if (da.equals(db) || db.value() == 1) {
                out.add(da);
            } else if (da.value() == 1) {
                out.add(db);
            } else if (da.isKnown() && !db.isKnown()) {
                out.add(da);
            } else if (db.isKnown() && !da.isKnown()) {
                out.add(db);
            } else {
                out.add(Dim.UNKNOWN);
            }
        }
        return ValueType.tensor(dt, out);
    }

    /** com.microsoft QGemm: Gemm's [M, N]; y_zero_point's type, uint8 with only y_scale, float32 without y_scale. */
    private static ValueType qgemm(Node n, List<ValueType> in) {
        ValueType a = in.get(0);
        ValueType b = in.size() > 3 ? in.get(3) : ValueType.UNKNOWN;
        if (a.rank() != 2 || b.rank() != 2) {
            return ValueType.UNKNOWN;
        }
        DType dt = !n.hasInput(7) ? DType.F32 : n.hasInput(8) ? in.get(8).dtype() : DType.U8;
        return ValueType.tensor(dt, List.of(a.dims().get(n.intAttr("transA", 0) != 0 ? 1 : 0),
            b.dims().get(n.intAttr("transB", 0) != 0 ? 0 : 1)));
    }

    private static ValueType convLike(Node n, List<ValueType> in, String op) {
        ValueType x = in.get(0);
        boolean quant = op.equals("QLinearConv");
        ValueType w = in.size() > (quant ? 3 : 1) ? in.get(quant ? 3 : 1) : ValueType.UNKNOWN;
        if (!x.hasRank() || x.rank() < 3) {
            return ValueType.UNKNOWN;
        }
        int spatial = x.rank() - 2;
        long[] kernel = n.intsAttr("kernel_shape", null);
        boolean pool = op.endsWith("Pool");
        if (kernel == null && w.hasRank() && w.concreteShape() != null) {
            long[] ws = w.concreteShape();
            kernel = java.util.Arrays.copyOfRange(ws, 2, ws.length);
        }
        Dim channels = pool ? x.dims().get(1) : (w.hasRank() ? w.dims().get(0) : Dim.UNKNOWN);
        List<Dim> out = new ArrayList<>(List.of(x.dims().get(0), channels));
        String autoPad = n.stringAttr("auto_pad", "NOTSET");
        long[] strides = n.intsAttr("strides", null);
        long[] dil = n.intsAttr("dilations", null);
        long[] pads = n.intsAttr("pads", null);
        boolean ceil = n.intAttr("ceil_mode", 0) != 0;
        for (int i = 0; i < spatial; i++) {
            Dim d = x.dims().get(2 + i);
            if (!d.isKnown() || kernel == null) {
                out.add(Dim.UNKNOWN);
                continue;
            }
            long s = strides == null ? 1 : strides[i];
            long k = (kernel[i] - 1) * (dil == null ? 1 : dil[i]) + 1;
            long size;
            if (autoPad.equals("SAME_UPPER") || autoPad.equals("SAME_LOWER")) {
                size = (d.value() + s - 1) / s;
            } else if (autoPad.equals("VALID")) {
                size = (d.value() - k) / s + 1;
            } else {
                long total = d.value() + (pads == null ? 0 : pads[i] + pads[i + spatial]) - k;
                size = (ceil ? Math.ceilDiv(total, s) : Math.floorDiv(total, s)) + 1;
                if (ceil && (size - 1) * s >= d.value() + (pads == null ? 0 : pads[i])) {
                    size--;
                }
            }
            out.add(Dim.of(size));
        }
        DType dt = op.equals("ConvInteger") ? DType.I32 : quant ? (in.size() > 7 ? in.get(7).dtype() : null) : x.dtype();
        return ValueType.tensor(dt, out);
    }

    private static ValueType matmul(ValueType a, ValueType b, DType dt) {
        if (!a.hasRank() || !b.hasRank() || a.rank() < 2 || b.rank() < 2) {
            return ValueType.tensor(dt, (List<Dim>) null);
        }
        ValueType batchA = ValueType.tensor(dt, a.dims().subList(0, a.rank() - 2));
        ValueType batchB = ValueType.tensor(dt, b.dims().subList(0, b.rank() - 2));
        List<Dim> out = new ArrayList<>(broadcast(batchA, batchB).dims());
        out.add(a.dims().get(a.rank() - 2));
        out.add(b.dims().get(b.rank() - 1));
        return ValueType.tensor(dt, out);
    }

    private static Dim product(List<Dim> dims) {
        long p = 1;
        for (Dim d : dims) {
            if (!d.isKnown()) {
                return dims.size() == 1 ? d : Dim.UNKNOWN;
            }
            p *= d.value();
        }
        return Dim.of(p);
    }

    private static ValueType reshape(ValueType x, Tensor shape, boolean allowZero) {
        List<Dim> out = new ArrayList<>();
        int minusOne = -1;
        for (int i = 0; i < shape.size(); i++) {
            long v = shape.getLong(i);
            if (v == 0 && !allowZero) {
                out.add(x.hasRank() && i < x.rank() ? x.dims().get(i) : Dim.UNKNOWN);
            } else if (v == -1) {
                minusOne = i;
                out.add(Dim.UNKNOWN);
            } else {
                out.add(Dim.of(v));
            }
        }
        if (minusOne >= 0 && x.hasRank()) {
            Dim total = product(x.dims());
            long known = 1;
            boolean ok = total.isKnown();
            for (int i = 0; i < out.size(); i++) {
                if (i != minusOne) {
                    ok &= out.get(i).isKnown();
                    known *= Math.max(1, out.get(i).value());
                }
            }
            if (ok && known > 0) {
                out.set(minusOne, Dim.of(total.value() / known));
            } else if (x.rank() > 0 && !x.dims().get(0).isKnown() && out.size() > 1 && minusOne == 0
                && product(x.dims().subList(1, x.rank())).isKnown()) {
                out.set(0, x.dims().get(0)); // [N, ...] reshaped to [-1, fixed...]: -1 is the batch again
            }
        }
        return ValueType.tensor(x.dtype(), out);
    }

    private static ValueType concat(Node n, List<ValueType> in) {
        ValueType first = in.get(0);
        if (!first.hasRank()) {
            return ValueType.tensor(first.dtype(), (List<Dim>) null);
        }
        int axis = (int) (n.intAttr("axis", 0) < 0 ? n.intAttr("axis", 0) + first.rank() : n.intAttr("axis", 0));
        List<Dim> out = new ArrayList<>(first.dims());
        long sum = 0;
        for (ValueType t : in) {
            if (!t.hasRank() || !t.dims().get(axis).isKnown()) {
                out.set(axis, Dim.UNKNOWN);
                return ValueType.tensor(first.dtype(), out);
            }
            sum += t.dims().get(axis).value();
        }
        out.set(axis, Dim.of(sum));
        return ValueType.tensor(first.dtype(), out);
    }
}
