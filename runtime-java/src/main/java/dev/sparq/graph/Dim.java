package dev.sparq.graph;

/** One dimension of a value's shape: a known size, a named symbol (e.g. the batch "N"), or unknown. */
public record Dim(long value, String symbol) {
    public static final Dim UNKNOWN = new Dim(-1, null);

    public static Dim of(long value) {
        return new Dim(value, null);
    }

    public static Dim symbol(String name) {
        return new Dim(-1, name);
    }

    public boolean isKnown() {
        return value >= 0;
    }

    @Override
    public String toString() {
        return isKnown() ? Long.toString(value) : (symbol != null ? symbol : "?");
    }
}
