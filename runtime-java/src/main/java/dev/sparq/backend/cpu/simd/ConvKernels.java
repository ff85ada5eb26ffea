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
import dev.sparq.graph.Attribute;
import dev.sparq.graph.Node;
import dev.sparq.sparse.TwoFourMatrix;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * 2-D convolution (ONNX Conv and com.microsoft FusedConv) with constant weights. The candidates, timed against each
 * other by the {@link KernelTuner} at the layer's shape: a packed GEMM per image and group ("pointwise-gemm" for
 * 1×1 kernels, which reads the image directly; "im2col-gemm" otherwise, through {@link PaddedIm2colSource}); direct
 * convolution for short reductions ({@link DirectConv}) and depthwise layers ({@link DepthwiseConv} along each
 * plane, {@link BlockedDepthwiseConv} with channels in the vector lanes); the GEMM turned round for reductions of
 * one k block, pixels broadcast in place ({@link PixelGemmConv}), or a row of them at a time with the reduction in
 * cache-sized blocks ({@link PixelRowConv}); Winograd F(4×4,3×3) and F(2×2,3×3) for 3×3
 * stride-1 layers ({@link WinogradConv}, the rule from 12×12 images up); and for pruned weights the sparse formats
 * ({@link SparseConv}). Bias and a clamp activation are fused into the store.
 */
final class ConvKernels {
    /**
     * -Dsparq.winograd: {@code true} ({@code 2x2}) makes Winograd F(4×4) (F(2×2)) the rule for every 3×3 stride-1
     * layer and offers both tile sizes everywhere (for experiments), {@code false} removes both from the candidates;
     * by default ({@code auto}) one is the rule where it measured faster ({@link #winogradRule}), and only that one
     * is offered to the timer there. Its results differ from direct summation by rounding (tests allow 1e-4 relative).
     */
    static final String WINOGRAD = System.getProperty("sparq.winograd", "auto").toLowerCase(Locale.ROOT);
    /** The smallest image (pixels) and channel counts where Winograd is the rule; F(4×4) from F4_MIN_PIXELS. */
    static final int WINOGRAD_MIN_PIXELS = 12 * 12;
    static final int WINOGRAD_F4_MIN_PIXELS = 24 * 24;
    static final int WINOGRAD_MIN_CHANNELS = 16;
    /**
     * Images below WINOGRAD_MIN_PIXELS (down to 7×7) where F(2×2) is still the rule, given this many channels in and
     * out: ResNet-18's 512-channel 7×7 layers ran 10-20% faster on F(2×2) than on pixel-rows inside the model (Zen 5,
     * stop 19: 1222-1309 µs against 1450 at 1 thread, 758-777 against 861-878 at 2), and with a rule of pixel-rows the
     * tuner's margin kept pixel-rows (timed 1.44 ms against 1.33 alone). Not where Winograd's weights are warmed
     * ({@link #smallImagePixelRows}).
     */
    static final int WINOGRAD_SMALL_MIN_CHANNELS = 256;
    static final int WINOGRAD_SMALL_MIN_PIXELS = 7 * 7;
    /**
     * Depthwise layers of at most this many output pixels per channel are computed channels-in-lanes by rule
     * ({@link BlockedDepthwiseConv}); larger planes keep long rows for {@link DepthwiseConv}. Timed in MobileNetV2
     * (benchmarks/RESULTS.md, stop 16): blocked 2-4× faster at 7×7, ~1.3× at 14×14, level at 28×28, slower above.
     */
    static final int BLOCKED_DEPTHWISE_MAX_PIXELS = 14 * 14;
    /**
     * First layers (at most this many input channels, e.g. RGB) are computed pixels-broadcast by rule
     * ({@link PixelGemmConv}): ResNet-18's and MobileNetV2's stems measured faster that way (benchmarks/RESULTS.md,
     * stop 16).
     */
    static final int PIXEL_GEMM_RULE_MAX_CHANNELS = 4;
    /**
     * Where the im2col GEMM would be the rule, layers with at least this many output channels and reduction steps
     * are computed a row of pixels at a time ({@link PixelRowConv}), when they fit it: in ResNet-18 its 3×3 stride-2
     * layers, 1×1 stride-2 downsampling and 7×7 layers measured 10-20% faster so (benchmarks/RESULTS.md, stop 17).
     */
    static final int PIXEL_ROWS_RULE_MIN = 64;
    /** Direct convolution is a candidate when Cin/group · kh · kw is at most this (e.g. first layers). */
    static final int DIRECT_MAX_DEPTH = 32;

    private ConvKernels() {
    }

