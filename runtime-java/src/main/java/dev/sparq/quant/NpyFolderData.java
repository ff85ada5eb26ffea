package dev.sparq.quant;

import dev.sparq.InvalidInputException;
import dev.sparq.tensor.Npy;
import dev.sparq.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * A folder of {@code .npy} files, sorted by name, for a single-input model. A file whose first axis is N &gt; 1 is a
 * batch: it gives N samples of batch 1 (rows named {@code file[row]}); any other file is one sample as it is.
 */
final class NpyFolderData implements CalibrationData {
    private final Path dir;

    NpyFolderData(Path dir) {
        this.dir = dir;
    }

    @Override
    public Samples samples() {
        return new FileRows(SampleFiles.list(dir, ".npy", ".npy"));
    }

    /** Walks the files one at a time and hands out copies of their rows. */
    private static final class FileRows implements Samples {
        private final List<Path> files;
        private int nextFile;
        private Path path;
        private Tensor current;
        private long row;
        private long rows;

        FileRows(List<Path> files) {
            this.files = files;
        }

        @Override
        public boolean hasNext() {
            return row < rows || nextFile < files.size();
        }

        @Override
        public Sample next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            if (row >= rows) {
                openNext();
            }
            if (!isBatch(current)) {
                Tensor whole = current;
                current = null;
                row = rows;
                return Sample.of(path.toString(), whole, true);
            }
            long[] shape = current.shape();
            shape[0] = 1;
            Tensor one = Tensor.allocate(current.dtype(), shape);
            long bytes = one.byteSize();
            MemorySegment.copy(current.segment(), row * bytes, one.segment(), 0, bytes);
            String source = path + "[" + row + "]";
            if (++row == rows) {
                closeCurrent();
            }
            return Sample.of(source, one, true);
        }

        private void openNext() {
            path = files.get(nextFile++);
            current = Npy.read(path);
            if (current.rank() > 0 && current.dim(0) == 0) {
                String shape = Arrays.toString(current.shape());
                closeCurrent();
                throw new InvalidInputException(path + ": holds no samples (shape " + shape + ")");
            }
            row = 0;
            rows = isBatch(current) ? current.dim(0) : 1;
        }

        private static boolean isBatch(Tensor t) {
            return t.rank() > 0 && t.dim(0) > 1;
        }

        private void closeCurrent() {
            if (current != null) {
                current.close();
                current = null;
            }
        }

        @Override
        public void close() {
            closeCurrent();
        }
    }
}
