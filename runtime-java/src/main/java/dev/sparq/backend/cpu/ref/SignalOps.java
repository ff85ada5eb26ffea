package dev.sparq.backend.cpu.ref;

import dev.sparq.backend.Kernel;
import dev.sparq.backend.KernelRegistry;
import dev.sparq.backend.KernelRequest;
import dev.sparq.backend.UnsupportedKernelException;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import dev.sparq.tensor.Shapes;
import java.util.Arrays;
import java.util.function.DoubleUnaryOperator;

/**
 * Signal processing (opset 17): DFT (axis an input from opset 20), STFT, MelWeightMatrix, and the HannWindow,
 * HammingWindow, BlackmanWindow generators. Transforms are naive O(n²) DFTs in double, as ONNX's reference
 * defines them: complex values are a trailing dim of 2 (a trailing dim of 1 is a real signal).
 */
public final class SignalOps {
    private SignalOps() {
    }

    public static void register(KernelRegistry r) {
        r.register("HannWindow", req -> window(req, t -> 0.5 - 0.5 * Math.cos(t)));
        r.register("HammingWindow", req -> window(req, t -> 25.0 / 46 - 21.0 / 46 * Math.cos(t)));
        r.register("BlackmanWindow", req -> window(req, t -> 0.42 - 0.5 * Math.cos(t) + 0.08 * Math.cos(2 * t)));
        r.register("DFT", SignalOps::dft);
        r.register("STFT", SignalOps::stft);
        r.register("MelWeightMatrix", SignalOps::melWeightMatrix);
    }

    /**
     * The DFT of re + i·im zero-padded or truncated to n, as [re₀, im₀, re₁, im₁, …] of its first
     * {@code bins} bins; the inverse transform divides by n.
     */
    static double[] dft(double[] re, double[] im, int n, int bins, boolean inverse) {
        double[] out = new double[2 * bins];
        double sign = inverse ? 1 : -1;
        int m = Math.min(n, re.length);
        for (int k = 0; k < bins; k++) {
            double sr = 0;
            double si = 0;
            for (int t = 0; t < m; t++) {
                // reduce k·t mod n first so the angle stays small and accurate
                double angle = sign * 2 * Math.PI * ((long) k * t % n) / n;
                double c = Math.cos(angle);
                double s = Math.sin(angle);
                sr += re[t] * c - im[t] * s;
                si += re[t] * s + im[t] * c;
            }
            out[2 * k] = inverse ? sr / n : sr;
            out[2 * k + 1] = inverse ? si / n : si;
        }
        return out;
    }

    /** DFT along one signal axis; axis is an attribute (default 1) before opset 20, input 2 (default −2) after. */
    private static Kernel dft(KernelRequest req) {
        boolean inverse = req.node().intAttr("inverse", 0) != 0;
        boolean onesided = req.node().intAttr("onesided", 0) != 0;
        boolean axisInput = req.opset() >= 20;
        long axisAttr = req.node().intAttr("axis", 1);
        return (in, ctx) -> {
            Tensor x = in[0];
            long[] shape = x.shape();
            int rank = shape.length;
            if (rank < 2 || (shape[rank - 1] != 1 && shape[rank - 1] != 2)) {
                throw new IllegalArgumentException("DFT input must end in a dim of 1 (real) or 2 (complex), got "
                    + Arrays.toString(shape));
            }
            Tensor axisTensor = axisInput ? Args.optional(in, 2) : null;
            long axisValue = axisInput ? (axisTensor == null ? -2 : Args.scalarLong(axisTensor, "axis")) : axisAttr;
            int axis = Shapes.axis(axisValue, rank, "axis");
            if (axis == rank - 1) {
                throw new IllegalArgumentException("DFT axis cannot be the complex dim");
            }
            Tensor lengthTensor = Args.optional(in, 1);
            int n = (int) (lengthTensor == null ? shape[axis] : Args.scalarLong(lengthTensor, "dft_length"));
            int bins = onesided ? n / 2 + 1 : n;
            long[] outShape = shape.clone();
            outShape[axis] = bins;
            outShape[rank - 1] = 2;
            Tensor y = ctx.allocate(x.dtype(), outShape);
            boolean complex = shape[rank - 1] == 2;
            long outer = Axes.product(shape, 0, axis);
            long inner = Axes.product(shape, axis + 1, rank - 1);
            int length = (int) shape[axis];
            double[] re = new double[length];
            double[] im = new double[length];
            for (long o = 0; o < outer; o++) {
                for (long j = 0; j < inner; j++) {
                    for (int t = 0; t < length; t++) {
                        long at = ((o * length + t) * inner + j) * shape[rank - 1];
                        re[t] = x.getDouble(at);
                        im[t] = complex ? x.getDouble(at + 1) : 0;
                    }
                    double[] f = dft(re, im, n, bins, inverse);
                    for (int k = 0; k < bins; k++) {
                        long at = ((o * bins + k) * inner + j) * 2;
                        y.setDouble(at, f[2 * k]);
                        y.setDouble(at + 1, f[2 * k + 1]);
                    }
                }
            }
            return new Tensor[] {y};
        };
    }

