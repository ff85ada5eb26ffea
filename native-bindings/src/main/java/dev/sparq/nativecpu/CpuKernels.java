package dev.sparq.nativecpu;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * FFM downcalls into libsparq_kernels. Handles are created once. Every argument is checked here, in Java, before
 * the call — shapes, strides, segment sizes — so a bad shape throws {@link IllegalArgumentException} and never
 * reaches C, which trusts what it is given.
 */
public final class CpuKernels {
    static final int ABI_VERSION = 8;
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT;
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG;
    private static final ValueLayout P = ValueLayout.ADDRESS;

    private static final CpuKernels INSTANCE = create();

    private final MethodHandle features;
    private final MethodHandle gemmPath;
    private final MethodHandle gemmForce;
    private final MethodHandle packedSize;
    private final MethodHandle packB;
    private final MethodHandle gemm;
    private final MethodHandle requantize;
    private final MethodHandle gemmRequant;
    private final MethodHandle im2col;
    private final MethodHandle convPath;
    private final MethodHandle convForce;
    private final MethodHandle convWeightsSize;
    private final MethodHandle convScratchSize;
    private final MethodHandle convPackWeights;
    private final MethodHandle convPackInput;
    private final MethodHandle convCompute;
    private final MethodHandle maxPool;
    private final MethodHandle qlinearAdd;
    private final String failure;

    private CpuKernels(NativeLibrary.Result lib) {
        String why = lib.failure();
        MethodHandle f = null;
        MethodHandle path = null;
        MethodHandle force = null;
        MethodHandle size = null;
        MethodHandle pack = null;
        MethodHandle mm = null;
        MethodHandle rq = null;
        MethodHandle grq = null;
        MethodHandle ic = null;
        MethodHandle[] conv = new MethodHandle[9];
        if (why == null) {
            try {
                Linker linker = Linker.nativeLinker();
                // short, allocation-free calls skip the thread-state transition; the GEMM may run long, so it does not
                Linker.Option critical = Linker.Option.critical(false);
                MethodHandle abi = linker.downcallHandle(lib.lookup().find("sparq_abi_version").orElseThrow(),
                    FunctionDescriptor.of(I32), critical);
                int version = (int) abi.invokeExact();
                if (version != ABI_VERSION) {
                    throw new IllegalStateException("native library ABI " + version + ", Java expects " + ABI_VERSION);
                }
                f = linker.downcallHandle(lib.lookup().find("sparq_cpu_features").orElseThrow(),
                    FunctionDescriptor.of(I32), critical);
                path = linker.downcallHandle(lib.lookup().find("sparq_gemm_s8_path").orElseThrow(),
                    FunctionDescriptor.of(P), critical);
                force = linker.downcallHandle(lib.lookup().find("sparq_gemm_s8_force").orElseThrow(),
                    FunctionDescriptor.of(I32, P));
                size = linker.downcallHandle(lib.lookup().find("sparq_packed_b_s8_size").orElseThrow(),
                    FunctionDescriptor.of(I64, I32, I32), critical);
                pack = linker.downcallHandle(lib.lookup().find("sparq_pack_b_s8").orElseThrow(),
                    FunctionDescriptor.ofVoid(P, I32, I32, I32, P, P));
                mm = linker.downcallHandle(lib.lookup().find("sparq_gemm_u8s8s32").orElseThrow(),
                    FunctionDescriptor.ofVoid(I32, I32, I32, P, I32, I32, P, P, P, I32));
                rq = linker.downcallHandle(lib.lookup().find("sparq_requantize_s32").orElseThrow(),
                    FunctionDescriptor.ofVoid(P, I32, I32, I32, P, P, I32, I32, I32, I32, P, I64, I64));
                grq = linker.downcallHandle(lib.lookup().find("sparq_gemm_u8s8_requant").orElseThrow(),
                    FunctionDescriptor.ofVoid(I32, I32, I32, P, I32, I32, P, P, P, P, I32, I32, I32, I32, P, I32));
                ic = linker.downcallHandle(lib.lookup().find("sparq_im2col_u8").orElseThrow(),
                    FunctionDescriptor.ofVoid(P, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32,
                        ValueLayout.JAVA_BYTE, P, I32, I32, I32));
                conv[0] = linker.downcallHandle(lib.lookup().find("sparq_qconv_path").orElseThrow(),
                    FunctionDescriptor.of(P), critical);
                conv[1] = linker.downcallHandle(lib.lookup().find("sparq_qconv_force").orElseThrow(),
                    FunctionDescriptor.of(I32, P));
                conv[2] = linker.downcallHandle(lib.lookup().find("sparq_qconv_weights_size").orElseThrow(),
                    FunctionDescriptor.of(I64, P), critical);
                conv[3] = linker.downcallHandle(lib.lookup().find("sparq_qconv_scratch_size").orElseThrow(),
                    FunctionDescriptor.of(I64, P), critical);
                conv[4] = linker.downcallHandle(lib.lookup().find("sparq_qconv_pack_weights").orElseThrow(),
                    FunctionDescriptor.ofVoid(P, P, P, P));
                conv[5] = linker.downcallHandle(lib.lookup().find("sparq_qconv_pack_input").orElseThrow(),
                    FunctionDescriptor.ofVoid(P, P, P, I32, I32));
                conv[6] = linker.downcallHandle(lib.lookup().find("sparq_qconv_compute").orElseThrow(),
                    FunctionDescriptor.ofVoid(P, P, P, P, P, P, P, I32, I32));
                conv[7] = linker.downcallHandle(lib.lookup().find("sparq_maxpool_s8u8").orElseThrow(),
                    FunctionDescriptor.ofVoid(P, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, I32, P, I32, I32));
                conv[8] = linker.downcallHandle(lib.lookup().find("sparq_qlinear_add_8").orElseThrow(),
                    FunctionDescriptor.ofVoid(P, P, I64, I64, I32, ValueLayout.JAVA_FLOAT, I32, ValueLayout.JAVA_FLOAT,
                        ValueLayout.JAVA_FLOAT, I32, I32, I32, I32, P));
            } catch (Throwable t) {
                why = "native library " + lib.source() + " is unusable: " + t;
            }
        }
        this.failure = why;
        this.features = f;
        this.gemmPath = path;
        this.gemmForce = force;
        this.packedSize = size;
        this.packB = pack;
        this.gemm = mm;
        this.requantize = rq;
        this.gemmRequant = grq;
        this.im2col = ic;
        this.convPath = conv[0];
        this.convForce = conv[1];
        this.convWeightsSize = conv[2];
        this.convScratchSize = conv[3];
        this.convPackWeights = conv[4];
        this.convPackInput = conv[5];
        this.convCompute = conv[6];
        this.maxPool = conv[7];
        this.qlinearAdd = conv[8];
    }

