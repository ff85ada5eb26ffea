package dev.sparq.cli;

/** Output file names as DESIGN.md fixes them: every character outside [A-Za-z0-9._:-] becomes '_'. */
final class NpyNames {
    private NpyNames() {
    }

    static String fileNameFor(String outputName) {
        String safe = outputName.replaceAll("[^A-Za-z0-9._:-]", "_");
        // "." and ".." would name folders, not files.
        if (safe.isEmpty() || safe.equals(".") || safe.equals("..")) {
            safe = safe.replace('.', '_') + "_";
        }
        return safe + ".npy";
    }
}
