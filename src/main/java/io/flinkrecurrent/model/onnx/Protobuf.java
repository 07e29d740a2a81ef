package io.flinkrecurrent.model.onnx;

import io.flinkrecurrent.annotation.Internal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * A reader of the protocol buffers wire format, as much as an ONNX file needs: varints, 32- and 64-bit
 * fixed values, length-delimited fields (strings, bytes, messages, packed repeated numbers), and
 * skipping what is not read. Every read is bounds-checked: a truncated or corrupt file is an
 * {@link IllegalArgumentException} saying at which byte, never a read past the message.
 */
@Internal
final class Protobuf {
    static final int VARINT = 0;
    static final int FIXED64 = 1;
    static final int LENGTH_DELIMITED = 2;
    static final int FIXED32 = 5;

    private final byte[] buf;
    private int pos;
    private final int end;
    private int tag;

    Protobuf(byte[] buf, int from, int to) {
        this.buf = buf;
        this.pos = from;
        this.end = to;
    }

    Protobuf(byte[] buf) {
        this(buf, 0, buf.length);
    }

    /** The next field's number, or 0 at the end of the message. */
    int next() {
        if (pos >= end) {
            return 0;
        }
        long t = varint();
        if (t >>> 3 == 0 || t >>> 3 > Integer.MAX_VALUE) {
            throw corrupt("field number " + (t >>> 3));
        }
        tag = (int) t;
        return tag >>> 3;
    }

    int wireType() {
        return tag & 7;
    }

    long varint() {
        long v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (pos >= end) {
                throw corrupt("a varint runs past the end");
            }
            byte b = buf[pos++];
            v |= (long) (b & 0x7f) << shift;
            if (b >= 0) {
                return v;
            }
        }
        throw corrupt("a varint longer than 10 bytes");
    }

    int int32() {
        return (int) varint();
    }

    float fixed32Float() {
        need(4);
        float f = ByteBuffer.wrap(buf, pos, 4).order(ByteOrder.LITTLE_ENDIAN).getFloat();
        pos += 4;
        return f;
    }

    double fixed64Double() {
        need(8);
        double d = ByteBuffer.wrap(buf, pos, 8).order(ByteOrder.LITTLE_ENDIAN).getDouble();
        pos += 8;
        return d;
    }

    /** A length-delimited field's content as a reader of its own (a message, or packed numbers). */
    Protobuf message() {
        int n = length();
        Protobuf m = new Protobuf(buf, pos, pos + n);
        pos += n;
        return m;
    }

    String string() {
        int n = length();
        String s = new String(buf, pos, n, StandardCharsets.UTF_8);
        pos += n;
        return s;
    }

    /** A length-delimited field's bytes, without copying: {@code [offset, offset + length)} of {@link #buffer()}. */
    int[] span() {
        int n = length();
        int[] s = {pos, n};
        pos += n;
        return s;
    }

    byte[] buffer() {
        return buf;
    }

    boolean atEnd() {
        return pos >= end;
    }

    void skip() {
        switch (wireType()) {
            case VARINT -> varint();
            case FIXED64 -> {
                need(8);
                pos += 8;
            }
            case LENGTH_DELIMITED -> {
                int n = length(); // first: "pos += length()" would add to pos as it was before the length's varint
                pos += n;
            }
            case FIXED32 -> {
                need(4);
                pos += 4;
            }
            default -> throw corrupt("wire type " + wireType());
        }
    }

    private int length() {
        long n = varint();
        if (n < 0 || n > end - pos) {
            throw corrupt("a field of " + n + " bytes where " + (end - pos) + " are left");
        }
        return (int) n;
    }

    private void need(int n) {
        if (end - pos < n) {
            throw corrupt("a value of " + n + " bytes where " + (end - pos) + " are left");
        }
    }

    private IllegalArgumentException corrupt(String what) {
        return new IllegalArgumentException("not a valid protocol buffer at byte " + pos + ": " + what);
    }
}
