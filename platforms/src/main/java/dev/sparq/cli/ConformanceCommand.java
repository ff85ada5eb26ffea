package dev.sparq.cli;

import dev.sparq.InvalidInputException;
import dev.sparq.conformance.ConformanceRunner;
import dev.sparq.conformance.Tolerance;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code sparq conformance DIR}: ONNX backend node tests. Exit 1 if any test fails. */
@Command(name = "conformance", description = {"Run ONNX backend node tests (model.onnx + test_data_set_*) under DIR.",
    "Prints one line per test and ends with 'N passed, M failed, K skipped'. Exit 1 if any test failed."})
final class ConformanceCommand implements Callable<Integer> {
    @Parameters(paramLabel = "DIR", description = "folder of test folders, or one test folder")
    Path dir;

    @Option(names = "--rtol", description = "relative tolerance (default ${DEFAULT-VALUE})", defaultValue = "1e-3")
    double rtol;

    @Option(names = "--atol", description = "absolute tolerance (default ${DEFAULT-VALUE})", defaultValue = "1e-7")
    double atol;

    @Mixin
    BackendOptions backendOptions;

    @Override
    public Integer call() throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new InvalidInputException(dir + ": no such folder");
        }
        ConformanceRunner runner = new ConformanceRunner(backendOptions.toSessionOptions(), new Tolerance(rtol, atol));
        ConformanceRunner.Summary s = runner.runAll(dir, System.out);
        return s.count(ConformanceRunner.Status.FAILED) == 0 ? ExitCodes.OK : ExitCodes.INTERNAL;
    }
}