    static Kernel create(KernelRequest r) {
        Node n = r.node();
        if (n.opType().equals("FusedConv") && n.inputs().size() > 3 && n.hasInput(3)) {
            // the Z (residual) input: the plain convolution, chosen and timed as such, then the sum and activation
            Map<String, Attribute> attrs = new LinkedHashMap<>(n.attributes());
            attrs.keySet().removeIf(k -> k.startsWith("activation"));
            Node conv = new Node(n.name(), "Conv", "", n.inputs().subList(0, 3), n.outputs(), attrs);
            return new ResidualConv(create(new KernelRequest(conv, r.opset(), r.constants(), r.types(),
                r.weightArena())), Activation.ofFused(n));
        }
        Tensor w = r.constantInput(1);
        if (w == null || w.dtype() != DType.F32 || w.rank() != 4) {
            throw new UnsupportedKernelException("cpu-simd Conv needs constant f32 4-D weights");
        }
        if (r.inputType(0).dtype() != null && r.inputType(0).dtype() != DType.F32) {
            throw new UnsupportedKernelException("cpu-simd Conv runs f32 only");
        }
        Tensor b = n.hasInput(2) ? r.constantInput(2) : null;
        if (n.hasInput(2) && b == null) {
            throw new UnsupportedKernelException("cpu-simd Conv needs a constant bias");
        }
        Activation act = n.opType().equals("FusedConv") ? Activation.ofFused(n) : Activation.NONE;
        ConvAttributes attrs = ConvAttributes.of(n, w);
        int group = (int) n.intAttr("group", 1);
        int cout = (int) w.dim(0);
        if (group < 1 || cout % group != 0) {
            throw new UnsupportedKernelException("bad group " + group);
        }
        float[] bias = new float[cout];
        if (b != null) {
            if (b.size() != cout) {
                throw new UnsupportedKernelException("bias has " + b.size() + " values for " + cout + " channels");
            }
            for (int i = 0; i < cout; i++) {
                bias[i] = b.getFloat(i);
            }
        }
        int cinPerGroup = (int) w.dim(1);
        int depth = Math.toIntExact(w.size() / cout);
        float[] weights = w.toFloatArray();
        boolean pointwise = attrs.kh() == 1 && attrs.kw() == 1 && attrs.sh() == 1 && attrs.sw() == 1;
        String gemmName = pointwise ? "pointwise-gemm" : "im2col-gemm";
        // the input's shape as the graph knows it (batch 1 if symbolic), for the rules and the timing
        long[] in = SimdTuning.shape(r, 0, 1);
        boolean known = in != null && in.length == 4;
        List<Candidate> candidates = new ArrayList<>();
        candidates.add(new Candidate(gemmName, () -> gemmConv(attrs, weights, bias, act, group, cout, depth)));
        String rule = gemmName;
        boolean depthwise = group > 1 && cinPerGroup == 1 && cout == group;
        if (depthwise) {
            candidates.add(new Candidate("direct-depthwise", () -> new DepthwiseConv(attrs, weights, bias, act)));
            candidates.add(new Candidate("depthwise-blocked", () -> new BlockedDepthwiseConv(attrs, weights, bias,
                act)));
            boolean small = known && in[2] * in[3] / ((long) attrs.sh() * attrs.sw()) <= BLOCKED_DEPTHWISE_MAX_PIXELS;
            rule = small ? "depthwise-blocked" : "direct-depthwise";
        } else if (depth <= DIRECT_MAX_DEPTH) {
            candidates.add(new Candidate("direct", () -> new DirectConv(attrs, weights, bias, act, cinPerGroup, group)));
        }
        // the kernels that broadcast pixels read them in place from flat planes: stride 1 or 2 × 2, one group
        boolean flatGroup = group == 1 && !pointwise && PaddedPlane.isFlat(attrs.sh(), attrs.sw());
        if (flatGroup && PixelGemmConv.fits(depth)) {
            Candidate pixelGemm = new Candidate("pixel-gemm", () -> new PixelGemmConv(attrs, weights, bias, act,
                cinPerGroup));
            if (cinPerGroup <= PIXEL_GEMM_RULE_MAX_CHANNELS) {
                rule = "pixel-gemm";
                // first, so it is also the baseline another candidate must clearly beat: with the im2col GEMM as
                // the baseline, ResNet-18's stem fell back to it whenever the tuner timed the two within 10% (1.25
                // against 1.38 ms), and in the model it ran 1.52 ms against pixel-gemm's 1.29-1.34 (stop 24)
                candidates.add(0, pixelGemm);
            } else {
                candidates.add(pixelGemm);
            }
        }
        ConvGeometry2d geometry = known ? geometry(attrs, in, cinPerGroup) : null;
        boolean winogradShape = group == 1 && attrs.kh() == 3 && attrs.kw() == 3 && attrs.sh() == 1 && attrs.sw() == 1
            && attrs.dh() == 1 && attrs.dw() == 1;
        String wins = winogradShape && known ? winogradRule(cinPerGroup, cout, in[2] * in[3]) : null;
        // Where F(4×4) is the rule, pixel rows are not offered: in isolation the tuner timed them faster (1.01 against
        // 1.18 ms on ResNet-18's 56×56 layers, and 1.05-1.15 against 0.88-1.28 in stop 19), inside the model they
        // ran 1.07-1.15 ms against Winograd's 0.89-0.93 (benchmarks/RESULTS.md, stop 20)
        boolean f4Rule = WINOGRAD.equals("auto") && "winograd".equals(wins);
        if (flatGroup && !f4Rule && geometry != null && PixelRowConv.fits(geometry.oh(), geometry.ow(), cout)) {
            candidates.add(new Candidate("pixel-rows", () -> new PixelRowConv(attrs, weights, bias, act,
                cinPerGroup)));
            if (rule.equals(gemmName) && depth >= PIXEL_ROWS_RULE_MIN && cout >= PIXEL_ROWS_RULE_MIN) {
                rule = "pixel-rows";
            }
        }
        if (!WINOGRAD.equals("false") && winogradShape) {
            boolean narrow4 = known && WinogradConv.narrowFits(4, in[2], in[3]);
            boolean narrow2 = known && WinogradConv.narrowFits(2, in[2], in[3]);
            // Where the rule names one tile size, the other is not offered: the tuner times each candidate in a hot
            // loop, where F(4×4)'s larger transformed weights stay cached, and so it picked the tile-per-lane F(4×4)
            // at 14×14, which measured 30% slower than F(2×2) inside the model (benchmarks/RESULTS.md, "Winograd").
            if (wins == null || wins.equals("winograd") || !WINOGRAD.equals("auto")) {
                candidates.add(new Candidate("winograd", () -> WinogradConv.create(attrs, w, bias, act, 4, narrow4)));
            }
            if (wins == null || wins.equals("winograd-2x2") || !WINOGRAD.equals("auto")) {
                candidates.add(new Candidate("winograd-2x2", () -> new WinogradConv(attrs, w, bias, act, 2,
                    narrow2)));
            }
            boolean keepPixelRows = rule.equals("pixel-rows")
                && smallImagePixelRows(wins, in[2] * in[3], WinogradWeightWarming.ON);
            rule = switch (WINOGRAD) {
                case "true" -> "winograd";
                case "2x2" -> "winograd-2x2";
                default -> wins != null && !keepPixelRows ? wins : rule;
            };
        }
        double density = (double) SimdTuning.nonzeros(weights) / weights.length;
        boolean twoFour = TwoFourMatrix.fits(weights, cout, depth);
        String shape = "w=" + Arrays.toString(w.shape()) + " g=" + group + " k=" + attrs.kh() + "x" + attrs.kw()
            + " s=" + attrs.sh() + "," + attrs.sw() + " d=" + attrs.dh() + "," + attrs.dw() + " pads="
            + Arrays.toString(attrs.pads()) + " " + attrs.autoPad();
        if (group == 1 && density <= SimdTuning.SPARSE_CANDIDATE_DENSITY) {
            shape += String.format(Locale.ROOT, " density=%.4f zeros=%s", density, SimdTuning.patternHash(weights));
            for (SparseWeights.Format f : SparseWeights.Format.values()) {
                if (f.matrixProduct && (f != SparseWeights.Format.TWO_FOUR || twoFour)) {
                    candidates.add(new Candidate(f.candidate, () -> new SparseConv(attrs,
                        SparseWeights.of(f, weights, cout, depth), bias, act, cinPerGroup)));
                }
            }
        }
        long[] x = in;
        if (x != null && (x.length != 4 || x[1] != (long) cinPerGroup * group)) {
            x = null; // not what the weights expect: the kernel will say so at run time
        }
        long[] xs = x;
        String note = x != null && SimdTuning.batchSymbolic(r, 0) ? "timed at batch 1 (batch is symbolic)" : "";
        return KernelTuner.current().choose(new TuningRequest(SimdTuning.backend(), "Conv",
            "x=" + Arrays.toString(x) + " " + shape, density < 0.95 ? SimdTuning.zeros(density, twoFour) : "",
            candidates, rule, xs == null ? null : () -> new Tensor[] {SimdTuning.random(xs)}, note,
            () -> SimdWarmup.conv(candidates.stream().map(Candidate::name).toList())));
    }

