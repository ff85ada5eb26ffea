package dev.sparq.backend.cpu.ref;

import dev.sparq.backend.Kernel;
import dev.sparq.backend.KernelRegistry;
import dev.sparq.backend.KernelRequest;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Shapes;
import dev.sparq.tensor.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;

/**
 * Einsum (opset 12) as a plain sum of products over every label combination: explicit and implicit output,
 * ellipsis with broadcasting, repeated labels in a term (diagonals). f32 accumulates in double, integers in long.
 */
final class EinsumOp {
    /** Labels a-z and A-Z are 0..51; the dims an ellipsis stands for get 52, 53, ... counted from the right. */
    private static final int ELLIPSIS_BASE = 52;

    private EinsumOp() {
    }

    static void register(KernelRegistry r) {
        r.register("Einsum", EinsumOp::einsum);
    }

    private static Kernel einsum(KernelRequest req) {
        int inputs = req.node().inputs().size();
        for (int i = 0; i < inputs; i++) {
            RefSupport.requireKnownDType(req, i, DType.F32, DType.I32, DType.I64);
        }
        String equation = req.node().stringAttr("equation", "").replace(" ", "");
        return (in, ctx) -> {
            Spec spec = Spec.parse(equation, in);
            DType type = in[0].dtype();
            for (Tensor t : in) {
                if (t.dtype() != type) {
                    throw new IllegalArgumentException("Einsum inputs mix " + type + " and " + t.dtype());
                }
            }
            boolean floating = type == DType.F32;
            double[][] fv = new double[in.length][];
            long[][] iv = new long[in.length][];
            for (int k = 0; k < in.length; k++) {
                if (floating) {
                    float[] f = in[k].toFloatArray();
                    fv[k] = new double[f.length];
                    for (int j = 0; j < f.length; j++) {
                        fv[k][j] = f[j];
                    }
                } else {
                    iv[k] = in[k].toLongArray();
                }
            }
            Tensor y = ctx.allocate(type, spec.outputShape());
            int[] labels = spec.loopLabels();
            int[] coord = new int[labels.length];
            int outCount = Math.toIntExact(y.size());
            long inner = 1;
            for (int j = spec.output.length; j < labels.length; j++) {
                inner *= spec.size[labels[j]];
            }
            for (int o = 0; o < outCount; o++) {
                double fsum = 0;
                long isum = 0;
                for (long s = 0; s < inner; s++) {
                    double fp = 1;
                    long ip = 1;
                    for (int k = 0; k < in.length; k++) {
                        long off = 0;
                        for (int j = 0; j < labels.length; j++) {
                            off += (long) coord[j] * spec.stride[k][labels[j]];
                        }
                        if (floating) {
                            fp *= fv[k][(int) off];
                        } else {
                            ip *= iv[k][(int) off];
                        }
                    }
                    fsum += fp;
                    isum += ip;
                    advance(coord, labels, spec.size);
                }
                if (inner == 0) {
                    advance(coord, labels, spec.size); // an empty sum: step to the next output element
                }
                if (floating) {
                    y.setDouble(o, fsum);
                } else {
                    y.setLong(o, isum);
                }
            }
            return new Tensor[] {y};
        };
    }

    /**
     * Odometer step over {@code coord}, last position fastest. Output labels lead, so once the summed positions
     * wrap around the carry moves to the next output element in row-major order.
     */
    private static void advance(int[] coord, int[] labels, long[] size) {
        for (int j = coord.length - 1; j >= 0; j--) {
            if (++coord[j] < size[labels[j]]) {
                return;
            }
            coord[j] = 0;
        }
    }

    /** The parsed equation bound to input shapes. */
    private static final class Spec {
        final int[][] terms;
        final int[] output;
        final long[] size = new long[ELLIPSIS_BASE + 64];
        final long[][] stride;

        private Spec(int[][] terms, int[] output, Tensor[] in) {
            this.terms = terms;
            this.output = output;
            Arrays.fill(size, -1);
            stride = new long[in.length][size.length];
            for (int k = 0; k < in.length; k++) {
                long[] shape = in[k].shape();
                long[] st = Shapes.strides(shape);
                for (int d = 0; d < terms[k].length; d++) {
                    int label = terms[k][d];
                    long dim = shape[d];
                    boolean ellipsis = label >= ELLIPSIS_BASE;
                    if (size[label] == -1 || (ellipsis && size[label] == 1)) {
                        size[label] = dim;
                    } else if (dim != size[label] && !(ellipsis && dim == 1)) {
                        throw new IllegalArgumentException("Einsum label " + name(label) + " has sizes " + size[label]
                            + " and " + dim);
                    }
                    if (dim != 1 || !ellipsis) {
                        stride[k][label] += st[d]; // a repeated label adds strides: the diagonal
                    }
                }
            }
            for (int label : output) {
                if (size[label] == -1) {
                    throw new IllegalArgumentException("Einsum output label " + name(label) + " is in no input");
                }
            }
        }

