package io.flinkrecurrent.cell;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * A 64-bit model fingerprint: the first 8 bytes of a SHA-256 over a description and the weights' bits.
 * Stable across JVMs and JDK versions (it hashes values, never {@code hashCode}s), so that a key's state
 * restored from a savepoint is continued only by the model that wrote it: use it in a
 * {@link RecurrentModel#fingerprint()} of your own.
 */
@io.flinkrecurrent.annotation.PublicEvolving
public final class Fingerprint {
    private final MessageDigest sha;

    public Fingerprint() {
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }

    /** The fingerprint of a description alone. */
    public static long of(String description) {
        return new Fingerprint().add(description).value();
    }

    public Fingerprint add(String s) {
        sha.update(s.getBytes(StandardCharsets.UTF_8));
        sha.update((byte) 0);
        return this;
    }

    /** Adds a number (another model's fingerprint, a size, a setting). */
    public Fingerprint add(long v) {
        byte[] b = new byte[9];
        b[0] = 2;
        for (int i = 0; i < 8; i++) {
            b[1 + i] = (byte) (v >>> (56 - 8 * i));
        }
        sha.update(b);
        return this;
    }

    /** Adds an array's length and float bits (null adds a marker). */
    public Fingerprint add(float[] a) {
        if (a == null) {
            sha.update((byte) 1);
            return this;
        }
        byte[] b = new byte[4 * a.length + 4];
        putInt(b, 0, a.length);
        for (int i = 0; i < a.length; i++) {
            putInt(b, 4 + 4 * i, Float.floatToIntBits(a[i]));
        }
        sha.update(b);
        return this;
    }

    private static void putInt(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 24);
        b[off + 1] = (byte) (v >>> 16);
        b[off + 2] = (byte) (v >>> 8);
        b[off + 3] = (byte) v;
    }

    /** The fingerprint of everything added. */
    public long value() {
        byte[] d = sha.digest();
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (d[i] & 0xff);
        }
        return v;
    }
}
