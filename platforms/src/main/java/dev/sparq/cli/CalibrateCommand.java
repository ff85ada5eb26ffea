package dev.sparq.cli;

import dev.sparq.Sparq;
import dev.sparq.graph.Model;
import dev.sparq.quant.CalibrationData;
import dev.sparq.quant.CalibrationResult;
import dev.sparq.quant.Calibrator;
import dev.sparq.quant.ImagePreprocessing;
import dev.sparq.quant.QdqWriter;
import dev.sparq.quant.QuantScheme;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code sparq calibrate MODEL --data DIR --method M --cache FILE --out MODEL.int8.onnx}. */
@Command(name = "calibrate", description = {
    "Calibrate INT8 on this machine: run the FP32 model over sample data, pick activation ranges, and write a "
        + "TensorRT-format calibration cache and a QDQ ONNX model any runtime can load.",
    "Without --data, an existing --cache is read instead of calibrating."})
final class CalibrateCommand implements Callable<Integer> {
    @Parameters(paramLabel = "MODEL", description = "FP32 ONNX model")
    Path modelPath;

    @Option(names = "--data", paramLabel = "DIR", description = "Folder of .npy samples (or images with --image-size).")
    Path data;

    @Option(names = "--method", defaultValue = "entropy", description = "entropy|minmax|percentile|mse (default ${DEFAULT-VALUE})")
    String method;

    @Option(names = "--percentile", defaultValue = "99.99", description = "For --method percentile (default ${DEFAULT-VALUE})")
    double percentile;

    @Option(names = "--scheme", defaultValue = "int8", description = "Activations: int8 (symmetric, default) or uint8 (asymmetric)")
    String scheme;

    @Option(names = "--image-size", paramLabel = "WxH", description = "Read --data as PNG/JPEG images resized to WxH.")
    String imageSize;

    @Option(names = "--mean", split = ",", description = "Per-channel mean after pixel/255 (default ImageNet's)")
    float[] mean;

    @Option(names = "--std", split = ",", description = "Per-channel std (default ImageNet's)")
    float[] std;

    @Option(names = "--channels", defaultValue = "RGB", description = "RGB|BGR|GRAY (default ${DEFAULT-VALUE})")
    ImagePreprocessing.Channels channels;

    @Option(names = "--layout", defaultValue = "NCHW", description = "NCHW|NHWC (default ${DEFAULT-VALUE})")
    ImagePreprocessing.Layout layout;

    @Option(names = "--cache", paramLabel = "FILE", required = true, description = "Calibration cache to write (or read without --data).")
    Path cache;

    @Option(names = "--out", paramLabel = "FILE", description = "QDQ ONNX model to write.")
    Path out;

    @Option(names = "--backend", paramLabel = "ID", description = "Backend that runs the FP32 model while calibrating.")
    String backend;

    @Option(names = "--threads", paramLabel = "N", description = "Threads (default: all cores).")
    Integer threads;

    @Option(names = "--quiet", description = "No progress lines.")
    boolean quiet;

    @Override
    public Integer call() throws IOException {
        QuantScheme qs = switch (scheme.toLowerCase(Locale.ROOT)) {
            case "int8" -> QuantScheme.INT8_SYMMETRIC;
            case "uint8" -> QuantScheme.UINT8_ASYMMETRIC;
            default -> throw new UsageException("--scheme must be int8 or uint8, not " + scheme);
        };
        long t0 = System.nanoTime();
        CalibrationResult result;
        try (Model model = Sparq.loadModel(modelPath)) {
            if (data == null) {
                if (!Files.isRegularFile(cache)) {
                    throw new UsageException("give --data to calibrate, or an existing --cache to reuse");
                }
                result = calibrator(qs).fromCache(cache, model);
                System.out.println("read " + result.activations().size() + " activation scales from " + cache);
            } else {
                result = calibrator(qs).run(model, source());
                result.writeCache(cache);
                System.out.printf(Locale.ROOT, "calibrated %d activation tensors and %d weights (%s, %s) on %d samples "
                        + "in %.1f s; wrote %s%n", result.activations().size(), result.weights().size(), result.method(),
                    qs, result.samples(), (System.nanoTime() - t0) / 1e9, cache);
            }
            if (out != null) {
                QdqWriter.write(model, result.activations(), out);
                System.out.printf(Locale.ROOT, "wrote %s (%,d bytes; FP32 model %,d bytes)%n", out, Files.size(out),
                    Files.size(modelPath));
            }
        }
        return ExitCodes.OK;
    }

    private Calibrator calibrator(QuantScheme qs) {
        Calibrator c = switch (method.toLowerCase(Locale.ROOT)) {
            case "percentile" -> Calibrator.percentile(percentile);
            case "entropy", "minmax", "mse" -> Calibrator.forMethod(method.toLowerCase(Locale.ROOT));
            default -> throw new UsageException("--method must be entropy, minmax, percentile or mse, not " + method);
        };
        c = c.scheme(qs).progress(quiet ? null : System.err);
        if (backend != null) {
            c = c.backend(backend);
        }
        if (threads != null) {
            c = c.threads(threads);
        }
        return c;
    }

    private CalibrationData source() {
        if (!Files.isDirectory(data)) {
            throw new dev.sparq.InvalidInputException(data + ": no such folder");
        }
        if (imageSize == null) {
            return CalibrationData.npyFolder(data);
        }
        String[] wh = imageSize.toLowerCase(Locale.ROOT).split("x");
        if (wh.length != 2) {
            throw new UsageException("--image-size must look like 224x224");
        }
        int w = Integer.parseInt(wh[0]);
        int h = Integer.parseInt(wh[1]);
        ImagePreprocessing net = ImagePreprocessing.imagenet(w, h);
        float[] m = mean != null ? mean : net.mean();
        float[] s = std != null ? std : net.std();
        if (channels == ImagePreprocessing.Channels.GRAY && mean == null) {
            m = Arrays.copyOf(m, 1);
            s = Arrays.copyOf(s, 1);
        }
        return CalibrationData.imageFolder(data, new ImagePreprocessing(w, h, m, s, channels, layout));
    }
}
