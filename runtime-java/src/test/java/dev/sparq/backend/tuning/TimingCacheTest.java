package dev.sparq.backend.tuning;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TimingCacheTest {
    @TempDir
    Path dir;

    private static Decision decision(String chosen, double... ns) {
        Map<String, Double> m = new LinkedHashMap<>();
        String[] names = {"dense", "sparse-csr", "sparse-2:4"};
        for (int i = 0; i < ns.length; i++) {
            m.put(names[i], ns[i]);
        }
        return new Decision(chosen, m);
    }

    @Test
    void decisionsSurviveAReopen() {
        Path file = dir.resolve("sub/dir/timings.txt");
        TimingCache c = TimingCache.open(file);
        c.put("cpu A | cpu-simd 512 | 2 cores", "Gemm a=[1,64] n=256 {dense,sparse-csr}", decision("sparse-csr", 830, 210));
        c.put("cpu B\twith tab", "Conv x=[1,3,8,8]", decision("dense", 100, 200, 300));
        TimingCache again = TimingCache.open(file);
        assertEquals(2, again.size());
        Decision d = again.get("cpu A | cpu-simd 512 | 2 cores", "Gemm a=[1,64] n=256 {dense,sparse-csr}");
        assertEquals("sparse-csr", d.chosen());
        assertEquals(210.0, d.nanos().get("sparse-csr"), 1e-3);
        assertEquals(830.0, d.nanos().get("dense"), 1e-3);
        assertEquals("dense", again.get("cpu B with tab", "Conv x=[1,3,8,8]").chosen(), "tabs in keys are replaced");
        assertNull(again.get("another device", "Conv x=[1,3,8,8]"));
    }

    @Test
    void aCorruptFileIsIgnoredAndThenReplaced() throws Exception {
        Path file = dir.resolve("timings.txt");
        for (String junk : new String[] {"garbage without tabs", "dev\tkey\tchosen\tdense=abc",
            "dev\tkey\tsparse\tdense=12.0", "dev\tkey\tdense\tdense=-1", "\u0000\u0001binary"}) {
            Files.writeString(file, TimingCache.HEADER + "\ndev\tok\tdense\tdense=5.0\n" + junk + "\n");
            TimingCache c = TimingCache.open(file);
            assertEquals(0, c.size(), "a file with a bad line is ignored as a whole: " + junk);
            c.put("dev", "k", decision("dense", 1));
            assertEquals(1, TimingCache.open(file).size(), "the next write replaces it");
        }
    }

    @Test
    void anUnwritableLocationOnlyCostsTheCaching() throws Exception {
        Path blocker = dir.resolve("file-not-dir");
        Files.writeString(blocker, "x");
        TimingCache c = TimingCache.open(blocker.resolve("timings.txt"));
        c.put("dev", "k", decision("dense", 1));
        assertEquals("dense", c.get("dev", "k").chosen(), "kept in memory");
        c.put("dev", "k2", decision("dense", 2));
        assertEquals(2, c.size());
    }

    @Test
    void inMemoryWritesNothing() {
        TimingCache c = TimingCache.inMemory();
        c.put("dev", "k", decision("sparse-csr", 3, 2));
        assertEquals("sparse-csr", c.get("dev", "k").chosen());
        assertNull(c.file());
        assertTrue(c.size() == 1);
    }
}
