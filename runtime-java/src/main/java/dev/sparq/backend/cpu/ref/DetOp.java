package dev.sparq.backend.cpu.ref;

import dev.sparq.backend.KernelRegistry;
import dev.sparq.tensor.Tensor;
import java.util.Arrays;

/** Det: determinants of the trailing square matrices, by LU decomposition with partial pivoting in double. */
public final class DetOp {
    private DetOp() {
    }

    public static void register(KernelRegistry r) {
        r.register("Det", req -> (in, ctx) -> {
            Tensor x = in[0];
            long[] shape = x.shape();
            if (shape.length < 2 || shape[shape.length - 1] != shape[shape.length - 2]) {
                throw new IllegalArgumentException("Det needs square matrices, got " + Arrays.toString(shape));
            }
            int n = (int) shape[shape.length - 1];
            Tensor y = ctx.allocate(x.dtype(), Arrays.copyOf(shape, shape.length - 2));
            double[][] a = new double[n][n];
            for (long m = 0; m < y.size(); m++) {
                for (int i = 0; i < n; i++) {
                    for (int j = 0; j < n; j++) {
                        a[i][j] = x.getDouble((m * n + i) * n + j);
                    }
                }
                y.setDouble(m, determinant(a));
            }
            return new Tensor[] {y};
        });
    }

    /** Destroys {@code a}. */
    static double determinant(double[][] a) {
        int n = a.length;
        double det = 1;
        for (int col = 0; col < n; col++) {
            int pivot = col;
            for (int row = col + 1; row < n; row++) {
                if (Math.abs(a[row][col]) > Math.abs(a[pivot][col])) {
                    pivot = row;
                }
            }
            if (a[pivot][col] == 0) {
                return 0;
            }
            if (pivot != col) {
                double[] t = a[pivot];
                a[pivot] = a[col];
                a[col] = t;
                det = -det;
            }
            det *= a[col][col];
            for (int row = col + 1; row < n; row++) {
                double f = a[row][col] / a[col][col];
                for (int k = col; k < n; k++) {
                    a[row][k] -= f * a[col][k];
                }
            }
        }
        return det;
    }
}