    private static CpuKernels create() {
        return new CpuKernels(NativeLibrary.get());
    }

    /** The bindings, loaded once per process. */
    public static CpuKernels get() {
        return INSTANCE;
    }

    /** Null when usable, else why not. */
    public String failure() {
        return failure;
    }

    private void checkUsable() {
        if (failure != null) {
            throw new IllegalStateException(failure);
        }
    }

    public int features() {
        checkUsable();
        try {
            return (int) features.invokeExact();
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** The int8 GEMM path the library picked for this CPU, e.g. "avx512-vnni". */
    public String gemmPath() {
        checkUsable();
        return KernelPaths.name(gemmPath);
    }

    /** Forces a GEMM path (tests, comparisons); false if this CPU lacks it. */
    public boolean forceGemmPath(String path) {
        checkUsable();
        return KernelPaths.force(gemmForce, path);
    }

    public long packedSize(int k, int n) {
        checkUsable();
        positive(k, "k");
        positive(n, "n");
        try {
            return (long) packedSize.invokeExact(k, n);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Packs int8 B [k, n] (row stride ldb) into {@code packed} and its column sums into {@code colSums}. */
    public void packB(MemorySegment b, int k, int n, int ldb, MemorySegment packed, MemorySegment colSums) {
        checkUsable();
        positive(k, "k");
        positive(n, "n");
        if (ldb < n) {
            throw new IllegalArgumentException("ldb " + ldb + " < n " + n);
        }
        need(b, (long) (k - 1) * ldb + n, "B");
        need(packed, packedSize(k, n), "packed B");
        need(colSums, 4L * n, "column sums");
        try {
            packB.invokeExact(b, k, n, ldb, packed, colSums);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** C [m, n] int32 (row stride ldc) = (A − aZero) · B for uint8 A [m, k] (row stride lda) and packed int8 B. */
    public void gemmU8S8S32(int m, int n, int k, MemorySegment a, int lda, int aZero, MemorySegment packedB,
                            MemorySegment colSums, MemorySegment c, int ldc) {
        checkUsable();
        positive(m, "m");
        positive(n, "n");
        positive(k, "k");
        if (lda < k || ldc < n) {
            throw new IllegalArgumentException("row strides lda " + lda + " / ldc " + ldc + " too small");
        }
        if (aZero < 0 || aZero > 255) {
            throw new IllegalArgumentException("uint8 zero point " + aZero);
        }
        need(a, (long) (m - 1) * lda + k, "A");
        need(packedB, packedSize(k, n), "packed B");
        need(colSums, 4L * n, "column sums");
        need(c, 4L * ((long) (m - 1) * ldc + n), "C");
        try {
            gemm.invokeExact(m, n, k, a, lda, aZero, packedB, colSums, c, ldc);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /**
     * out[r·outRow + c·outCol] = clamp(rint((acc[r·ldacc + c] + bias[c]) · (double) multiplier[c] + zeroPoint),
     * qmin, qmax) as uint8 ({@code signed} false) or int8, exactly as ONNX's reference requantizes; [qmin, qmax] is
     * the type's range or a fused clamp's. {@code bias} may be null.
     */
    public void requantize(MemorySegment acc, int rows, int cols, int ldacc, MemorySegment bias, MemorySegment multiplier,
                           int zeroPoint, boolean signed, int qmin, int qmax, MemorySegment out, long outRow,
                           long outCol) {
        checkUsable();
        positive(rows, "rows");
        positive(cols, "cols");
        if (ldacc < cols || outRow < 0 || outCol < 0) {
            throw new IllegalArgumentException("bad strides");
        }
        checkOutput(signed, qmin, qmax, zeroPoint);
        need(acc, 4L * ((long) (rows - 1) * ldacc + cols), "accumulators");
        if (bias != null) {
            need(bias, 4L * cols, "bias");
        }
        need(multiplier, 4L * cols, "multipliers");
        need(out, (rows - 1) * outRow + (cols - 1) * outCol + 1, "output");
        MemorySegment biasArg = bias == null ? MemorySegment.NULL : bias; // a typed local: invokeExact needs the exact type
        try {
            requantize.invokeExact(acc, rows, cols, ldacc, biasArg, multiplier, zeroPoint, qmin, qmax, signed ? 1 : 0,
                out, outRow, outCol);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /**
     * The int8 GEMM with requantization fused (each int32 tile requantized while in cache): out [m, n] 8-bit, row
     * stride ldo, = saturate(rint(((A − aZero)·B + bias[c]) · (double) multiplier[c] + zeroPoint)) as uint8
     * ({@code signed} false) or int8 — the same bytes as {@link #gemmU8S8S32} then {@link #requantize}. {@code relu}
     * clamps below at the zero point (a Relu after the product). {@code bias} may be null.
     */
    public void gemmU8S8Requant(int m, int n, int k, MemorySegment a, int lda, int aZero, MemorySegment packedB,
                                MemorySegment colSums, MemorySegment bias, MemorySegment multiplier, int zeroPoint,
                                boolean signed, boolean relu, MemorySegment out, int ldo) {
        int qmin = signed ? -128 : 0;
        gemmU8S8Requant(m, n, k, a, lda, aZero, packedB, colSums, bias, multiplier, zeroPoint, signed,
            relu ? Math.max(qmin, zeroPoint) : qmin, signed ? 127 : 255, out, ldo);
    }

    /** As above, the output clamped to [qmin, qmax] (the type's range, or a fused Relu / Clip's). */
    public void gemmU8S8Requant(int m, int n, int k, MemorySegment a, int lda, int aZero, MemorySegment packedB,
                                MemorySegment colSums, MemorySegment bias, MemorySegment multiplier, int zeroPoint,
                                boolean signed, int qmin, int qmax, MemorySegment out, int ldo) {
        checkUsable();
        positive(m, "m");
        positive(n, "n");
        positive(k, "k");
        if (lda < k || ldo < n) {
            throw new IllegalArgumentException("row strides lda " + lda + " / ldo " + ldo + " too small");
        }
        if (aZero < 0 || aZero > 255) {
            throw new IllegalArgumentException("uint8 zero point " + aZero);
        }
        checkOutput(signed, qmin, qmax, zeroPoint);
        need(a, (long) (m - 1) * lda + k, "A");
        need(packedB, packedSize(k, n), "packed B");
        need(colSums, 4L * n, "column sums");
        if (bias != null) {
            need(bias, 4L * n, "bias");
        }
        need(multiplier, 4L * n, "multipliers");
        need(out, (long) (m - 1) * ldo + n, "output");
        MemorySegment biasArg = bias == null ? MemorySegment.NULL : bias;
        try {
            gemmRequant.invokeExact(m, n, k, a, lda, aZero, packedB, colSums, biasArg, multiplier, zeroPoint,
                qmin, qmax, signed ? 1 : 0, out, ldo);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /**
     * im2col of one uint8 image [c, h, w] into out [oh·ow rows of ldo bytes, the first c·kh·kw used, the rest
     * zeroed] for output rows [oy0, oy1), {@code padValue} outside the image. The caller gives a geometry where
     * every window start lies within the padded image (as a convolution's does).
     */
    public void im2colU8(MemorySegment x, int c, int h, int w, int kh, int kw, int sh, int sw, int dh, int dw,
                         int padTop, int padLeft, int oh, int ow, int padValue, MemorySegment out, int ldo, int oy0,
                         int oy1) {
        checkUsable();
        for (int v : new int[] {c, h, w, kh, kw, sh, sw, dh, dw, oh, ow}) {
            positive(v, "im2col dimension");
        }
        if (padTop < 0 || padLeft < 0 || padValue < 0 || padValue > 255) {
            throw new IllegalArgumentException("bad padding");
        }
        if (oy0 < 0 || oy1 > oh || oy0 > oy1) {
            throw new IllegalArgumentException("output rows [" + oy0 + ", " + oy1 + ") outside [0, " + oh + ")");
        }
        if (ldo < c * kh * kw) {
            throw new IllegalArgumentException("row stride " + ldo + " < " + c * kh * kw);
        }
        need(x, (long) c * h * w, "image");
        need(out, (long) oh * ow * ldo, "im2col output");
        try {
            im2col.invokeExact(x, c, h, w, kh, kw, sh, sw, dh, dw, padTop, padLeft, oh, ow, (byte) padValue, out, ldo, oy0,
                oy1);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** The fused convolution path the library picked: "amx", "avx512-vbmi", "avx512-vnni" or "scalar". */
    public String convPath() {
        checkUsable();
        return KernelPaths.name(convPath);
    }

    /** Forces the fused convolution path (tests, comparisons); false if this CPU lacks it. */
    public boolean forceConvPath(String path) {
        checkUsable();
        return KernelPaths.force(convForce, path);
    }

    /** Bytes of packed weights for {@code d}. */
    public long convWeightsSize(ConvDesc d) {
        checkUsable();
        return d.weightBytes(this);
    }

    long convWeightsSizeUncached(ConvDesc d) {
        try {
            return (long) convWeightsSize.invokeExact(d.segment());
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Bytes of per-image input scratch for {@code d}. */
    public long convScratchSize(ConvDesc d) {
        checkUsable();
        return d.scratchBytes(this);
    }

    long convScratchSizeUncached(ConvDesc d) {
        try {
            return (long) convScratchSize.invokeExact(d.segment());
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Packs ONNX int8 weights [cout, c/group, kh, kw]; {@code sums} receives each output channel's weight sum. */
    public void convPackWeights(ConvDesc d, MemorySegment w, MemorySegment packed, MemorySegment sums) {
        checkUsable();
        need(w, (long) d.cout() * d.filterSize(), "weights");
        need(packed, convWeightsSize(d), "packed weights");
        need(sums, 4L * d.cout(), "weight sums");
        try {
            convPackWeights.invokeExact(d.segment(), w, packed, sums);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Rewrites one 8-bit NCHW image into {@code scratch}: part {@code part} of {@code parts}. */
    public void convPackInput(ConvDesc d, MemorySegment x, MemorySegment scratch, int part, int parts) {
        checkUsable();
        checkPart(part, parts);
        need(x, d.inputBytes(), "image");
        need(scratch, convScratchSize(d), "convolution scratch");
        try {
            convPackInput.invokeExact(d.segment(), x, scratch, part, parts);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /**
     * y (one NCHW image, 8-bit) = requantized convolution of image x (dense convolutions read the scratch
     * {@link #convPackInput} wrote from it, depthwise ones x itself): part {@code part} of {@code parts}.
     * {@code bias} holds the int32 bias with the input zero point's correction folded in.
     */
    public void convCompute(ConvDesc d, MemorySegment x, MemorySegment scratch, MemorySegment packed, MemorySegment bias,
                            MemorySegment multipliers, MemorySegment y, int part, int parts) {
        checkUsable();
        checkPart(part, parts);
        need(x, d.inputBytes(), "image");
        need(scratch, convScratchSize(d), "convolution scratch");
        need(packed, convWeightsSize(d), "packed weights");
        need(bias, 4L * d.cout(), "bias");
        need(multipliers, 4L * d.cout(), "multipliers");
        need(y, d.outputBytes(), "output");
        try {
            convCompute.invokeExact(d.segment(), x, scratch, packed, bias, multipliers, y, part, parts);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /**
     * MaxPool (dilation 1) of 8-bit planes [p0, p1) of x [planes, h, w] into y [planes, oh, ow]; int8 when
     * {@code signed}. Every window must hold an input pixel: pads smaller than the kernel, and the output no larger
     * than those pads allow.
     */
    public void maxPool(MemorySegment x, int planes, int h, int w, int kh, int kw, int sh, int sw, int padTop,
                        int padLeft, int oh, int ow, boolean signed, MemorySegment y, int p0, int p1) {
        checkUsable();
        for (int v : new int[] {planes, h, w, kh, kw, sh, sw, oh, ow}) {
            positive(v, "pool dimension");
        }
        if (padTop < 0 || padLeft < 0 || padTop >= kh || padLeft >= kw
            || (long) sh * (oh - 1) - padTop >= h || (long) sw * (ow - 1) - padLeft >= w) {
            throw new IllegalArgumentException("a pooling window would hold no input pixel");
        }
        if (p0 < 0 || p1 > planes || p0 > p1) {
            throw new IllegalArgumentException("planes [" + p0 + ", " + p1 + ") outside [0, " + planes + ")");
        }
        need(x, (long) planes * h * w, "pool input");
        need(y, (long) planes * oh * ow, "pool output");
        try {
            maxPool.invokeExact(x, planes, h, w, kh, kw, sh, sw, padTop, padLeft, oh, ow, signed ? 1 : 0, y, p0, p1);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /**
     * com.microsoft QLinearAdd of elements [i0, i1) of same-size 8-bit a and b into c (int8 when {@code signed}):
     * c = clamp(rint(((float) (a − za)·sa + (float) (b − zb)·sb) / sc) + zc, qmin, qmax), each step a float32
     * operation; [qmin, qmax] is the type's range or a fused clamp's.
     */
    public void qlinearAdd(MemorySegment a, MemorySegment b, long i0, long i1, int za, float sa, int zb, float sb,
                           float sc, int zc, boolean signed, int qmin, int qmax, MemorySegment c) {
        checkUsable();
        checkOutput(signed, qmin, qmax, za, zb, zc);
        if (i0 < 0 || i0 > i1) {
            throw new IllegalArgumentException("range [" + i0 + ", " + i1 + ")");
        }
        need(a, i1, "A");
        need(b, i1, "B");
        need(c, i1, "C");
        try {
            qlinearAdd.invokeExact(a, b, i0, i1, za, sa, zb, sb, sc, zc, signed ? 1 : 0, qmin, qmax, c);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Output bounds [qmin, qmax] and zero points within the 8-bit type ({@code signed}: int8). */
    static void checkOutput(boolean signed, int qmin, int qmax, int... zeroPoints) {
        int lo = signed ? -128 : 0;
        int hi = signed ? 127 : 255;
        if (qmin < lo || qmax > hi || qmin > qmax) {
            throw new IllegalArgumentException("output bounds [" + qmin + ", " + qmax + "] not within [" + lo + ", "
                + hi + "]");
        }
        for (int z : zeroPoints) {
            if (z < lo || z > hi) {
                throw new IllegalArgumentException("zero point " + z + " outside [" + lo + ", " + hi + "]");
            }
        }
    }

    private static void checkPart(int part, int parts) {
        if (parts < 1 || part < 0 || part >= parts) {
            throw new IllegalArgumentException("part " + part + " of " + parts);
        }
    }

    private static void positive(int v, String what) {
        if (v < 1) {
            throw new IllegalArgumentException(what + " must be positive, got " + v);
        }
    }

    private static void need(MemorySegment s, long bytes, String what) {
        if (!s.isNative()) {
            throw new IllegalArgumentException(what + " must be native (off-heap) memory");
        }
        if (s.byteSize() < bytes) {
            throw new IllegalArgumentException(what + " has " + s.byteSize() + " bytes, needs " + bytes);
        }
    }
}
