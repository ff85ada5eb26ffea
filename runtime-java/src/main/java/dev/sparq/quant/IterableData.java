package dev.sparq.quant;

import java.util.Iterator;
import java.util.function.BiFunction;

/** Calibration data from a Java {@link Iterable}: each element becomes a sample named "sample N" (from 0). */
final class IterableData<T> implements CalibrationData {
    private final Iterable<T> source;
    private final BiFunction<String, T, Sample> toSample;

    IterableData(Iterable<T> source, BiFunction<String, T, Sample> toSample) {
        this.source = source;
        this.toSample = toSample;
    }

    @Override
    public Samples samples() {
        Iterator<T> it = source.iterator();
        return new Samples() {
            private int index;

            @Override
            public boolean hasNext() {
                return it.hasNext();
            }

            @Override
            public Sample next() {
                return toSample.apply("sample " + index++, it.next());
            }

            @Override
            public void close() {
            }
        };
    }

    @Override
    public int size() {
        return source instanceof java.util.Collection<?> c ? c.size() : -1;
    }
}
