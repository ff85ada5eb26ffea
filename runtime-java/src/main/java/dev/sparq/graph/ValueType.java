package dev.sparq.graph;

import dev.sparq.tensor.DType;
import java.util.List;
import java.util.stream.Collectors;

/**
 * What is known about a value before running: element type (null if unknown) and dims (null if even the rank
 * is unknown). {@code kind} says whether it is a plain tensor; sequences and optionals are imported but no kernel
 * runs them yet.
 */
public record ValueType(Kind kind, DType dtype, List<Dim> dims) {
    public enum Kind { TENSOR, SEQUENCE, OPTIONAL, MAP, SPARSE_TENSOR, UNKNOWN }

    public static final ValueType UNKNOWN = new ValueType(Kind.UNKNOWN, null, null);

    public ValueType {
        dims = dims == null ? null : List.copyOf(dims);
    }

    public static ValueType tensor(DType dtype, List<Dim> dims) {
        return new ValueType(Kind.TENSOR, dtype, dims);
    }

    public static ValueType tensor(DType dtype, long... dims) {
        return tensor(dtype, java.util.Arrays.stream(dims).mapToObj(Dim::of).toList());
    }

    public boolean hasRank() {
        return dims != null;
    }

    public int rank() {
        return dims == null ? -1 : dims.size();
    }

    /** Concrete shape if every dim is known, else null. */
    public long[] concreteShape() {
        if (dims == null) {
            return null;
        }
        long[] s = new long[dims.size()];
        for (int i = 0; i < s.length; i++) {
            if (!dims.get(i).isKnown()) {
                return null;
            }
            s[i] = dims.get(i).value();
        }
        return s;
    }

    @Override
    public String toString() {
        if (kind != Kind.TENSOR) {
            return kind.name().toLowerCase(java.util.Locale.ROOT);
        }
        String t = dtype == null ? "?" : dtype.toString();
        return t + (dims == null ? "[?]" : dims.stream().map(Dim::toString).collect(Collectors.joining(",", "[", "]")));
    }
}
