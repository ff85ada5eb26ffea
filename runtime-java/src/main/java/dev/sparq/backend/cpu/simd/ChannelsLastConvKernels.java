package dev.sparq.backend.cpu.simd;

import dev.sparq.backend.ExecutionContext;
import dev.sparq.backend.Kernel;
import dev.sparq.backend.KernelRequest;
import dev.sparq.backend.UnsupportedKernelException;
import dev.sparq.backend.geometry.ConvAttributes;
import dev.sparq.backend.geometry.ConvGeometry2d;
import dev.sparq.backend.tuning.Candidate;
import dev.sparq.backend.tuning.KernelTuner;
import dev.sparq.backend.tuning.TuningRequest;
import dev.sparq.graph.ChannelsLastConv;
import dev.sparq.graph.Node;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@link ChannelsLastConv} nodes: a pointwise layer is one GEMM with pixels as rows (the NHWC image is already
 * row-major [pixels][Cin]; the weights are packed once as B, the bias is a column bias), a depthwise layer runs
 * channels in the vector lanes straight from the NHWC image ({@link SimdOps#depthwiseNhwcRows}), and a first layer
 * reads its NCHW image with pixels broadcast ({@link PixelGemmConv}, whose product is pixel-major).
 */
final class ChannelsLastConvKernels {
    private ChannelsLastConvKernels() {
    }

    static Kernel create(KernelRequest r) {
        Node n = r.node();
        Tensor w = r.constantInput(1);
        if (w == null || w.dtype() != DType.F32 || w.rank() != 4) {
            throw new UnsupportedKernelException("cpu-simd NhwcConv needs constant f32 4-D weights");
        }
        int cout = (int) w.dim(0);
        int cinPerGroup = (int) w.dim(1);
        float[] bias = bias(r, 2, cout);
        Activation act = Activation.ofFused(n);
        ConvAttributes attrs = ConvAttributes.of(n, w);
        float[] weights = w.toFloatArray();
        ChannelsLastConv.Kind kind = ChannelsLastConv.kindOf(n, w);
        if (kind == ChannelsLastConv.Kind.POINTWISE) {
            return choosePointwise(r, w, weights, bias, act);
        }
        if (kind == ChannelsLastConv.Kind.DEPTHWISE) {
            return new Depthwise(attrs, tapMajor(weights, cout), bias, act);
        }
        if (kind == ChannelsLastConv.Kind.FIRST_LAYER && cinPerGroup <= ChannelsLastConv.FIRST_LAYER_CHANNELS
            && cinPerGroup * attrs.kh() * attrs.kw() <= ChannelsLastConv.FIRST_LAYER_DEPTH
            && PaddedPlane.isFlat(attrs.sh(), attrs.sw())) {
            // a first layer: the NCHW image in, pixels broadcast, the pixel-major product stored as it is
            return new PixelGemmConv(attrs, weights, bias, act, cinPerGroup, true);
        }
        throw new UnsupportedKernelException("cpu-simd NhwcConv is pointwise, depthwise or a first layer only");
    }

    /** Constant bias input {@code input} of the node ({@code channels} zeros if it has none). */
    static float[] bias(KernelRequest r, int input, int channels) {
        float[] b = new float[channels];
        if (r.node().hasInput(input)) {
            Tensor t = r.constantInput(input);
            if (t == null || t.size() != channels) {
                throw new UnsupportedKernelException("cpu-simd " + r.node().opType() + " needs a constant bias of "
                    + channels + " values");
            }
            for (int i = 0; i < channels; i++) {
                b[i] = t.getFloat(i);
            }
        }
        return b;
    }

    /** Depthwise weights [channel][tap] as [tap][channel]: a tap's weights for V channels in a row. */
    static float[] tapMajor(float[] weights, int channels) {
        int taps = weights.length / channels;
        float[] t = new float[weights.length];
        for (int c = 0; c < channels; c++) {
            for (int k = 0; k < taps; k++) {
                t[k * channels + c] = weights[c * taps + k];
            }
        }
        return t;
    }

    /**
     * Y[pixels][b.rows()] = X[pixels][k] · B with the epilogue on tile {@code mk} (the main or the narrow one): pixel
     * rows copied as they are ({@code rows}, {@link ChannelsLastGemm}) or packed.
     */
    static void gemm(MicroKernel mk, boolean rows, MemorySegment x, int pixels, int k, PackedMatrix b, MemorySegment y,
                     Epilogue epilogue, ExecutionContext ctx) {
        if (rows) {
            ChannelsLastGemm.run(x, pixels, k, b, y, epilogue, ctx, mk == MicroKernel.narrow());
        } else {
            Gemm.run(mk, new RowMajorSource(x, 0, pixels, k, k, false), b, y, 0, b.rows(), epilogue, ctx);
        }
    }

    /**
     * The GEMM for a pointwise layer, timed by the {@link KernelTuner}: pixel panels copied row by row for the main
     * tile ("nhwc-rows", {@link ChannelsLastGemm}), packed for it ("nhwc-gemm"), or for the 16-row tile (one vector
     * of output channels) packed by 16 × 16 transposes ("nhwc-gemm-16") or copied row by row ("nhwc-rows-16"). The
     * rule: the 16-row tile for at most 16 output channels, its rows copied where it runs (12544 × 32 × 16: 132 µs
     * against 280 for nhwc-rows in stop 20, and the copy saves the transposes, a third of it; RESULTS, stop 22),
     * nhwc-rows otherwise (12544 × 16 × 96: 295 against 352 and 383; RESULTS, stop 20).
     */
    private static Kernel choosePointwise(KernelRequest r, Tensor w, float[] weights, float[] bias, Activation act) {
        int cout = (int) w.dim(0);
        int cin = (int) w.dim(1);
        long[] in = SimdTuning.shape(r, 0, 1);
        if (in != null && (in.length != 4 || in[3] != cin)) {
            in = null; // not what the weights expect: the kernel will say so at run time
        }
        // the first candidate is the tuner's baseline, which others must beat by its margin: the usual choice
        List<Candidate> candidates = new ArrayList<>();
        String rule = "nhwc-gemm";
        if (ChannelsLastGemm.available()) {
            candidates.add(new Candidate("nhwc-rows",
                () -> pointwise(MicroKernel.get(), true, weights, cout, cin, bias, act)));
            rule = "nhwc-rows";
        }
        candidates.add(new Candidate("nhwc-gemm",
            () -> pointwise(MicroKernel.get(), false, weights, cout, cin, bias, act)));
        if (MicroKernel.narrow() != null) {
            candidates.add(new Candidate("nhwc-gemm-16",
                () -> pointwise(MicroKernel.narrow(), false, weights, cout, cin, bias, act)));
            if (cout <= MicroKernel.narrow().nr()) {
                rule = "nhwc-gemm-16";
            }
        }
        if (ChannelsLastGemm.narrowAvailable()) {
            candidates.add(new Candidate("nhwc-rows-16",
                () -> pointwise(MicroKernel.narrow(), true, weights, cout, cin, bias, act)));
            if (cout <= MicroKernel.narrow().nr()) {
                rule = "nhwc-rows-16";
            }
        }
        if (cout <= ChannelsLastGemm.pairsWidth()) {
            candidates.add(new Candidate("nhwc-pairs",
                () -> new PairTileGemm(weights, cout, cin, act.epilogue(null, bias))));
        }
        long[] xs = in;
        String note = xs != null && SimdTuning.batchSymbolic(r, 0) ? "timed at batch 1 (batch is symbolic)" : "";
        return KernelTuner.current().choose(new TuningRequest(SimdTuning.backend(), ChannelsLastConv.OP,
            "x=" + Arrays.toString(xs) + " w=" + Arrays.toString(w.shape()), "", candidates, rule,
            xs == null ? null : () -> new Tensor[] {SimdTuning.random(xs)}, note,
            () -> SimdWarmup.channelsLast(candidates.stream().map(Candidate::name).toList())));
    }

    /** A 1×1 layer on tile {@code mk} (pixel panels copied row by row if {@code rows}): weights packed once as B. */
    static Kernel pointwise(MicroKernel mk, boolean rows, float[] weights, int cout, int cin, float[] bias,
                            Activation act) {
        // weights the pixel-rows GEMM takes weight panel by weight panel are packed so, each panel one stream: in
        // one JVM beside k-blocked ones, MobileNetV2's 7×7 pointwise layers ran 5-19 µs faster each (2.3% a run)
        boolean panelMajor = rows && mk == MicroKernel.get()
            && ChannelsLastGemm.weightMajor(4L * PackedMatrix.size(cout, cin, mk.nr()));
        PackedMatrix b = new PackedMatrix(cout, cin, mk.nr(), (j, k) -> weights[j * cin + k], panelMajor);
        return new Pointwise(mk, rows, b, act.epilogue(null, bias));
    }

    /** The output of a pointwise layer from k to n channels on f32 [N,H,W,k] input {@code x}, which it checks. */
    static Tensor pointwiseOutput(Tensor x, int k, int n, ExecutionContext ctx) {
        if (x.dtype() != DType.F32 || x.rank() != 4 || x.dim(3) != k) {
            throw new IllegalArgumentException("input " + x.dtype() + Arrays.toString(x.shape())
                + " must be f32 [N,H,W," + k + "]");
        }
        return ctx.allocateUninitialized(DType.F32, x.dim(0), x.dim(1), x.dim(2), n);
    }

    /** A 1×1 layer as [N·H·W, Cin] × [Cin, Cout]. */
    private record Pointwise(MicroKernel mk, boolean rows, PackedMatrix b, Epilogue epilogue) implements Kernel {
        @Override
        public Tensor[] run(Tensor[] inputs, ExecutionContext ctx) {
            Tensor x = inputs[0];
            int k = b.depth();
            Tensor y = pointwiseOutput(x, k, b.rows(), ctx);
            gemm(mk, rows, x.segment(), Math.toIntExact(x.size() / k), k, b, y.segment(), epilogue, ctx);
            return new Tensor[] {y};
        }

        @Override
        public String describe() {
            return "channels-last pointwise GEMM, pixels as rows, " + mk.mr() + "x" + mk.nr() + " tile"
                + (rows ? ", rows copied as they are" : ", rows packed");
        }

        @Override
        public long packedWeightBytes() {
            return b.bytes() + 4L * b.rows();
        }
    }

    /**
     * Output rows per call of the depthwise kernel: enough to spread its setup, few enough that the input rows a
     * block reads (10 at stride 1) stay in cache while its vectors of channels pass over them.
     */
    static final int ROWS_PER_CALL = 8;

    /** One filter per channel; blocks of output rows split across threads. */
    private record Depthwise(ConvAttributes attrs, float[] weights, float[] bias, Activation act) implements Kernel {
        @Override
        public Tensor[] run(Tensor[] inputs, ExecutionContext ctx) {
            Tensor x = inputs[0];
            int channels = bias.length;
            if (x.dtype() != DType.F32 || x.rank() != 4 || x.dim(3) != channels) {
                throw new IllegalArgumentException("input " + x.dtype() + Arrays.toString(x.shape())
                    + " must be f32 [N,H,W," + channels + "]");
            }
            ConvGeometry2d g = attrs.geometry((int) x.dim(1), (int) x.dim(2), 1);
            Tensor y = ctx.allocateUninitialized(DType.F32, x.dim(0), g.oh(), g.ow(), channels);
            MemorySegment xs = x.segment();
            MemorySegment ys = y.segment();
            // blocks of output rows: the taps' weights stay in registers across a block (see SimdOps)
            // (smaller where the image has too few rows to give every thread a block)
            int perCall = (int) Math.max(1, Math.min(ROWS_PER_CALL,
                (x.dim(0) * g.oh() + ctx.threads() - 1) / ctx.threads()));
            int blocksPerImage = (g.oh() + perCall - 1) / perCall;
            int blocks = Math.toIntExact(x.dim(0) * blocksPerImage);
            int threads = ctx.threadsFor(blocks);
            long image = (long) g.h() * g.w() * channels;
            long outImage = (long) g.oh() * g.ow() * channels;
            SimdOps ops = SimdOps.get();
            try (Tensor zeros = ctx.allocate(DType.F32, (long) g.w() * channels)) {
                MemorySegment zeroRow = zeros.segment();
                ctx.parallelFor(threads, t -> {
                    for (int blk = blocks * t / threads; blk < (long) blocks * (t + 1) / threads; blk++) {
                        int n = blk / blocksPerImage;
                        int oy0 = blk % blocksPerImage * perCall;
                        ops.depthwiseNhwcRows(g, channels, xs, n * image, weights, bias, act.min(), act.max(), oy0,
                            Math.min(g.oh(), oy0 + perCall), ys, n * outImage, zeroRow, 0);
                    }
                });
            }
            return new Tensor[] {y};
        }

        @Override
        public String describe() {
            return "channels-last depthwise, channels in vector lanes";
        }

        @Override
        public long packedWeightBytes() {
            return 4L * (weights.length + bias.length);
        }
    }
}
