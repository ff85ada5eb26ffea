package dev.sparq.tensor;

import dev.sparq.InvalidInputException;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * NumPy {@code .npy} files (format versions 1, 2 and 3): little-endian or byte-order-free dtypes, C order.
 * Anything else (big-endian, Fortran order, object arrays, truncated data) is rejected with a one-line message.
 */
public final class Npy {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");
    private static final int MAX_HEADER = 1 << 20;

    private Npy() {
    }

    public static Tensor read(Path path) {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long fileSize = ch.size();
            ByteBuffer pre = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, pre, 0, path);
            pre.flip();
            for (byte b : MAGIC) {
                if (pre.get() != b) {
                    throw bad(path, "not a NumPy .npy file (bad magic)");
                }
            }
            int major = pre.get() & 0xFF;
            pre.get();
            long headerLen;
            long headerStart;
            if (major == 1) {
                headerLen = pre.getShort(8) & 0xFFFF;
                headerStart = 10;
            } else if (major == 2 || major == 3) {
                headerLen = pre.getInt(8) & 0xFFFFFFFFL;
                headerStart = 12;
            } else {
                throw bad(path, "unsupported .npy format version " + major);
            }
            if (headerLen > MAX_HEADER || headerStart + headerLen > fileSize) {
                throw bad(path, "truncated or oversized .npy header");
            }
            ByteBuffer hb = ByteBuffer.allocate((int) headerLen);
            readFully(ch, hb, headerStart, path);
            String header = new String(hb.array(), major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
            DType dtype = parseDescr(path, header);
            long[] shape = parseShape(path, header);
            Matcher fm = FORTRAN.matcher(header);
            if (fm.find() && fm.group(1).equals("True")) {
                throw bad(path, "Fortran-ordered arrays are not supported; save with np.ascontiguousarray");
            }
            long count;
            try {
                count = Shapes.size(shape);
            } catch (IllegalArgumentException e) {
                throw bad(path, e.getMessage());
            }
            long bytes = count * dtype.byteSize();
            long dataStart = headerStart + headerLen;
            if (fileSize - dataStart < bytes) {
                throw bad(path, "truncated: header promises " + bytes + " data bytes, file has "
                    + (fileSize - dataStart));
            }
            Tensor t = Tensor.allocate(dtype, shape);
            try {
                MemorySegment dst = t.segment();
                long done = 0;
                while (done < bytes) {
                    int n = ch.read(dst.asSlice(done).asByteBuffer(), dataStart + done);
                    if (n < 0) {
                        throw bad(path, "unexpected end of file");
                    }
                    done += n;
                }
            } catch (RuntimeException | IOException e) {
                t.close();
                throw e;
            }
            return t;
        } catch (NoSuchFileException e) {
            throw new InvalidInputException(path + ": no such file");
        } catch (IOException e) {
            throw new InvalidInputException(path + ": cannot read: " + e.getMessage(), e);
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long pos, Path path) throws IOException {
        while (buf.hasRemaining()) {
            int n = ch.read(buf, pos + buf.position());
            if (n < 0) {
                throw bad(path, "not a NumPy .npy file (too short)");
            }
        }
    }

    private static DType parseDescr(Path path, String header) {
        Matcher m = DESCR.matcher(header);
        if (!m.find()) {
            throw bad(path, "header has no 'descr'");
        }
        String d = m.group(1);
        String norm = d.length() == 3 && (d.charAt(0) == '=' || d.charAt(0) == '<' || d.charAt(0) == '|')
            ? d.substring(1) : d;
        return switch (norm) {
            case "f4" -> DType.F32;
            case "f8" -> DType.F64;
            case "f2" -> DType.F16;
            case "i1" -> DType.I8;
            case "u1" -> DType.U8;
            case "i2" -> DType.I16;
            case "u2" -> DType.U16;
            case "i4" -> DType.I32;
            case "u4" -> DType.U32;
            case "i8" -> DType.I64;
            case "b1" -> DType.BOOL;
            default -> throw bad(path, d.startsWith(">") ? "big-endian dtype " + d + " is not supported"
                : "unsupported dtype " + d);
        };
    }

    private static long[] parseShape(Path path, String header) {
        Matcher m = SHAPE.matcher(header);
        if (!m.find()) {
            throw bad(path, "header has no 'shape'");
        }
        List<Long> dims = new ArrayList<>();
        for (String part : m.group(1).split(",")) {
            String s = part.trim();
            if (s.isEmpty()) {
                continue;
            }
            try {
                long v = Long.parseLong(s.endsWith("L") ? s.substring(0, s.length() - 1) : s);
                if (v < 0) {
                    throw bad(path, "negative dimension in shape");
                }
                dims.add(v);
            } catch (NumberFormatException e) {
                throw bad(path, "bad shape entry '" + s + "'");
            }
        }
        return dims.stream().mapToLong(Long::longValue).toArray();
    }

    private static InvalidInputException bad(Path path, String what) {
        return new InvalidInputException(path + ": " + what);
    }

    /** Writes {@code t} as a version 1.0 .npy file (version 2.0 if the header needs it). */
    public static void write(Tensor t, Path path) throws IOException {
        StringBuilder shape = new StringBuilder("(");
        long[] dims = t.shape();
        for (int i = 0; i < dims.length; i++) {
            shape.append(dims[i]);
            if (dims.length == 1 || i < dims.length - 1) {
                shape.append(dims.length == 1 ? "," : ", ");
            }
        }
        shape.append(')');
        String dict = "{'descr': '" + t.dtype().npyDescr() + "', 'fortran_order': False, 'shape': " + shape + ", }";
        int preamble = 10;
        int total = preamble + dict.length() + 1;
        int padded = (total + 63) / 64 * 64;
        boolean v2 = padded - preamble > 0xFFFF;
        if (v2) {
            preamble = 12;
            total = preamble + dict.length() + 1;
            padded = (total + 63) / 64 * 64;
        }
        StringBuilder header = new StringBuilder(dict);
        while (preamble + header.length() + 1 < padded) {
            header.append(' ');
        }
        header.append('\n');
        ByteBuffer head = ByteBuffer.allocate(preamble).order(ByteOrder.LITTLE_ENDIAN);
        head.put(MAGIC).put((byte) (v2 ? 2 : 1)).put((byte) 0);
        if (v2) {
            head.putInt(header.length());
        } else {
            head.putShort((short) header.length());
        }
        try (OutputStream out = Files.newOutputStream(path)) {
            out.write(head.array());
            out.write(header.toString().getBytes(StandardCharsets.ISO_8859_1));
            MemorySegment seg = t.segment();
            byte[] chunk = new byte[1 << 16];
            for (long off = 0; off < seg.byteSize(); off += chunk.length) {
                int n = (int) Math.min(chunk.length, seg.byteSize() - off);
                MemorySegment.copy(seg, java.lang.foreign.ValueLayout.JAVA_BYTE, off, chunk, 0, n);
                out.write(chunk, 0, n);
            }
        }
    }
}
