package dev.sparq.bench;

import dev.sparq.backend.Backend;
import dev.sparq.backend.ExecutionContext;
import dev.sparq.backend.Kernel;
import dev.sparq.backend.KernelRequest;
import dev.sparq.backend.cpu.ref.CpuRefBackend;
import dev.sparq.backend.cpu.simd.IntGemm;
import dev.sparq.backend.cpu.simd.SimdBackend;
import dev.sparq.graph.Attribute;
import dev.sparq.graph.Node;
import dev.sparq.graph.ValueType;
import dev.sparq.nativecpu.CpuNativeBackend;
import dev.sparq.tensor.DType;
import dev.sparq.tensor.Tensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * QLinearConv (uint8 x, int8 per-channel weights, int32 bias, uint8 y), one thread, batch 1: cpu-simd's pure Java
 * kernel against cpu-ref and cpu-native (the fused native kernel: AMX or VNNI, depthwise included; {@code convPath}
 * forces one). {@code java-int32-rows} is the
 * alternative design cpu-simd did not take, timed as a lower bound: IntGemm's int32-lane rows over a pre-packed
 * im2col (no im2col, no requantization). The {@code op} counter is integer operations per second (2 per multiply-add).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--add-modules=jdk.incubator.vector"})
@State(Scope.Benchmark)
public class Int8ConvBenchmark {
    /**
     * "C,M,H,group[,K,stride]" (or CxMxHxgroup[xKxstride] on the command line): K×K (default 3), stride (default 1),
     * pad K/2; e.g. MobileNetV2's layers: 3x32x224x1x3x2 (stem), 16x96x112x1x1x1 (1×1), 96x96x112x96x3x2 (depthwise).
     */
    @Param({"64,64,56,1", "144,144,56,144"})
    String shape;

    @Param({"cpu-simd", "cpu-ref", "cpu-native", "java-int32-rows"})
    String backend;

    /** cpu-native's convolution path: what the library picks, or one forced (e.g. avx512-vnni on an AMX machine). */
    @Param({"auto"})
    String convPath;

    private int c;
    private int m;
    private int hw;
    private int group;
    private int k;
    private int stride;
    private Tensor[] inputs;
    private Kernel kernel;
    private IntGemm.Packed im2col;
    private int[][] weightRows;
    private long macs;

    /** Outputs and scratch are bump-allocated from one buffer reset per call, like the executor's planned slab. */
    private final Arena buffers = Arena.ofShared();
    private final MemorySegment slab = buffers.allocate(64L << 20, 64);
    private long used;
    private final ExecutionContext ctx = new ExecutionContext() {
        @Override
        public Tensor allocate(DType dtype, long... dims) {
            long bytes = dtype.byteSize();
            for (long d : dims) {
                bytes *= d;
            }
            Tensor t = Tensor.wrap(dtype, dims, slab.asSlice(used, bytes));
            used += (bytes + 63) & ~63L;
            return t;
        }

        @Override
        public int threads() {
            return 1;
        }
    };

    @AuxCounters(AuxCounters.Type.OPERATIONS)
    @State(Scope.Thread)
    public static class Ops {
        public long op;
    }

