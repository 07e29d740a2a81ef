package io.flinkrecurrent.io;

import java.io.BufferedInputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * The lines of a stream of bytes, each decoded as UTF-8 on its own: a line that is not valid UTF-8
 * is reported by itself ({@link #malformed()}) and the next line reads as usual, so one bad byte loses
 * one line, not the file. Lines end at {@code \n}; a {@code \r} before it is dropped.
 */
public final class Utf8Lines implements Closeable {
    private final InputStream in;
    private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
    private byte[] line = new byte[256];
    private boolean malformed;

    public Utf8Lines(InputStream in) {
        this.in = in instanceof BufferedInputStream ? in : new BufferedInputStream(in, 1 << 16);
    }

    /** The next line, without its end; null at the end of the stream; "" for a line that is not UTF-8 (see {@link #malformed()}). */
    public String next() throws IOException {
        int n = 0;
        int b;
        while ((b = in.read()) != -1 && b != '\n') {
            if (n == line.length) {
                line = java.util.Arrays.copyOf(line, 2 * n);
            }
            line[n++] = (byte) b;
        }
        if (b == -1 && n == 0) {
            return null;
        }
        if (n > 0 && line[n - 1] == '\r') {
            n--;
        }
        try {
            malformed = false;
            return utf8.reset().decode(ByteBuffer.wrap(line, 0, n)).toString();
        } catch (CharacterCodingException e) {
            malformed = true;
            return "";
        }
    }

    /** Whether the line {@link #next()} returned last was not valid UTF-8. */
    public boolean malformed() {
        return malformed;
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