    /** The geometry for an input of shape {@code in}, or null if its size is unknown or smaller than the kernel. */
    private static ConvGeometry2d geometry(ConvAttributes attrs, long[] in, int cin) {
        if (in[2] <= 0 || in[3] <= 0 || in[2] > Integer.MAX_VALUE || in[3] > Integer.MAX_VALUE) {
            return null;
        }
        try {
            return attrs.geometry((int) in[2], (int) in[3], cin);
        } catch (IllegalArgumentException smallerThanKernel) {
            return null;
        }
    }

    /**
     * Whether pixel rows stay the rule where {@link #winogradRule} names F(2×2) on a small image (under
     * WINOGRAD_MIN_PIXELS: ResNet-18's 7×7 layers). Where Winograd reads each point's weights before its GEMM
     * ({@link WinogradWeightWarming}: Intel CPUs by default), that read does not overlap the GEMM, and F(2×2)'s
     * weights are 16/9 of pixel rows', which read theirs along as they compute. On a Xeon
     * ({@code SwitchComparison}, benchmarks/RESULTS.md, stop 32): pixel rows −159..−832 µs per layer at 1 thread
     * (a run 0.899× and 0.952×, two sessions), level at 2 (0.976-1.043×, three), where the tuner had timed F(2×2) 5%
     * faster alone. F(2×2) stays offered, and must beat pixel rows by the tuner's margin.
     */
    static boolean smallImagePixelRows(String wins, long pixels, boolean weightsWarmed) {
        return weightsWarmed && "winograd-2x2".equals(wins) && pixels < WINOGRAD_MIN_PIXELS;
    }

