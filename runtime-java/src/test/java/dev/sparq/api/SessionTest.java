package dev.sparq.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparq.InvalidInputException;
import dev.sparq.Session;
import dev.sparq.SessionOptions;
import dev.sparq.Sparq;
import dev.sparq.UnsupportedOperatorException;
import dev.sparq.onnx.proto.Onnx.GraphProto;
import dev.sparq.plan.BackendUnavailableException;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import dev.sparq.testing.OnnxModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SessionTest {
    @TempDir
    Path dir;

    private Path addBiasModel() throws IOException {
        Path f = dir.resolve("add.onnx");
        Files.write(f, OnnxModels.addBias(10, 20, 30).toByteArray());
        return f;
    }

    @Test
    void runsWithAnyBatchSize() throws IOException {
        try (Session s = Sparq.load(addBiasModel())) {
            for (int batch : new int[] {1, 3}) {
                float[] in = new float[batch * 3];
                for (int i = 0; i < in.length; i++) {
                    in[i] = i;
                }
                try (Tensor x = Tensor.fromFloats(in, batch, 3); Session.Result r = s.run(Map.of("x", x))) {
                    Tensor y = r.get("y");
                    assertArrayEquals(new long[] {batch, 3}, y.shape());
                    for (int i = 0; i < in.length; i++) {
                        assertEquals(in[i] + 10 * (i % 3 + 1), y.getFloat(i));
                    }
                }
            }
        }
    }

    @Test
    void checksInputsAgainstTheModel() throws IOException {
        try (Session s = Sparq.load(addBiasModel()); Tensor good = Tensor.allocate(DType.F32, 2, 3);
             Tensor wrongDim = Tensor.allocate(DType.F32, 2, 4); Tensor wrongType = Tensor.allocate(DType.I32, 2, 3);
             Tensor wrongRank = Tensor.allocate(DType.F32, 6)) {
            assertMessage(() -> s.run(Map.of()), "missing input 'x'");
            assertMessage(() -> s.run(Map.of("x", good, "z", good)), "unknown input 'z'");
            assertMessage(() -> s.run(Map.of("x", wrongDim)), "must have shape");
            assertMessage(() -> s.run(Map.of("x", wrongType)), "must be f32");
            assertMessage(() -> s.run(Map.of("x", wrongRank)), "must have shape");
        }
    }

    @Test
    void closedSessionsAndResultsThrow() throws IOException {
        Session s = Sparq.load(addBiasModel());
        Tensor x = Tensor.allocate(DType.F32, 1, 3);
        Session.Result r = s.run(Map.of("x", x));
        Tensor y = r.get("y");
        r.close();
        assertThrows(IllegalStateException.class, y::toFloatArray);
        s.close();
        s.close();
        assertThrows(IllegalStateException.class, () -> s.run(Map.of("x", x)));
        x.close();
    }

    @Test
    void concurrentRunsGiveTheSameResults() throws Exception {
        try (Session s = Sparq.load(addBiasModel())) {
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<float[]>> futures = new java.util.ArrayList<>();
                for (int t = 0; t < 16; t++) {
                    final int k = t;
                    futures.add(pool.submit(() -> {
                        try (Tensor x = Tensor.fromFloats(new float[] {k, k, k}, 1, 3);
                             Session.Result r = s.run(Map.of("x", x))) {
                            return r.first().toFloatArray();
                        }
                    }));
                }
                for (int t = 0; t < 16; t++) {
                    assertArrayEquals(new float[] {t + 10, t + 20, t + 30}, futures.get(t).get());
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void inputsInAConfinedArenaWorkWithWorkerThreads() throws IOException {
        try (Session s = Sparq.load(addBiasModel(), SessionOptions.builder().threads(2).build());
             java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            Tensor x = Tensor.allocate(DType.F32, new long[] {64, 3}, arena);
            try (Session.Result r = s.run(Map.of("x", x))) {
                assertEquals(20f, r.first().getFloat(1));
            }
        }
    }

    @Test
    void unsupportedOperatorsAndBackendsAreClearErrors() throws IOException {
        GraphProto g = GraphProto.newBuilder().addInput(OnnxModels.floatInput("x", 1))
            .addNode(OnnxModels.node("NoSuchOp", List.of("x"), List.of("y")))
            .addOutput(OnnxModels.floatInput("y", 1)).build();
        Path f = dir.resolve("odd.onnx");
        Files.write(f, OnnxModels.model(g, 13).toByteArray());
        UnsupportedOperatorException e = assertThrows(UnsupportedOperatorException.class, () -> Sparq.load(f));
        assertTrue(e.getMessage().startsWith(f + ": NoSuchOp node"), e.getMessage());
        assertThrows(BackendUnavailableException.class,
            () -> Sparq.load(addBiasModel(), SessionOptions.builder().backend("no-such-backend").build()));
    }

    private static void assertMessage(org.junit.jupiter.api.function.Executable call, String expected) {
        InvalidInputException e = assertThrows(InvalidInputException.class, call);
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }
}
