package dev.sparq.testing;

/** Helpers over row-major logits [rows, classes]: predictions, accuracy, largest difference. */
public final class Logits {
    private Logits() {
    }

    public static int[] argmax(float[] flat, int classes) {
        int[] out = new int[flat.length / classes];
        for (int i = 0; i < out.length; i++) {
            for (int k = 1; k < classes; k++) {
                if (flat[i * classes + k] > flat[i * classes + out[i]]) {
                    out[i] = k;
                }
            }
        }
        return out;
    }

    public static int correct(float[] flat, int classes, long[] labels) {
        int[] pred = argmax(flat, classes);
        int n = 0;
        for (int i = 0; i < pred.length; i++) {
            n += pred[i] == labels[i] ? 1 : 0;
        }
        return n;
    }

    public static float maxAbsDiff(float[] a, float[] b) {
        float m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }

    public static int differing(float[] a, float[] b) {
        int n = 0;
        for (int i = 0; i < a.length; i++) {
            n += a[i] != b[i] ? 1 : 0;
        }
        return n;
    }
}