    /**
     * The Winograd candidate that is the rule for a 3×3 stride-1 layer, or null for im2col. Measured inside ResNet-18
     * (benchmarks/RESULTS.md, "Winograd"): F(4×4) fastest from 28×28 up; at 14×14 F(2×2), whose transformed weights
     * are 16/9 of the plain ones instead of 36/9 (they stream from memory); at 7×7 neither beats im2col. Where the
     * channels-last F(4×4) runs (512 bits), it is the rule from 12×12: ResNet-18's 14×14 layers ran 749 µs on it
     * against 1000-1100 on F(2×2), their 9.4 MB of transformed weights streaming from memory (stop 21).
     */
    static String winogradRule(int cin, int cout, long pixels) {
        boolean small = pixels >= WINOGRAD_SMALL_MIN_PIXELS && pixels < WINOGRAD_MIN_PIXELS;
        if (small && cin >= WINOGRAD_SMALL_MIN_CHANNELS && cout >= WINOGRAD_SMALL_MIN_CHANNELS) {
            return "winograd-2x2";
        }
        if (cin < WINOGRAD_MIN_CHANNELS || cout < WINOGRAD_MIN_CHANNELS || pixels < WINOGRAD_MIN_PIXELS) {
            return null;
        }
        long f4From = ChannelsLastWinograd.available() ? WINOGRAD_MIN_PIXELS : WINOGRAD_F4_MIN_PIXELS;
        return pixels >= f4From ? "winograd" : "winograd-2x2";
    }

    static Kernel gemmConv(ConvAttributes attrs, float[] w, float[] bias, Activation act, int group, int cout,
                                   int depth) {
        int coutPerGroup = cout / group;
        PackedMatrix[] packed = new PackedMatrix[group];
        Epilogue[] epilogues = new Epilogue[group];
        for (int g = 0; g < group; g++) {
            int first = g * coutPerGroup;
            packed[g] = new PackedMatrix(coutPerGroup, depth, MicroKernel.get().mr(),
                (row, k) -> w[(first + row) * depth + k]);
            epilogues[g] = act.epilogue(Arrays.copyOfRange(bias, first, first + coutPerGroup), null);
        }
        return new GemmConv(attrs, packed, epilogues, depth / (attrs.kh() * attrs.kw()));
    }

