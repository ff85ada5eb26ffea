package dev.sparq.cli;

import dev.sparq.InvalidInputException;
import dev.sparq.Session;
import dev.sparq.Sparq;
import dev.sparq.graph.ValueInfo;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Npy;
import dev.sparq.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code sparq run MODEL --input NAME=FILE.npy ... --out DIR}. */
@Command(name = "run", description = {"Run a model on .npy inputs and write each output as DIR/<name>.npy.",
    "Characters of an output name outside [A-Za-z0-9._:-] become '_' in its file name."})
final class RunCommand implements Callable<Integer> {
    @Parameters(paramLabel = "MODEL", description = "ONNX model file")
    Path modelPath;

    @Option(names = "--input", paramLabel = "NAME=FILE.npy", required = true,
        description = "An input tensor (repeatable). NAME is split from FILE at the last '='; a model with one "
            + "input also takes a bare FILE.")
    List<String> inputs = new ArrayList<>();

    @Option(names = "--out", paramLabel = "DIR", required = true, description = "Folder for the outputs (created).")
    Path outDir;

    @Mixin
    BackendOptions backendOptions;

    @Override
    public Integer call() throws IOException {
        try (Session session = Sparq.load(modelPath, backendOptions.toSessionOptions())) {
            Map<String, Tensor> feeds = new LinkedHashMap<>();
            try {
                for (String spec : inputs) {
                    int eq = spec.lastIndexOf('=');
                    String name;
                    Path file;
                    if (eq < 0) {
                        if (session.inputs().size() != 1) {
                            throw new UsageException("--input " + spec + " has no NAME=; the model has inputs "
                                + session.inputs().stream().map(ValueInfo::name).toList());
                        }
                        name = session.inputs().get(0).name();
                        file = Path.of(spec);
                    } else {
                        name = spec.substring(0, eq);
                        file = Path.of(spec.substring(eq + 1));
                    }
                    if (feeds.containsKey(name)) {
                        throw new UsageException("input '" + name + "' is given twice");
                    }
                    feeds.put(name, load(session, name, file));
                }
                try (Session.Result result = session.run(feeds)) {
                    Files.createDirectories(outDir);
                    for (Map.Entry<String, Tensor> e : result) {
                        Path f = outDir.resolve(NpyNames.fileNameFor(e.getKey()));
                        Npy.write(e.getValue(), f);
                        System.out.println(e.getKey() + " " + e.getValue().dtype() + Arrays.toString(e.getValue().shape())
                            + " -> " + f);
                    }
                }
            } finally {
                feeds.values().forEach(Tensor::close);
            }
        }
        return ExitCodes.OK;
    }

    /** Reads a .npy; float64 arrays (NumPy's default) are narrowed to float32 when the model wants float32. */
    private static Tensor load(Session session, String name, Path file) {
        Tensor t = Npy.read(file);
        DType want = session.inputs().stream().filter(v -> v.name().equals(name)).findFirst()
            .map(v -> v.type().dtype()).orElse(null);
        if (want == DType.F32 && t.dtype() == DType.F64) {
            try (Tensor wide = t) {
                Tensor narrow = Tensor.allocate(DType.F32, wide.shape());
                for (long i = 0; i < wide.size(); i++) {
                    narrow.setFloat(i, (float) wide.getDouble(i));
                }
                System.err.println("note: " + file + " is float64; converted to float32 for input '" + name + "'");
                return narrow;
            }
        }
        if (want != null && want != t.dtype()) {
            t.close();
            throw new InvalidInputException(file + ": holds " + t.dtype() + " but input '" + name + "' is " + want);
        }
        return t;
    }
}
