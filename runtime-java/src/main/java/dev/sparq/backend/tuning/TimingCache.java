package dev.sparq.backend.tuning;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Kernel choices already timed, per device and node shape, kept in a small text file so the next load on the same
 * machine skips the timing. One line per decision, tab-separated:
 * {@code device key chosen name=nanos,name=nanos...}, after a header line. Read once when opened; a file that
 * does not parse is ignored as a whole with one warning (and replaced at the next write), never an error; a file
 * that cannot be written only costs the timing next time. Entries of other devices are kept.
 */
public final class TimingCache {
    static final String HEADER = "# sparq kernel timing cache v1: device<TAB>node<TAB>chosen<TAB>candidate=ns,...";
    private static final System.Logger LOG = System.getLogger("dev.sparq.tuning");
    private final Path file;
    private final Map<String, Decision> entries = new LinkedHashMap<>();
    private boolean writeFailed;

    private TimingCache(Path file) {
        this.file = file;
    }

    /** A cache that lives only as long as this object (for tests, and when no file is wanted). */
    public static TimingCache inMemory() {
        return new TimingCache(null);
    }

    /** The cache in {@code file}: read now if it exists. */
    public static TimingCache open(Path file) {
        TimingCache c = new TimingCache(file);
        c.read();
        return c;
    }

    /** Where it is stored, or null in memory. */
    public Path file() {
        return file;
    }

    public synchronized Decision get(String device, String key) {
        return entries.get(device + '\t' + key);
    }

    public synchronized int size() {
        return entries.size();
    }

    /** Records a decision and rewrites the file (atomically, so a concurrent reader sees the old or the new one). */
    public synchronized void put(String device, String key, Decision d) {
        entries.put(clean(device) + '\t' + clean(key), d);
        if (file != null && !writeFailed) {
            try {
                write();
            } catch (IOException | UncheckedIOException e) {
                writeFailed = true;
                LOG.log(System.Logger.Level.WARNING, "cannot write the kernel timing cache " + file + ": " + e
                    + "; choices will be timed again next time");
            }
        }
    }

    private static String clean(String s) {
        return s.replace('\t', ' ').replace('\n', ' ').replace('\r', ' ');
    }

    private void read() {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return;
        } catch (IOException | UncheckedIOException e) {
            LOG.log(System.Logger.Level.WARNING, "ignoring the kernel timing cache " + file + ": " + e);
            return;
        }
        Map<String, Decision> parsed = new LinkedHashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isBlank() || (i == 0 && line.equals(HEADER))) {
                continue;
            }
            try {
                String[] f = line.split("\t", -1);
                if (f.length != 4) {
                    throw new IllegalArgumentException("expected 4 tab-separated fields, found " + f.length);
                }
                parsed.put(f[0] + '\t' + f[1], new Decision(f[2], parseTimes(f[3])));
            } catch (IllegalArgumentException e) {
                LOG.log(System.Logger.Level.WARNING, "ignoring the corrupt kernel timing cache " + file + " (line "
                    + (i + 1) + ": " + e.getMessage() + "); choices will be timed again");
                return;
            }
        }
        entries.putAll(parsed);
    }

    private static Map<String, Double> parseTimes(String field) {
        Map<String, Double> times = new LinkedHashMap<>();
        for (String part : field.split(",")) {
            int eq = part.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("bad timing '" + part + "'");
            }
            double ns = Double.parseDouble(part.substring(eq + 1));
            if (!(ns > 0) || Double.isInfinite(ns)) {
                throw new IllegalArgumentException("bad time " + ns);
            }
            times.put(part.substring(0, eq), ns);
        }
        return times;
    }

    private void write() throws IOException {
        List<String> out = new ArrayList<>();
        out.add(HEADER);
        entries.forEach((k, d) -> {
            List<String> times = new ArrayList<>();
            d.nanos().forEach((name, ns) -> times.add(name + "=" + (float) (double) ns));
            out.add(k + '\t' + d.chosen() + '\t' + String.join(",", times));
        });
        Path dir = file.toAbsolutePath().getParent();
        if (dir != null) {
            Files.createDirectories(dir);
        }
        Path tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
        try {
            Files.write(tmp, out, StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
