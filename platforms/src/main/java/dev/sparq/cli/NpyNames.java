package dev.sparq.cli;

/** Output file names as DESIGN.md fixes them: every character outside [A-Za-z0-9._:-] becomes '_'. */
final class NpyNames {
    private NpyNames() {
    }

    /** Never a path: '/' is replaced, and even ".." becomes the plain file name "...npy". */
    static String fileNameFor(String outputName) {
        return outputName.replaceAll("[^A-Za-z0-9._:-]", "_") + ".npy";
    }
}