    /**
     * STFT: frames of the window's length every frame_step samples, weighted by the window (ones if absent), each
     * transformed with dft length frame_length; onesided (the default) keeps frame_length / 2 + 1 bins.
     */
    private static Kernel stft(KernelRequest req) {
        boolean onesided = req.node().intAttr("onesided", 1) != 0;
        return (in, ctx) -> {
            Tensor x = in[0];
            if (x.rank() != 3 || (x.dim(2) != 1 && x.dim(2) != 2)) {
                throw new IllegalArgumentException("STFT signal must be [batch, length, 1 or 2]");
            }
            long step = Args.scalarLong(in[1], "frame_step");
            Tensor window = Args.optional(in, 2);
            Tensor lengthTensor = Args.optional(in, 3);
            int signal = (int) x.dim(1);
            int frameLength = (int) (lengthTensor != null ? Args.scalarLong(lengthTensor, "frame_length")
                : window != null ? window.size() : signal);
            int windowSize = window != null ? (int) window.size() : frameLength;
            int frames = (int) (1 + (signal - frameLength) / step);
            int bins = onesided ? frameLength / 2 + 1 : frameLength;
            boolean complex = x.dim(2) == 2;
            Tensor y = ctx.allocate(x.dtype(), x.dim(0), Math.max(frames, 0), bins, 2);
            double[] re = new double[windowSize];
            double[] im = new double[windowSize];
            for (long b = 0; b < x.dim(0); b++) {
                for (int f = 0; f < frames; f++) {
                    for (int t = 0; t < windowSize; t++) {
                        long s = f * step + t;
                        double w = window == null ? 1 : window.getDouble(t);
                        boolean inside = s < signal;
                        long at = (b * signal + s) * x.dim(2);
                        re[t] = inside ? x.getDouble(at) * w : 0;
                        im[t] = inside && complex ? x.getDouble(at + 1) * w : 0;
                    }
                    double[] spectrum = dft(re, im, frameLength, bins, false);
                    for (int k = 0; k < 2 * bins; k++) {
                        y.setDouble(((b * frames + f) * bins) * 2 + k, spectrum[k]);
                    }
                }
            }
            return new Tensor[] {y};
        };
    }

    /**
     * MelWeightMatrix, exactly as ONNX's reference builds it (including its step of (high − low) / (bins + 2) mels
     * and float32 mel arithmetic): triangular filters between bin edges floor((dft_length + 1) · f / rate).
     */
    private static Kernel melWeightMatrix(KernelRequest req) {
        int code = (int) req.node().intAttr("output_datatype", 1);
        DType type = DType.fromOnnx(code);
        if (type == null) {
            throw new UnsupportedKernelException("output_datatype " + DType.onnxName(code));
        }
        return (in, ctx) -> {
            int melBins = (int) Args.scalarLong(in[0], "num_mel_bins");
            long dftLength = Args.scalarLong(in[1], "dft_length");
            long rate = Args.scalarLong(in[2], "sample_rate");
            float lower = in[3].getFloat(0);
            float upper = in[4].getFloat(0);
            int spectrogramBins = (int) (dftLength / 2 + 1);
            float lowMel = 2595f * (float) Math.log10(1 + lower / 700f);
            float highMel = 2595f * (float) Math.log10(1 + upper / 700f);
            float melStep = (highMel - lowMel) / (melBins + 2);
            long[] edges = new long[melBins + 2];
            for (int i = 0; i < edges.length; i++) {
                double mel = i * (double) melStep + lowMel;
                double hz = 700 * (Math.pow(10, mel / 2595) - 1);
                edges[i] = (long) Math.floor((dftLength + 1) * hz / rate);
            }
            Tensor y = ctx.allocate(type, spectrogramBins, melBins);
            for (int i = 0; i < melBins; i++) {
                long left = edges[i];
                long center = edges[i + 1];
                long right = edges[i + 2];
                if (center == left) {
                    y.setDouble(center * melBins + i, 1);
                } else {
                    for (long j = left; j <= center; j++) {
                        y.setDouble(j * melBins + i, (double) (j - left) / (center - left));
                    }
                }
                for (long j = center; j < right; j++) {
                    y.setDouble(j * melBins + i, (double) (right - j) / (right - center));
                }
            }
            return new Tensor[] {y};
        };
    }

    private static Kernel window(KernelRequest req, DoubleUnaryOperator w) {
        boolean periodic = req.node().intAttr("periodic", 1) != 0;
        int code = (int) req.node().intAttr("output_datatype", 1);
        DType type = DType.fromOnnx(code);
        if (type == null) {
            throw new UnsupportedKernelException("window output_datatype " + DType.onnxName(code));
        }
        return (in, ctx) -> {
            long size = Args.scalarLong(in[0], "size");
            if (size < 0) {
                throw new IllegalArgumentException("window size " + size + " is negative");
            }
            Tensor y = ctx.allocate(type, size);
            double n = periodic ? size : size - 1;
            for (long i = 0; i < size; i++) {
                y.setDouble(i, w.applyAsDouble(2 * Math.PI * i / n));
            }
            return new Tensor[] {y};
        };
    }
}