        static Spec parse(String equation, Tensor[] in) {
            String[] sides = equation.split("->", -1);
            String[] lhs = sides[0].split(",", -1);
            if (lhs.length != in.length || sides.length > 2) {
                throw new IllegalArgumentException("Einsum equation '" + equation + "' does not match " + in.length
                    + " inputs");
            }
            int ellipsisRank = 0;
            int[] letterCounts = new int[lhs.length];
            for (int k = 0; k < lhs.length; k++) {
                letterCounts[k] = lhs[k].replace("...", "").length();
                if (lhs[k].contains("...")) {
                    ellipsisRank = Math.max(ellipsisRank, in[k].rank() - letterCounts[k]);
                }
            }
            int[][] terms = new int[lhs.length][];
            for (int k = 0; k < lhs.length; k++) {
                int own = lhs[k].contains("...") ? in[k].rank() - letterCounts[k] : 0;
                terms[k] = labels(lhs[k], own, ellipsisRank);
                if (terms[k].length != in[k].rank() || own < 0) {
                    throw new IllegalArgumentException("Einsum term '" + lhs[k] + "' does not match input rank "
                        + in[k].rank());
                }
            }
            int[] output;
            if (sides.length == 2) {
                output = labels(sides[1], ellipsisRank, ellipsisRank);
                if (Arrays.stream(output).distinct().count() != output.length) {
                    throw new IllegalArgumentException("Einsum output '" + sides[1] + "' repeats a label");
                }
            } else {
                output = implicitOutput(terms, ellipsisRank);
            }
            return new Spec(terms, output, in);
        }

        /** Implicit mode: the ellipsis dims, then the letters used exactly once, in alphabetical order. */
        private static int[] implicitOutput(int[][] terms, int ellipsisRank) {
            int[] uses = new int[ELLIPSIS_BASE];
            for (int[] t : terms) {
                for (int l : t) {
                    if (l < ELLIPSIS_BASE) {
                        uses[l]++;
                    }
                }
            }
            TreeSet<Character> once = new TreeSet<>();
            for (int l = 0; l < ELLIPSIS_BASE; l++) {
                if (uses[l] == 1) {
                    once.add(name(l).charAt(0));
                }
            }
            List<Integer> out = new ArrayList<>();
            for (int e = 0; e < ellipsisRank; e++) {
                out.add(ELLIPSIS_BASE + e);
            }
            for (char c : once) {
                out.add(label(c));
            }
            return out.stream().mapToInt(Integer::intValue).toArray();
        }

        /** Labels of one term; its ellipsis covers {@code own} dims, aligned right among {@code total}. */
        private static int[] labels(String term, int own, int total) {
            List<Integer> out = new ArrayList<>();
            for (int i = 0; i < term.length(); i++) {
                if (term.startsWith("...", i)) {
                    for (int e = total - own; e < total; e++) {
                        out.add(ELLIPSIS_BASE + e);
                    }
                    i += 2;
                } else {
                    out.add(label(term.charAt(i)));
                }
            }
            return out.stream().mapToInt(Integer::intValue).toArray();
        }

        private static int label(char c) {
            if (c >= 'a' && c <= 'z') {
                return c - 'a';
            }
            if (c >= 'A' && c <= 'Z') {
                return 26 + c - 'A';
            }
            throw new IllegalArgumentException("Einsum label '" + c + "' is not a letter");
        }

        private static String name(int label) {
            return label < 26 ? String.valueOf((char) ('a' + label)) : label < ELLIPSIS_BASE
                ? String.valueOf((char) ('A' + label - 26)) : "...";
        }

        long[] outputShape() {
            long[] s = new long[output.length];
            for (int i = 0; i < s.length; i++) {
                s[i] = size[output[i]];
            }
            return s;
        }

        /** Output labels, then every other label used (the summed ones). */
        int[] loopLabels() {
            List<Integer> all = new ArrayList<>();
            for (int l : output) {
                all.add(l);
            }
            for (int[] t : terms) {
                for (int l : t) {
                    if (!all.contains(l)) {
                        all.add(l);
                    }
                }
            }
            return all.stream().mapToInt(Integer::intValue).toArray();
        }
    }
}
