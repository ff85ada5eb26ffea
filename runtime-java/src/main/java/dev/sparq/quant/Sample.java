package dev.sparq.quant;

import dev.sparq.InvalidInputException;
import dev.sparq.graph.ValueInfo;
import dev.sparq.tensor.Tensor;
import java.util.List;
import java.util.Map;

/**
 * One calibration sample: the model's inputs by name, or a single tensor for a single-input model. It names where it
 * came from (a file, "sample 3") for error messages, and closes its tensors only if it owns them.
 */
public final class Sample implements AutoCloseable {
    private final String source;
    private final Map<String, Tensor> named;
    private final Tensor single;
    private final boolean owned;

    private Sample(String source, Map<String, Tensor> named, Tensor single, boolean owned) {
        this.source = source;
        this.named = named;
        this.single = single;
        this.owned = owned;
    }

    /** A sample of named inputs; {@code owned} = closing the sample closes the tensors. */
    public static Sample of(String source, Map<String, Tensor> inputs, boolean owned) {
        return new Sample(source, Map.copyOf(inputs), null, owned);
    }

    /** A sample for a single-input model; {@code owned} = closing the sample closes the tensor. */
    public static Sample of(String source, Tensor input, boolean owned) {
        return new Sample(source, null, input, owned);
    }

    /** Where the sample came from, e.g. a file path. */
    public String source() {
        return source;
    }

    /** The inputs keyed by the model's input names. */
    public Map<String, Tensor> bind(List<ValueInfo> modelInputs) {
        if (named != null) {
            return named;
        }
        if (modelInputs.size() != 1) {
            throw new InvalidInputException(source + ": a single tensor cannot feed a model with "
                + modelInputs.size() + " inputs " + modelInputs.stream().map(ValueInfo::name).toList()
                + "; give each sample as a map of named inputs");
        }
        return Map.of(modelInputs.get(0).name(), single);
    }

    @Override
    public void close() {
        if (owned) {
            if (single != null) {
                single.close();
            } else {
                named.values().forEach(Tensor::close);
            }
        }
    }
}
