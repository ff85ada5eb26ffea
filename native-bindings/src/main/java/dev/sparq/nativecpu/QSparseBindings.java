package dev.sparq.nativecpu;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * FFM downcalls into the pruned 8-bit convolution of libsparq_kernels (kernels/cpu/src/qsparse.c). As in
 * {@link CpuKernels}, every argument is checked here before the call: C trusts what it is given.
 */
final class QSparseBindings {
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT;
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG;
    private static final ValueLayout P = ValueLayout.ADDRESS;
    private static final QSparseBindings INSTANCE = new QSparseBindings();

    private final MethodHandle path;
    private final MethodHandle force;
    private final MethodHandle weightsSize;
    private final MethodHandle packWeights;
    private final MethodHandle compute;
    private final MethodHandle scratchSize;
    private final MethodHandle packInput;
    private final String failure;

    private QSparseBindings() {
        String why = CpuKernels.get().failure();
        MethodHandle[] h = new MethodHandle[7];
        if (why == null) {
            try {
                Linker linker = Linker.nativeLinker();
                var lookup = NativeLibrary.get().lookup();
                h[0] = linker.downcallHandle(lookup.find("sparq_qsparse_path").orElseThrow(), FunctionDescriptor.of(P),
                    Linker.Option.critical(false));
                h[1] = linker.downcallHandle(lookup.find("sparq_qsparse_force").orElseThrow(),
                    FunctionDescriptor.of(I32, P));
                h[2] = linker.downcallHandle(lookup.find("sparq_qsparse_weights_size").orElseThrow(),
                    FunctionDescriptor.of(I64, P, P));
                h[3] = linker.downcallHandle(lookup.find("sparq_qsparse_pack_weights").orElseThrow(),
                    FunctionDescriptor.ofVoid(P, P, P, P));
                h[4] = linker.downcallHandle(lookup.find("sparq_qsparse_compute").orElseThrow(),
                    FunctionDescriptor.ofVoid(P, P, P, P, P, P, I32, I32));
                h[5] = linker.downcallHandle(lookup.find("sparq_qsparse_scratch_size").orElseThrow(),
                    FunctionDescriptor.of(I64, P), Linker.Option.critical(false));
                h[6] = linker.downcallHandle(lookup.find("sparq_qsparse_pack_input").orElseThrow(),
                    FunctionDescriptor.ofVoid(P, P, P, I32, I32, I32));
            } catch (Throwable t) {
                why = "native library has no sparse convolution: " + t;
            }
        }
        this.failure = why;
        this.path = h[0];
        this.force = h[1];
        this.weightsSize = h[2];
        this.packWeights = h[3];
        this.compute = h[4];
        this.scratchSize = h[5];
        this.packInput = h[6];
    }

    static QSparseBindings get() {
        return INSTANCE;
    }

    /** Null when usable, else why not. */
    String failure() {
        return failure;
    }

    private void checkUsable() {
        if (failure != null) {
            throw new IllegalStateException(failure);
        }
    }

    /** "avx512-vnni" or "scalar". */
    String path() {
        checkUsable();
        return KernelPaths.name(path);
    }

    /** Forces a path (tests, comparisons); false if this CPU lacks it. */
    boolean force(String name) {
        checkUsable();
        return KernelPaths.force(force, name);
    }

    private static void checkDense(ConvDesc d, MemorySegment w) {
        if (d.depthwise()) {
            throw new IllegalArgumentException("the sparse convolution takes group 1 only");
        }
        need(w, d.cout() * d.filterSize(), "weights");
    }

    /** Bytes of the packed sparse weights of ONNX int8 weights w [cout, c, kh, kw]. */
    long weightsSize(ConvDesc d, MemorySegment w) {
        checkUsable();
        checkDense(d, w);
        try {
            return (long) weightsSize.invokeExact(d.segment(), w);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Packs w into {@code packed} ({@link #weightsSize} bytes); {@code sums} receives each channel's weight sum. */
    void packWeights(ConvDesc d, MemorySegment w, MemorySegment packed, MemorySegment sums) {
        long size = weightsSize(d, w);
        need(packed, size, "packed weights");
        need(sums, 4L * d.cout(), "weight sums");
        try {
            packWeights.invokeExact(d.segment(), w, packed, sums);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Bytes of the per-image input scratch for d (allocate it 64-byte aligned: the kernel's loads then are). */
    long scratchSize(ConvDesc d) {
        checkUsable();
        if (d.depthwise()) {
            throw new IllegalArgumentException("the sparse convolution takes group 1 only");
        }
        try {
            return (long) scratchSize.invokeExact(d.segment());
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /**
     * Fills the scratch from one NCHW image: stage 0 then stage 1, each split in {@code parts} (every part of stage 0
     * must have finished before stage 1 starts), or stage 2 alone: both in one pass whose parts are independent.
     */
    void packInput(ConvDesc d, MemorySegment x, MemorySegment scratch, int stage, int part, int parts) {
        if (stage < 0 || stage > 2) {
            throw new IllegalArgumentException("stage " + stage);
        }
        if (parts < 1 || part < 0 || part >= parts) {
            throw new IllegalArgumentException("part " + part + " of " + parts);
        }
        need(x, d.inputBytes(), "image");
        need(scratch, scratchSize(d), "sparse convolution scratch");
        try {
            packInput.invokeExact(d.segment(), x, scratch, stage, part, parts);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /**
     * y (one NCHW image) = requantized convolution read from the scratch {@link #packInput} filled,
     * part {@code part} of {@code parts}. {@code packed} must come from {@link #packWeights} for weights of d's
     * channels, output channels and kernel size ({@code packedFor}: that descriptor), {@code bias} hold the
     * zero-point correction.
     */
    void compute(ConvDesc d, ConvDesc packedFor, MemorySegment scratch, MemorySegment packed, long packedBytes,
                 MemorySegment bias, MemorySegment multipliers, MemorySegment y, int part, int parts) {
        checkUsable();
        if (parts < 1 || part < 0 || part >= parts) {
            throw new IllegalArgumentException("part " + part + " of " + parts);
        }
        if (d.depthwise() || !d.sameFilters(packedFor)) {
            throw new IllegalArgumentException("packed weights were made for other channels or kernel size");
        }
        need(scratch, scratchSize(d), "sparse convolution scratch");
        need(packed, packedBytes, "packed weights");
        need(bias, 4L * d.cout(), "bias");
        need(multipliers, 4L * d.cout(), "multipliers");
        need(y, d.outputBytes(), "output");
        try {
            compute.invokeExact(d.segment(), scratch, packed, bias, multipliers, y, part, parts);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
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
