package dev.sparq.compress;

import dev.sparq.Session;
import dev.sparq.SessionOptions;
import dev.sparq.Sparq;
import dev.sparq.onnx.proto.Onnx.AttributeProto;
import dev.sparq.onnx.proto.Onnx.ModelProto;
import dev.sparq.tensor.Tensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;

/** Small helpers for the compression tests: random data, int attributes, running a model file on cpu-ref. */
final class Fixtures {
    private Fixtures() {
    }

    /** Uniform in ±1, away from 0 so no weight starts as zero and magnitudes have no ties. */
    static float[] random(Random r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) ((0.05 + 0.95 * r.nextDouble()) * (r.nextBoolean() ? 1 : -1));
        }
        return v;
    }

    static AttributeProto intAttr(String name, long v) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(v).build();
    }

    static AttributeProto intsAttr(String name, long... v) {
        AttributeProto.Builder b = AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INTS);
        for (long x : v) {
            b.addInts(x);
        }
        return b.build();
    }

    static Path write(Path dir, String name, ModelProto m) throws IOException {
        Path p = dir.resolve(name);
        Files.write(p, m.toByteArray());
        return p;
    }

    /** The first output of {@code model} on cpu-ref, flattened. */
    static float[] sparq(Path model, String input, Tensor x) {
        try (Session s = Sparq.load(model, SessionOptions.builder().backend("cpu-ref").build());
             Session.Result r = s.run(Map.of(input, x))) {
            return r.first().toFloatArray();
        }
    }

    static float[] floats(Compressed c, String initializer) {
        return c.model().graph().initializers().get(initializer).toFloatArray();
    }

    static Tensor input(Random r, long... shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        float[] v = new float[(int) n];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return Tensor.fromFloats(v, shape);
    }
}