    /** Convolution as GEMM per image and group: out[g] = W[g] · im2col(x[g]). */
    private record GemmConv(ConvAttributes attrs, PackedMatrix[] packed, Epilogue[] epilogues, int cinPerGroup)
        implements Kernel {
        @Override
        public long packedWeightBytes() {
            long bytes = 0;
            for (PackedMatrix m : packed) {
                bytes += m.bytes() + (long) m.rows() * Float.BYTES; // and the bias
            }
            return bytes;
        }

        @Override
        public Tensor[] run(Tensor[] inputs, ExecutionContext ctx) {
            Tensor x = inputs[0];
            int groups = packed.length;
            ConvAttributes.checkInput(x, cinPerGroup * groups);
            ConvGeometry2d full = attrs.geometry(x, cinPerGroup);
            int coutPerGroup = packed[0].rows();
            long batch = x.dim(0);
            Tensor out = ctx.allocateUninitialized(DType.F32, batch, (long) coutPerGroup * groups, full.oh(), full.ow());
            MemorySegment xs = x.segment();
            MemorySegment os = out.segment();
            long pixels = full.outputPixels();
            long imageIn = (long) cinPerGroup * groups * full.h() * full.w();
            for (long img = 0; img < batch; img++) {
                for (int g = 0; g < groups; g++) {
                    long inOff = img * imageIn + (long) g * cinPerGroup * full.h() * full.w();
                    long outOff = (img * groups + g) * coutPerGroup * pixels;
                    PanelSource src;
                    if (full.isPointwise()) {
                        src = new RowMajorSource(xs, inOff, (int) pixels, cinPerGroup, pixels, true);
                    } else if (subsamples(full)) {
                        src = subsampled(xs, inOff, full, ctx);
                    } else if (PaddedIm2colSource.flatPays(full)) {
                        flatGemm(new PaddedIm2colSource(xs, inOff, full, ctx).flat(), packed[g], epilogues[g], full, os,
                            outOff, ctx);
                        continue;
                    } else {
                        src = new PaddedIm2colSource(xs, inOff, full, ctx);
                    }
                    Gemm.run(packed[g], src, os, outOff, pixels, epilogues[g], ctx);
                }
            }
            return new Tensor[] {out};
        }

        /** A strided 1×1 layer whose every output pixel lies inside the image (no padding reached). */
        static boolean subsamples(ConvGeometry2d g) {
            return g.kh() == 1 && g.kw() == 1 && g.padTop() == 0 && g.padLeft() == 0
                && (long) (g.oh() - 1) * g.sh() < g.h() && (long) (g.ow() - 1) * g.sw() < g.w();
        }

        /**
         * A strided 1×1 layer's B: the pixels it reads, copied into a [C][OH·OW] image (native scratch), which the
         * GEMM then reads as a stride-1 layer's. The padded planes copied all of the image twice (ResNet-18's
         * downsampling, 64 × 56 × 56 → 128 × 28 × 28: 157 µs in the model, against ORT's 66).
         */
        private static PanelSource subsampled(MemorySegment x, long inOff, ConvGeometry2d g, ExecutionContext ctx) {
            int pixels = g.outputPixels();
            MemorySegment sub = NativeScratch.floats(0, (long) g.c() * pixels);
            SimdOps ops = SimdOps.get();
            int threads = ctx.threadsFor(g.c());
            ctx.parallelFor(threads, t -> {
                for (int c = g.c() * t / threads; c < g.c() * (t + 1) / threads; c++) {
                    long plane = inOff + (long) c * g.h() * g.w();
                    for (int oy = 0; oy < g.oh(); oy++) {
                        ops.subsample(x, plane + (long) oy * g.sh() * g.w(), g.ow(), g.sw(), sub,
                            (long) c * pixels + (long) oy * g.ow());
                    }
                }
            });
            return new RowMajorSource(sub, 0, pixels, g.c(), pixels, true);
        }

        /**
         * The GEMM over flat-numbered pixels into a scratch product, then each output row copied out without the
         * garbage columns: the same sums as the plain im2col GEMM (each element's order is unchanged), packed with
         * vector copies.
         */
        private static void flatGemm(PaddedIm2colSource src, PackedMatrix w, Epilogue ep, ConvGeometry2d g,
                                     MemorySegment out, long outOff, ExecutionContext ctx) {
            int n = src.rows();
            int stride = src.flatStride();
            int cout = w.rows();
            // native scratch, not a heap segment (see WinogradConv)
            MemorySegment product = NativeScratch.floats(3, (long) cout * n);
            Gemm.run(w, src, product, 0, n, ep, ctx);
            int threads = ctx.threadsFor(cout);
            ctx.parallelFor(threads, t -> {
                for (int c = cout * t / threads; c < cout * (t + 1) / threads; c++) {
                    for (int oy = 0; oy < g.oh(); oy++) {
                        MemorySegment.copy(product, ((long) c * n + (long) oy * stride) * Float.BYTES, out,
                            (outOff + ((long) c * g.oh() + oy) * g.ow()) * Float.BYTES, (long) g.ow() * Float.BYTES);
                    }
                }
            });
        }
    }
}
