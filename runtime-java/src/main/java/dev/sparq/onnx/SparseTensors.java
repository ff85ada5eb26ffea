package dev.sparq.onnx;

import dev.sparq.graph.ModelFormatException;
import dev.sparq.onnx.proto.Onnx.SparseTensorProto;
import dev.sparq.tensor.Shapes;
import dev.sparq.tensor.Tensor;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.Arrays;

/** ONNX sparse_initializer → dense tensor; sparsity is re-detected from the dense weights by the planner. */
final class SparseTensors {
    private SparseTensors() {
    }

    static Tensor densify(SparseTensorProto sp, Arena arena, Path baseDir) {
        String name = sp.getValues().getName();
        long[] shape = sp.getDimsList().stream().mapToLong(Long::longValue).toArray();
        long size;
        try {
            size = Shapes.size(shape);
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException("sparse tensor '" + name + "': " + e.getMessage());
        }
        try (Arena scratch = Arena.ofConfined()) {
            Tensor values = OnnxTensors.toTensor(sp.getValues(), scratch, baseDir);
            Tensor indices = OnnxTensors.toTensor(sp.getIndices(), scratch, baseDir);
            long nnz = values.size();
            if (values.rank() != 1) {
                throw new ModelFormatException("sparse tensor '" + name + "': values must be 1-D");
            }
            Tensor dense = Tensor.allocate(values.dtype(), shape, arena);
            long[] strides = Shapes.strides(shape);
            boolean linear = indices.rank() == 1;
            if (linear ? indices.size() != nnz
                : indices.rank() != 2 || indices.dim(0) != nnz || indices.dim(1) != shape.length) {
                throw new ModelFormatException("sparse tensor '" + name + "': indices shape "
                    + Arrays.toString(indices.shape()) + " does not match " + nnz + " values");
            }
            for (long k = 0; k < nnz; k++) {
                long flat = 0;
                if (linear) {
                    flat = indices.getLong(k);
                } else {
                    for (int d = 0; d < shape.length; d++) {
                        long ix = indices.getLong(k * shape.length + d);
                        if (ix < 0 || ix >= shape[d]) {
                            flat = -1;
                            break;
                        }
                        flat += ix * strides[d];
                    }
                }
                if (flat < 0 || flat >= size) {
                    throw new ModelFormatException("sparse tensor '" + name + "': index out of range");
                }
                dense.setDouble(flat, values.getDouble(k));
            }
            return dense;
        }
    }
}
