package dev.sparq.cli;

import dev.sparq.Sparq;
import dev.sparq.compress.Compressed;
import dev.sparq.compress.SvdFactorizer;
import dev.sparq.graph.Model;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code sparq factorize MODEL --energy E --out FILE}: truncated SVD of Gemm/MatMul weights. */
@Command(name = "factorize", description = {
    "Low-rank factorization of Gemm/MatMul weights by truncated SVD: W ≈ U_k·(S_k V_kᵀ) with the smallest k keeping "
        + "--energy of Σσ², as two smaller layers, only where that saves parameters. Same report as prune."})
final class FactorizeCommand implements Callable<Integer> {
    @Parameters(paramLabel = "MODEL", description = "FP32 ONNX model")
    Path modelPath;

    @Option(names = "--energy", paramLabel = "E", required = true,
        description = "Share in (0,1] of each weight's squared singular values to keep (e.g. 0.95).")
    double energy;

    @Mixin
    CompressionOutput output;

    @Override
    public Integer call() throws IOException {
        if (!(energy > 0 && energy <= 1)) {
            throw new UsageException("--energy must be in (0, 1], not " + energy);
        }
        output.validate();
        try (Model model = Sparq.loadModel(modelPath);
             Compressed result = SvdFactorizer.factorize(model, energy)) {
            output.finish(modelPath, result);
        }
        return ExitCodes.OK;
    }
}