    @Setup(Level.Trial)
    public void setUp() {
        String[] p = shape.split("[,x]"); // "x" too: JMH splits -p values at commas
        c = Integer.parseInt(p[0]);
        m = Integer.parseInt(p[1]);
        hw = Integer.parseInt(p[2]);
        group = Integer.parseInt(p[3]);
        k = p.length > 4 ? Integer.parseInt(p[4]) : 3;
        stride = p.length > 5 ? Integer.parseInt(p[5]) : 1;
        int cg = c / group;
        int o = (hw + 2 * (k / 2) - k) / stride + 1;
        macs = (long) m * cg * k * k * o * o;
        Random r = new Random(7);
        byte[] x = new byte[c * hw * hw];
        byte[] w = new byte[m * cg * k * k];
        r.nextBytes(x);
        r.nextBytes(w);
        float[] wScale = new float[m];
        int[] bias = new int[m];
        for (int i = 0; i < m; i++) {
            wScale[i] = 0.002f + r.nextFloat() * 0.01f;
            bias[i] = r.nextInt(2001) - 1000;
        }
        inputs = new Tensor[] {Tensor.fromBytes(DType.U8, x, 1, c, hw, hw), Tensor.fromFloats(new float[] {0.02f}),
            Tensor.fromBytes(DType.U8, new byte[] {(byte) 128}), Tensor.fromBytes(DType.I8, w, m, cg, k, k),
            Tensor.fromFloats(wScale, m), Tensor.fromBytes(DType.I8, new byte[m], m),
            Tensor.fromFloats(new float[] {0.05f}), Tensor.fromBytes(DType.U8, new byte[] {(byte) 120}),
            Tensor.fromInts(bias, m)};
        if (backend.equals("java-int32-rows")) {
            if (group != 1 || k != 3 || stride != 1) {
                throw new IllegalStateException("java-int32-rows is timed for group 1, 3×3, stride 1 only");
            }
            int k = cg * 9;
            int pixels = hw * hw;
            // im2col[k][pixel] of the centered input, padding 0 (the zero point)
            im2col = IntGemm.pack(k, pixels, (kk, pix) -> {
                int ch = kk / 9;
                int iy = pix / hw + (kk % 9) / 3 - 1;
                int ix = pix % hw + kk % 3 - 1;
                return iy < 0 || iy >= hw || ix < 0 || ix >= hw ? 0 : (x[(ch * hw + iy) * hw + ix] & 0xFF) - 128;
            });
            weightRows = new int[m][k];
            for (int i = 0; i < m; i++) {
                for (int kk = 0; kk < k; kk++) {
                    weightRows[i][kk] = w[i * k + kk];
                }
            }
            return;
        }
        Backend b = switch (backend) {
            case "cpu-simd" -> new SimdBackend();
            case "cpu-ref" -> new CpuRefBackend();
            case "cpu-native" -> {
                if (!convPath.equals("auto") && !dev.sparq.nativecpu.CpuKernels.get().forceConvPath(convPath)) {
                    throw new IllegalStateException("convolution path " + convPath + " is not available here");
                }
                yield new CpuNativeBackend();
            }
            default -> throw new IllegalArgumentException(backend);
        };
        List<String> names = new ArrayList<>();
        Map<String, Tensor> constants = new LinkedHashMap<>();
        Map<String, ValueType> types = new LinkedHashMap<>();
        for (int i = 0; i < inputs.length; i++) {
            names.add("x" + i);
            types.put("x" + i, ValueType.tensor(inputs[i].dtype(), inputs[i].shape()));
            if (i > 0) {
                constants.put("x" + i, inputs[i]);
            }
        }
        long pad = k / 2;
        Map<String, Attribute> attrs = Map.of(
            "pads", new Attribute("pads", Attribute.Type.INTS, List.of(pad, pad, pad, pad)),
            "strides", new Attribute("strides", Attribute.Type.INTS, List.of((long) stride, (long) stride)),
            "group", new Attribute("group", Attribute.Type.INT, (long) group));
        Node node = new Node("conv", "QLinearConv", "", names, List.of("y"), attrs);
        kernel = b.kernelFor(new KernelRequest(node, 10, constants, types, Arena.global()))
            .orElseThrow(() -> new IllegalStateException(backend + " has no kernel for " + shape));
        System.out.println("# kernel: " + kernel.getClass().getName());
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        for (Tensor t : inputs) {
            t.close();
        }
    }

    @Benchmark
    public void conv(Ops o) {
        used = 0;
        if (im2col != null) {
            int pixels = hw * hw;
            Tensor acc = ctx.allocate(DType.I32, m, pixels);
            for (int i = 0; i < m; i++) {
                IntGemm.row(weightRows[i], im2col, acc.segment(), (long) i * pixels);
            }
        } else {
            kernel.run(inputs, ctx);
        }
        o.op += 2 * macs;
    }
}
