package io.flinkrecurrent.model;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads and writes the safetensors format (what {@code safetensors.torch.save_file(model.state_dict())}
 * writes): an 8-byte little-endian header length N, N bytes of JSON header, then the raw tensor data.
 *
 * <p>Dtypes: F32 is read as it is; F16, BF16 and F64 are converted to float32 on load (F64 rounded to
 * nearest, as PyTorch's {@code .float()}); integer and boolean tensors are refused. Every check happens
 * before anything is allocated from the file's claims: a header length beyond the file or above
 * {@value #MAX_HEADER_BYTES} bytes, offsets outside the data buffer, a size that does not match the
 * shape, overlapping tensors.
 */
@io.flinkrecurrent.annotation.PublicEvolving
public final class SafeTensors {
    /** The same limit as the reference implementation (100 MB). */
    public static final long MAX_HEADER_BYTES = 100_000_000L;
    /** The largest file read: one memory map (2 GiB; a recurrent model for a stream is megabytes). */
    public static final long MAX_FILE_BYTES = Integer.MAX_VALUE;

    private final Path file;
    private final Map<String, String> metadata;
    private final Map<String, Tensor> tensors;

    private SafeTensors(Path file, Map<String, String> metadata, Map<String, Tensor> tensors) {
        this.file = file;
        this.metadata = Collections.unmodifiableMap(metadata);
        this.tensors = Collections.unmodifiableMap(tensors);
    }

    public Path file() { return file; }

    /** The {@code __metadata__} entries (string to string), empty when the file has none. */
    public Map<String, String> metadata() { return metadata; }

    /** Every tensor by name, in the file's data order. */
    public Map<String, Tensor> tensors() { return tensors; }

    /** The tensor, or null. */
    public Tensor get(String name) { return tensors.get(name); }

    /**
     * Reads a whole safetensors file.
     *
     * @throws ModelFileException naming the file (and the tensor) for anything unreadable
     */
    public static SafeTensors read(Path file) {
        // checked before opening: a FIFO would block the open or the read for ever
        if (Files.exists(file) && !Files.isRegularFile(file)) {
            throw new ModelFileException(file, null, "not a regular file (a folder, a FIFO or a device): refused without reading");
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size > MAX_FILE_BYTES) {
                throw new ModelFileException(file, null, "the file holds " + size + " bytes; files over "
                        + MAX_FILE_BYTES + " bytes (2 GiB) are not supported");
            }
            return read(file, ch.map(FileChannel.MapMode.READ_ONLY, 0, size));
        } catch (IOException e) {
            throw new ModelFileException(file, null, "cannot read: " + e, e);
        }
    }

    /**
     * Reads a safetensors file held in memory (a class-path resource, a download).
     *
     * @param name names the source in error messages
     */
    public static SafeTensors read(Path name, byte[] content) {
        return read(name, ByteBuffer.wrap(content));
    }

    private static SafeTensors read(Path file, ByteBuffer whole) {
        ByteBuffer buf = whole.order(ByteOrder.LITTLE_ENDIAN);
        long size = buf.remaining();
        if (size < 8) {
            throw new ModelFileException(file, null, "not a safetensors file: " + size
                    + " bytes, shorter than the 8-byte header length");
        }
        long headerLen = buf.getLong(0);
        if (headerLen < 2 || headerLen > MAX_HEADER_BYTES) {
            throw new ModelFileException(file, null, "header length " + Long.toUnsignedString(headerLen)
                    + " is not plausible (must be 2 to " + MAX_HEADER_BYTES + " bytes): not a safetensors file, or corrupt");
        }
        if (headerLen > size - 8) {
            throw new ModelFileException(file, null, "truncated: the header claims " + headerLen
                    + " bytes but the file holds only " + (size - 8) + " after the length field");
        }
        byte[] hdr = new byte[(int) headerLen];
        buf.get(8, hdr);
        Object parsed;
        try {
            parsed = HeaderJson.parse(new String(hdr, StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            throw new ModelFileException(file, null, "header is not valid JSON: " + e.getMessage(), e);
        }
        if (!(parsed instanceof Map<?, ?> root)) {
            throw new ModelFileException(file, null, "header is not a JSON object");
        }
        int dataStart = 8 + (int) headerLen;
        long dataLen = size - dataStart;
        Map<String, String> meta = new LinkedHashMap<>();
        List<Entry> entries = new ArrayList<>();
        for (Map.Entry<?, ?> e : root.entrySet()) {
            String name = (String) e.getKey();
            if (name.equals("__metadata__")) {
                readMetadata(file, e.getValue(), meta);
            } else {
                entries.add(parseEntry(file, name, e.getValue(), dataLen));
            }
        }
        entries.sort((a, b) -> Long.compare(a.begin, b.begin));
        // as the reference implementation: the tensors tile the data buffer, no overlap, no gap, nothing after
        long pos = 0;
        for (Entry en : entries) {
            if (en.begin < pos) {
                throw new ModelFileException(file, en.name, "data_offsets overlap the previous tensor's");
            }
            if (en.begin > pos) {
                throw new ModelFileException(file, en.name, "data_offsets begin at byte " + en.begin
                        + " of the data buffer, but the previous tensor ends at byte " + pos + ": a gap of "
                        + (en.begin - pos) + " bytes");
            }
            pos = en.end;
        }
        if (pos != dataLen) {
            throw new ModelFileException(file, null, (dataLen - pos) + " bytes after the last tensor's data (which ends at byte "
                    + pos + " of a " + dataLen + "-byte data buffer): trailing bytes");
        }
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (Entry en : entries) {
            ByteBuffer raw = buf.slice(dataStart + (int) en.begin, (int) (en.end - en.begin)).order(ByteOrder.LITTLE_ENDIAN);
            tensors.put(en.name, new Tensor(en.name, en.dtype, en.shape, decode(raw, en.dtype, en.count)));
        }
        return new SafeTensors(file, meta, tensors);
    }

    private record Entry(String name, String dtype, int[] shape, int count, long begin, long end) {}

    private static void readMetadata(Path file, Object node, Map<String, String> meta) {
        if (!(node instanceof Map<?, ?> m)) {
            throw new ModelFileException(file, null, "__metadata__ is not a JSON object");
        }
        for (Map.Entry<?, ?> e : m.entrySet()) {
            if (!(e.getValue() instanceof String v)) {
                throw new ModelFileException(file, null, "__metadata__ value of '" + e.getKey()
                        + "' is not a string (safetensors metadata maps strings to strings)");
            }
            meta.put((String) e.getKey(), v);
        }
    }

    /** A JSON integer, or null for anything else (a fraction, a string, a number beyond a long). */
    private static Long integer(Object o) {
        return o instanceof Long l ? l : null;
    }

    private static Entry parseEntry(Path file, String name, Object node, long dataLen) {
        if (!(node instanceof Map<?, ?> info)) {
            throw new ModelFileException(file, name, "header entry is not an object");
        }
        Object dtypeNode = info.get("dtype");
        Object shapeValue = info.get("shape");
        Object offValue = info.get("data_offsets");
        if (!(dtypeNode instanceof String dtype)) {
            throw new ModelFileException(file, name, "missing or non-string 'dtype'");
        }
        if (!(shapeValue instanceof List<?> shapeNode)) {
            throw new ModelFileException(file, name, "missing or non-array 'shape'");
        }
        if (!(offValue instanceof List<?> offNode) || offNode.size() != 2
                || integer(offNode.get(0)) == null || integer(offNode.get(1)) == null) {
            throw new ModelFileException(file, name, "'data_offsets' must be two integers [begin, end]");
        }
        int width = switch (dtype) {
            case "F32" -> 4;
            case "F16", "BF16" -> 2;
            case "F64" -> 8;
            default -> throw new ModelFileException(file, name, "dtype " + dtype
                    + " is not supported (F32, F16, BF16 and F64 are; convert the state_dict with .float())");
        };
        int[] shape = new int[shapeNode.size()];
        long count = 1;
        for (int i = 0; i < shape.length; i++) {
            Long d = integer(shapeNode.get(i));
            if (d == null || d < 0 || d > Integer.MAX_VALUE) {
                throw new ModelFileException(file, name, "shape " + shapeNode + " has an invalid dimension");
            }
            shape[i] = (int) (long) d;
            count *= shape[i];
            if (count > Integer.MAX_VALUE / 8) {
                throw new ModelFileException(file, name, "shape " + shapeNode + " is too large");
            }
        }
        long begin = integer(offNode.get(0));
        long end = integer(offNode.get(1));
        if (begin < 0 || end < begin) {
            throw new ModelFileException(file, name, "data_offsets [" + begin + ", " + end + "] are not an interval");
        }
        if (end > dataLen) {
            throw new ModelFileException(file, name, "truncated file: data_offsets end at byte " + end
                    + " of the data buffer, which holds only " + dataLen + " bytes");
        }
        if (end - begin != count * width) {
            throw new ModelFileException(file, name, "data_offsets span " + (end - begin) + " bytes but "
                    + dtype + " shape " + shapeNode + " needs " + count * width);
        }
        return new Entry(name, dtype, shape, (int) count, begin, end);
    }

    private static float[] decode(ByteBuffer raw, String dtype, int count) {
        float[] out = new float[count];
        switch (dtype) {
            case "F32" -> raw.asFloatBuffer().get(out);
            case "F64" -> {
                for (int i = 0; i < count; i++) {
                    out[i] = (float) raw.getDouble();
                }
            }
            case "F16" -> {
                for (int i = 0; i < count; i++) {
                    out[i] = halfToFloat(raw.getShort());
                }
            }
            case "BF16" -> {
                for (int i = 0; i < count; i++) {
                    out[i] = Float.intBitsToFloat((raw.getShort() & 0xffff) << 16);
                }
            }
            default -> throw new IllegalStateException(dtype);
        }
        return out;
    }

    /** IEEE 754 binary16 to float32, exact (Float.float16ToFloat is Java 20+); the ONNX reader's too. */
    public static float halfToFloat(short bits) {
        int h = bits & 0xffff;
        int sign = (h & 0x8000) << 16;
        int exp = (h >>> 10) & 0x1f;
        int mant = h & 0x3ff;
        if (exp == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13)); // inf or NaN
        }
        if (exp == 0) {
            float v = mant * 0x1p-24f; // zero or subnormal: exact in float
            return sign != 0 ? -v : v;
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }

    /**
     * Writes float32 tensors (in the given order, contiguous) with string metadata, padded as the
     * reference implementation pads (header length a multiple of 8).
     */
    public static void write(Path file, Map<String, String> metadata, List<Tensor> tensors) throws IOException {
        StringBuilder json = new StringBuilder("{");
        if (metadata != null && !metadata.isEmpty()) {
            json.append("\"__metadata__\":{");
            String sep = "";
            for (Map.Entry<String, String> m : metadata.entrySet()) {
                json.append(sep).append(HeaderJson.quote(m.getKey())).append(':').append(HeaderJson.quote(m.getValue()));
                sep = ",";
            }
            json.append('}');
        }
        long off = 0;
        for (Tensor t : tensors) {
            if (json.length() > 1) {
                json.append(',');
            }
            json.append(HeaderJson.quote(t.name())).append(":{\"dtype\":\"F32\",\"shape\":[");
            for (int i = 0; i < t.shape().length; i++) {
                json.append(i > 0 ? "," : "").append(t.shape()[i]);
            }
            long len = 4L * t.data().length;
            json.append("],\"data_offsets\":[").append(off).append(',').append(off + len).append("]}");
            off += len;
        }
        byte[] header = json.append('}').toString().getBytes(StandardCharsets.UTF_8);
        int padded = (header.length + 7) / 8 * 8;
        ByteBuffer buf = ByteBuffer.allocate(8 + padded + (int) off).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(padded).put(header);
        for (int i = header.length; i < padded; i++) {
            buf.put((byte) ' ');
        }
        for (Tensor t : tensors) {
            for (float v : t.data()) {
                buf.putFloat(v);
            }
        }
        try (OutputStream out = Files.newOutputStream(file)) {
            out.write(buf.array());
        }
    }
}
