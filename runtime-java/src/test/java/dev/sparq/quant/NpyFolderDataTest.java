package dev.sparq.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparq.InvalidInputException;
import dev.sparq.graph.ValueInfo;
import dev.sparq.graph.ValueType;
import dev.sparq.tensor.Npy;
import dev.sparq.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NpyFolderDataTest {
    private static final List<ValueInfo> ONE_INPUT = List.of(new ValueInfo("x", ValueType.UNKNOWN));

    @TempDir
    Path dir;

    private void write(String name, float[] values, long... shape) throws IOException {
        try (Tensor t = Tensor.fromFloats(values, shape)) {
            Npy.write(t, dir.resolve(name));
        }
    }

    /** Every sample of one pass: "file[row] shape values", the file relative to the folder. */
    private List<String> pass(CalibrationData data) {
        List<String> seen = new ArrayList<>();
        try (CalibrationData.Samples it = data.samples()) {
            while (it.hasNext()) {
                try (Sample s = it.next()) {
                    Tensor t = s.bind(ONE_INPUT).get("x");
                    seen.add(s.source().substring(dir.toString().length() + 1) + " "
                        + Arrays.toString(t.shape()) + " " + Arrays.toString(t.toFloatArray()));
                }
            }
        }
        return seen;
    }

    @Test
    void filesAreReadInNameOrderAndBatchesSplitIntoRows() throws IOException {
        write("b.npy", new float[] {1, 2, 3, 4, 5, 6}, 3, 2);
        write("a.npy", new float[] {9, 8}, 1, 2);
        Files.writeString(dir.resolve("notes.txt"), "ignored");
        List<String> expected = List.of(
            "a.npy [1, 2] [9.0, 8.0]",
            "b.npy[0] [1, 2] [1.0, 2.0]",
            "b.npy[1] [1, 2] [3.0, 4.0]",
            "b.npy[2] [1, 2] [5.0, 6.0]");
        CalibrationData data = CalibrationData.npyFolder(dir);
        assertEquals(expected, pass(data));
        assertEquals(expected, pass(data)); // a second pass sees the same samples
    }

    @Test
    void samplesOwnTheirTensors() throws IOException {
        write("a.npy", new float[] {1, 2, 3, 4}, 2, 2);
        Tensor first;
        try (CalibrationData.Samples it = CalibrationData.npyFolder(dir).samples()) {
            Sample s = it.next();
            first = s.bind(ONE_INPUT).get("x");
            s.close();
            assertTrue(first.isClosed());
            assertTrue(it.hasNext());
        }
    }

    @Test
    void emptyOrMissingFolderIsReported() throws IOException {
        InvalidInputException e = assertThrows(InvalidInputException.class,
            () -> CalibrationData.npyFolder(dir).samples());
        assertEquals(dir + ": no .npy files", e.getMessage());
        Path missing = dir.resolve("missing");
        assertEquals(missing + ": not a directory", assertThrows(InvalidInputException.class,
            () -> CalibrationData.npyFolder(missing).samples()).getMessage());
    }

    @Test
    void unreadableFileIsNamed() throws IOException {
        write("a.npy", new float[] {1, 2}, 1, 2);
        Files.writeString(dir.resolve("b.npy"), "not numpy");
        try (CalibrationData.Samples it = CalibrationData.npyFolder(dir).samples()) {
            it.next().close();
            InvalidInputException e = assertThrows(InvalidInputException.class, it::next);
            assertTrue(e.getMessage().startsWith(dir.resolve("b.npy") + ": not a NumPy .npy file"), e.getMessage());
        }
    }

    @Test
    void emptyBatchIsReported() throws IOException {
        write("a.npy", new float[0], 0, 2);
        try (CalibrationData.Samples it = CalibrationData.npyFolder(dir).samples()) {
            InvalidInputException e = assertThrows(InvalidInputException.class, it::next);
            assertEquals(dir.resolve("a.npy") + ": holds no samples (shape [0, 2])", e.getMessage());
        }
    }

    @Test
    void singleTensorCannotFeedSeveralInputs() {
        try (Tensor t = Tensor.fromFloats(new float[] {1}, 1)) {
            Sample s = Sample.of("sample 0", t, false);
            List<ValueInfo> two = List.of(new ValueInfo("a", ValueType.UNKNOWN), new ValueInfo("b", ValueType.UNKNOWN));
            InvalidInputException e = assertThrows(InvalidInputException.class, () -> s.bind(two));
            assertTrue(e.getMessage().startsWith("sample 0: a single tensor cannot feed a model with 2 inputs"));
            s.close();
            assertFalse(t.isClosed()); // not owned
        }
    }

    @Test
    void iterablesGiveNamedSamplesAndKnowTheirSize() {
        try (Tensor a = Tensor.fromFloats(new float[] {1}, 1); Tensor b = Tensor.fromFloats(new float[] {2}, 1)) {
            CalibrationData data = CalibrationData.of(List.of(Map.of("x", a), Map.of("x", b)));
            assertEquals(2, data.size());
            List<Float> seen = new ArrayList<>();
            try (CalibrationData.Samples it = data.samples()) {
                while (it.hasNext()) {
                    Sample s = it.next();
                    seen.add(s.bind(ONE_INPUT).get("x").getFloat(0));
                    s.close();
                }
            }
            assertEquals(List.of(1f, 2f), seen);
            assertFalse(a.isClosed());
            assertArrayEquals(new float[] {2}, CalibrationData.ofTensors(List.of(b)).samples().next()
                .bind(ONE_INPUT).get("x").toFloatArray());
        }
    }
}
