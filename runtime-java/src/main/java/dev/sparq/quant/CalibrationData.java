package dev.sparq.quant;

import dev.sparq.tensor.Tensor;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;

/**
 * Where calibration samples come from. Calibration reads them once, but every {@link #samples()} call must start a
 * fresh pass from the first sample (a calibrator may be run again on the same data).
 */
public interface CalibrationData {
    /** A new pass over the samples. The caller closes each sample and the iterator. */
    Samples samples();

    /** The number of samples if known without reading them, else -1. */
    default int size() {
        return -1;
    }

    /** One pass over the samples; closing it frees whatever it holds (e.g. a file being split into rows). */
    interface Samples extends Iterator<Sample>, AutoCloseable {
        @Override
        void close();
    }

    /** The {@code .npy} files of a folder, sorted by name; a file's first axis is a batch split into samples. */
    static CalibrationData npyFolder(Path dir) {
        return new NpyFolderData(dir);
    }

    /** The PNG and JPEG files of a folder, sorted by name, each turned into one input tensor by {@code spec}. */
    static CalibrationData imageFolder(Path dir, ImagePreprocessing spec) {
        return new ImageFolderData(dir, spec);
    }

    /** Samples of named inputs from any iterable; the caller keeps ownership of the tensors. */
    static CalibrationData of(Iterable<Map<String, Tensor>> samples) {
        return new IterableData<>(samples, (source, m) -> Sample.of(source, m, false));
    }

    /** Single-tensor samples (for a single-input model) from any iterable; the caller keeps the tensors. */
    static CalibrationData ofTensors(Iterable<Tensor> samples) {
        return new IterableData<>(samples, (source, t) -> Sample.of(source, t, false));
    }
}
