package dev.sparq.backend.cpu.simd;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * An activation operand packed per call. {@code transposed == false}: X[r][k] = m[r*ld + k] (A of a fully connected
 * layer, row-major [M,K]); {@code true}: X[r][k] = m[k*ld + r] (B of a plain [K,N] product, e.g. a 1×1 convolution
 * over an NCHW image, where each k row is contiguous and panels are copied a vector row at a time).
 */
record RowMajorSource(MemorySegment m, long offset, int rows, int depth, long ld, boolean transposed)
    implements PanelSource {

    @Override
    public Panels panels(int k0, int kb, int row0, int count, int width, Scratch scratch) {
        int panels = (count + width - 1) / width;
        float[] dst = scratch.get(panels * width * kb);
        if (transposed) {
            // k by k: a row's whole panels in one vector loop, the partial last panel (if any) copied and padded
            int full = Math.min(panels, (rows - row0) / width);
            SimdOps ops = SimdOps.get();
            for (int k = 0; k < kb; k++) {
                long src = offset + (long) (k0 + k) * ld + row0;
                ops.copyPanels(m, src, full, width, dst, k * width, width * kb);
                if (full < panels) {
                    int valid = Math.min(width, rows - row0 - full * width);
                    int at = full * width * kb + k * width;
                    MemorySegment.copy(m, ValueLayout.JAVA_FLOAT, (src + (long) full * width) * Float.BYTES, dst, at,
                        valid);
                    java.util.Arrays.fill(dst, at + valid, at + width, 0f);
                }
            }
            return new Panels(dst, 0, width * kb);
        }
        // one bulk copy per row into a width × kb block, then the block interleaved into the panel (gathers):
        // far cheaper than element reads
        float[] block = Scratch.of(5).get(width * kb);
        SimdOps ops = SimdOps.get();
        for (int p = 0; p < panels; p++) {
            int r0 = row0 + p * width;
            int valid = Math.min(width, rows - r0);
            if (ld == kb) { // the panel's rows whole and adjacent: one copy
                MemorySegment.copy(m, ValueLayout.JAVA_FLOAT, (offset + r0 * ld) * Float.BYTES, block, 0, valid * kb);
            } else {
                for (int lane = 0; lane < valid; lane++) {
                    MemorySegment.copy(m, ValueLayout.JAVA_FLOAT, (offset + (r0 + lane) * ld + k0) * Float.BYTES,
                        block, lane * kb, kb);
                }
            }
            java.util.Arrays.fill(block, valid * kb, width * kb, 0f);
            ops.interleaveRows(block, width, kb, dst, p * width * kb);
        }
        return new Panels(dst, 0, width * kb);
    }
}
