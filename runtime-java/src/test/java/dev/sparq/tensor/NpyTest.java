package dev.sparq.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sparq.InvalidInputException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class NpyTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(DType.class)
    void roundTripsEveryDtype(DType dtype) throws IOException {
        try (Tensor t = Tensor.allocate(dtype, 2, 3)) {
            for (int i = 0; i < 6; i++) {
                t.setDouble(i, i * (dtype == DType.BOOL ? 1 : 3) - (dtype.isInteger() && dtype.name().startsWith("U") ? 0 : 2));
            }
            Path f = dir.resolve(dtype + ".npy");
            Npy.write(t, f);
            try (Tensor back = Npy.read(f)) {
                assertEquals(dtype, back.dtype());
                assertArrayEquals(t.shape(), back.shape());
                for (int i = 0; i < 6; i++) {
                    assertEquals(t.getDouble(i), back.getDouble(i));
                }
            }
            assertEquals(0, (Files.size(f) - t.byteSize()) % 64, "header padded to 64 bytes");
        }
    }

    @Test
    void writesScalarsAndVectorsWithNumpyShapeSyntax() throws IOException {
        try (Tensor s = Tensor.allocate(DType.F32); Tensor v = Tensor.fromFloats(new float[] {1, 2}, 2)) {
            Npy.write(s, dir.resolve("s.npy"));
            Npy.write(v, dir.resolve("v.npy"));
            assertTrue(header(dir.resolve("s.npy")).contains("'shape': ()"));
            assertTrue(header(dir.resolve("v.npy")).contains("'shape': (2,)"));
            try (Tensor back = Npy.read(dir.resolve("s.npy"))) {
                assertEquals(0, back.rank());
                assertEquals(1, back.size());
            }
        }
    }

    @Test
    void readsVersion2Headers() throws IOException {
        Path f = dir.resolve("v2.npy");
        Files.write(f, npy(2, "{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }", new byte[] {1, 0, 0, 0, 2, 0, 0, 0}));
        try (Tensor t = Npy.read(f)) {
            assertEquals(DType.I32, t.dtype());
            assertArrayEquals(new long[] {1, 2}, t.toLongArray());
        }
    }

    @Test
    void rejectsWhatItCannotRead() throws IOException {
        assertBad("big-endian", npy(1, "{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }", new byte[4]));
        assertBad("Fortran", npy(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", new byte[16]));
        assertBad("truncated", npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", new byte[15]));
        assertBad("unsupported dtype", npy(1, "{'descr': '|O', 'fortran_order': False, 'shape': (1,), }", new byte[8]));
        assertBad("bad magic", "hello world, not numpy".getBytes(StandardCharsets.US_ASCII));
        assertBad("too many elements", npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1099511627776, 1099511627776), }", new byte[4]));
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> Npy.read(dir.resolve("missing.npy")));
        assertTrue(e.getMessage().contains("missing.npy") && e.getMessage().contains("no such file"));
    }

    private void assertBad(String expected, byte[] content) throws IOException {
        Path f = dir.resolve("bad.npy");
        Files.write(f, content);
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> Npy.read(f));
        assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    private static String header(Path f) throws IOException {
        byte[] b = Files.readAllBytes(f);
        return new String(b, 10, Math.min(b.length - 10, 118), StandardCharsets.ISO_8859_1);
    }

    private static byte[] npy(int version, String dict, byte[] data) {
        int pre = version == 1 ? 10 : 12;
        StringBuilder h = new StringBuilder(dict);
        while ((pre + h.length() + 1) % 64 != 0) {
            h.append(' ');
        }
        h.append('\n');
        ByteBuffer b = ByteBuffer.allocate(pre + h.length() + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) version, 0});
        if (version == 1) {
            b.putShort((short) h.length());
        } else {
            b.putInt(h.length());
        }
        b.put(h.toString().getBytes(StandardCharsets.ISO_8859_1)).put(data);
        return Arrays.copyOf(b.array(), b.capacity());
    }
}
