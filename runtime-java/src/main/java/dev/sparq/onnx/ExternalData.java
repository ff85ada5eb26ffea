package dev.sparq.onnx;

import dev.sparq.graph.ModelFormatException;
import dev.sparq.onnx.proto.Onnx.StringStringEntryProto;
import dev.sparq.onnx.proto.Onnx.TensorProto;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Where an externally stored tensor's bytes are, checked to lie inside the model's folder and the file. */
record ExternalData(String tensor, Path file, long offset, long bytes) {
    static ExternalData locate(TensorProto tp, String name, long bytes, Path baseDir) {
        String location = null;
        long offset = 0;
        long length = -1;
        for (StringStringEntryProto e : tp.getExternalDataList()) {
            try {
                switch (e.getKey()) {
                    case "location" -> location = e.getValue();
                    case "offset" -> offset = Long.parseLong(e.getValue());
                    case "length" -> length = Long.parseLong(e.getValue());
                    default -> { }
                }
            } catch (NumberFormatException ex) {
                throw new ModelFormatException("tensor " + name + ": external data " + e.getKey() + " '"
                    + e.getValue() + "' is not a number");
            }
        }
        if (baseDir == null) {
            throw new ModelFormatException("tensor " + name + " uses external data, which is not allowed here");
        }
        if (location == null || location.isEmpty()) {
            throw new ModelFormatException("tensor " + name + " uses external data without a location");
        }
        Path rel = Path.of(location);
        Path base = baseDir.toAbsolutePath().normalize();
        Path file = base.resolve(rel).normalize();
        // As ONNX's checker requires: external data stays inside the model's folder.
        if (rel.isAbsolute() || !file.startsWith(base)) {
            throw new ModelFormatException("tensor " + name + ": external data location '" + location
                + "' points outside the model's folder");
        }
        if (offset < 0 || (length >= 0 && length != bytes)) {
            throw new ModelFormatException("tensor " + name + ": external data length " + length + " at offset "
                + offset + " does not match the " + bytes + " bytes its dims need");
        }
        if (!Files.isRegularFile(file)) {
            throw new ModelFormatException("tensor " + name + ": external data file " + file + " does not exist");
        }
        try {
            long size = Files.size(file);
            if (offset > size || size - offset < bytes) {
                throw new ModelFormatException("tensor " + name + ": external data file " + file + " has " + size
                    + " bytes, too few for " + bytes + " bytes at offset " + offset);
            }
        } catch (IOException e) {
            throw new ModelFormatException("tensor " + name + ": cannot read external data " + file + ": "
                + e.getMessage());
        }
        return new ExternalData(name, file, offset, bytes);
    }

    void readInto(MemorySegment dst) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long done = 0;
            while (done < bytes) {
                int n = ch.read(dst.asSlice(done, Math.min(bytes - done, 1 << 30)).asByteBuffer(), offset + done);
                if (n < 0) {
                    throw new ModelFormatException("tensor " + tensor + ": external data file " + file
                        + " ended early");
                }
                done += n;
            }
        } catch (IOException e) {
            throw new ModelFormatException("tensor " + tensor + ": cannot read external data " + file + ": "
                + e.getMessage());
        }
    }
}
