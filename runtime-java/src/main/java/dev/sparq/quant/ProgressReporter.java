package dev.sparq.quant;

import java.io.PrintStream;

/** Progress lines such as "calibrating: 64/256 samples", at most one a second, plus each pass's end. */
final class ProgressReporter {
    private static final long INTERVAL_NANOS = 1_000_000_000L;

    private final PrintStream out;
    private long lastPrint;

    /** {@code out} null = silent. */
    ProgressReporter(PrintStream out) {
        this.out = out;
        this.lastPrint = System.nanoTime();
    }

    /** After each sample; {@code total} -1 when unknown. */
    void sampleDone(int done, int total, boolean last) {
        if (out == null) {
            return;
        }
        long now = System.nanoTime();
        if (last || now - lastPrint >= INTERVAL_NANOS) {
            lastPrint = now;
            out.println("calibrating: " + done + (total > 0 ? "/" + total : "")
                + " samples");
        }
    }
}
