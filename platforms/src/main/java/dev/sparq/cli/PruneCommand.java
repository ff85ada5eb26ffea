package dev.sparq.cli;

import dev.sparq.Sparq;
import dev.sparq.compress.ChannelPruner;
import dev.sparq.compress.Compressed;
import dev.sparq.compress.MagnitudePruner;
import dev.sparq.graph.Model;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code sparq prune MODEL --sparsity S --pattern unstructured|2:4|channel [--scope layer|global] --out FILE}. */
@Command(name = "prune", description = {
    "Magnitude pruning of the Conv/Gemm/MatMul weights; writes an ONNX model any runtime loads and reports "
        + "parameters and nonzeros per layer, file sizes and how the outputs changed.",
    "unstructured: the smallest |w| become zeros (per layer, or one --scope global threshold); 2:4: the 2 largest "
        + "|w| of every 4 along the reduction axis stay; channel: whole output channels (smallest L1 norm) are "
        + "removed and the graph shrinks (layers whose channels feed a residual Add or a graph output stay whole)."})
final class PruneCommand implements Callable<Integer> {
    @Parameters(paramLabel = "MODEL", description = "FP32 ONNX model")
    Path modelPath;

    @Option(names = "--sparsity", paramLabel = "S", description = "Fraction in [0,1) of weights (unstructured) or of "
        + "each layer's output channels (channel) to remove. 2:4 is always 0.5.")
    Double sparsity;

    @Option(names = "--pattern", defaultValue = "unstructured", description = "unstructured|2:4|channel (default "
        + "${DEFAULT-VALUE})")
    String pattern;

    @Option(names = "--scope", defaultValue = "layer", description = "unstructured only: layer (each weight loses S) "
        + "or global (one threshold over all weights); default ${DEFAULT-VALUE}")
    String scope;

    @Mixin
    CompressionOutput output;

    @Override
    public Integer call() throws IOException {
        String p = pattern.toLowerCase(Locale.ROOT);
        if (!p.equals("unstructured") && !p.equals("2:4") && !p.equals("channel")) {
            throw new UsageException("--pattern must be unstructured, 2:4 or channel, not " + pattern);
        }
        MagnitudePruner.Scope sc = switch (scope.toLowerCase(Locale.ROOT)) {
            case "layer" -> MagnitudePruner.Scope.LAYER;
            case "global" -> MagnitudePruner.Scope.GLOBAL;
            default -> throw new UsageException("--scope must be layer or global, not " + scope);
        };
        if (p.equals("2:4")) {
            if (sparsity != null && sparsity != 0.5) {
                throw new UsageException("--pattern 2:4 removes exactly half the weights; drop --sparsity or give 0.5");
            }
        } else if (sparsity == null) {
            throw new UsageException("--sparsity is required for --pattern " + p);
        } else if (!(sparsity >= 0 && sparsity < 1)) {
            throw new UsageException("--sparsity must be in [0, 1), not " + sparsity);
        }
        if (sc == MagnitudePruner.Scope.GLOBAL && !p.equals("unstructured")) {
            throw new UsageException("--scope global is for --pattern unstructured");
        }
        output.validate();
        try (Model model = Sparq.loadModel(modelPath);
             Compressed result = switch (p) {
                 case "2:4" -> MagnitudePruner.twoOfFour(model);
                 case "channel" -> ChannelPruner.prune(model, sparsity);
                 default -> MagnitudePruner.unstructured(model, sparsity, sc);
             }) {
            output.finish(modelPath, result);
        }
        return ExitCodes.OK;
    }
}
