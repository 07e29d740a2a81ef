package io.flinkrecurrent.flink;

import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSchemaCompatibility;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

import java.io.IOException;

/**
 * The dedicated serializer of {@link KeyState}: six longs, then the float count (-1 for a dropped,
 * all-zero state) and the floats as big-endian IEEE bits, moved in one block through a byte buffer
 * the serializer keeps (no boxing, no per-record garbage beyond the state object RocksDB hands out);
 * from format 2 on, the key's kept inputs ({@link KeyState#recentInputs}) after them in the same form.
 * Stateful for that buffer, so {@link #duplicate()} gives each thread its own. Its {@link Snapshot}
 * carries the format version, so that savepoints written by an older format stay readable: a format-1
 * state (no kept inputs) is read by a format-1 serializer and migrated by Flink when it is restored.
 */
@io.flinkrecurrent.annotation.Internal
public final class KeyStateSerializer extends TypeSerializer<KeyState> {
    /**
     * Fixed at the value Java computed for release 0.1's class: the SQL function's state type (a RAW
     * type) carries the serializer Java-serialized in every savepoint, so the class must stay readable.
     */
    private static final long serialVersionUID = -7130598548191849751L;
    /** Version of the binary format written by {@link #serialize}: 1 without the kept inputs, 2 with them. */
    static final int FORMAT_VERSION = 2;

    /** The format this instance reads and writes: {@link #FORMAT_VERSION}, or an older one to read a savepoint. */
    private final int format;
    /** The float block's bytes, grown as needed; one per serializer instance, so one per thread. */
    private transient byte[] buffer = new byte[0];

    public KeyStateSerializer() {
        this(FORMAT_VERSION);
    }

    /** A serializer of an older format, for the states of a savepoint written with it. */
    KeyStateSerializer(int format) {
        if (format < 1 || format > FORMAT_VERSION) {
            throw new IllegalArgumentException("key state format " + format + " (formats 1.." + FORMAT_VERSION + ")");
        }
        this.format = format;
    }

    /**
     * A serializer Java-serialized by release 0.1 has no {@link #format} (read as 0): it wrote format 1.
     * Only the SQL function's state type (a RAW type, restored with the serializer it was written with)
     * keeps one so; that state stays in format 1 ({@link #ofFormat}), which it needs (no kept inputs).
     */
    private Object readResolve() {
        return format == 0 ? new KeyStateSerializer(1) : this;
    }

    /**
     * The serializer of one format: 1 (no kept inputs) for the SQL function's state, whose RAW type
     * carries the serializer itself in every savepoint; {@link #FORMAT_VERSION} is the operator's.
     */
    public static KeyStateSerializer ofFormat(int format) {
        return new KeyStateSerializer(format);
    }

    @Override public boolean isImmutableType() { return false; }

    @Override public TypeSerializer<KeyState> duplicate() { return new KeyStateSerializer(format); }

    private byte[] buffer(int bytes) {
        if (buffer == null || buffer.length < bytes) {
            buffer = new byte[bytes];
        }
        return buffer;
    }

    @Override public KeyState createInstance() { return new KeyState(); }

    @Override public KeyState copy(KeyState from) { return from.copy(); }

    @Override public KeyState copy(KeyState from, KeyState reuse) { return from.copy(); }

    @Override public int getLength() { return -1; }

    @Override
    public void serialize(KeyState s, DataOutputView out) throws IOException {
        out.writeLong(s.seq);
        out.writeLong(s.sinceReset);
        out.writeLong(s.lastEventTime);
        out.writeLong(s.lastProcessingTime);
        out.writeLong(s.fingerprint);
        out.writeLong(s.idleTimer);
        writeFloats(s.state, out);
        if (format >= 2) {
            writeFloats(s.recentInputs, out);
        }
    }

    private void writeFloats(float[] v, DataOutputView out) throws IOException {
        if (v == null) {
            out.writeInt(-1);
            return;
        }
        out.writeInt(v.length);
        byte[] b = buffer(4 * v.length);
        for (int i = 0, j = 0; i < v.length; i++, j += 4) {
            int bits = Float.floatToRawIntBits(v[i]);
            b[j] = (byte) (bits >>> 24);
            b[j + 1] = (byte) (bits >>> 16);
            b[j + 2] = (byte) (bits >>> 8);
            b[j + 3] = (byte) bits;
        }
        out.write(b, 0, 4 * v.length);
    }

    @Override
    public KeyState deserialize(DataInputView in) throws IOException {
        KeyState s = new KeyState();
        s.seq = in.readLong();
        s.sinceReset = in.readLong();
        s.lastEventTime = in.readLong();
        s.lastProcessingTime = in.readLong();
        s.fingerprint = in.readLong();
        s.idleTimer = in.readLong();
        s.state = readFloats(in);
        if (format >= 2) {
            s.recentInputs = readFloats(in);
        }
        return s;
    }

    private float[] readFloats(DataInputView in) throws IOException {
        int n = in.readInt();
        if (n < 0) {
            return null;
        }
        float[] v = new float[n];
        byte[] b = buffer(4 * n);
        in.readFully(b, 0, 4 * n);
        for (int i = 0, j = 0; i < n; i++, j += 4) {
            v[i] = Float.intBitsToFloat((b[j] & 0xff) << 24 | (b[j + 1] & 0xff) << 16 | (b[j + 2] & 0xff) << 8 | b[j + 3] & 0xff);
        }
        return v;
    }

    @Override
    public KeyState deserialize(KeyState reuse, DataInputView in) throws IOException {
        return deserialize(in);
    }

    @Override
    public void copy(DataInputView in, DataOutputView out) throws IOException {
        out.write(in, 6 * Long.BYTES);
        copyFloats(in, out);
        if (format >= 2) {
            copyFloats(in, out);
        }
    }

    private static void copyFloats(DataInputView in, DataOutputView out) throws IOException {
        int n = in.readInt();
        out.writeInt(n);
        if (n > 0) {
            out.write(in, n * Float.BYTES);
        }
    }

    @Override public boolean equals(Object o) { return o instanceof KeyStateSerializer k && k.format == format; }

    @Override public int hashCode() { return 31 * KeyStateSerializer.class.hashCode() + format; }

    @Override
    public TypeSerializerSnapshot<KeyState> snapshotConfiguration() {
        return new Snapshot(format);
    }

    /**
     * The serializer's snapshot, stored in every checkpoint and savepoint (its class name with it: it
     * never changes). It records the format; a state of an older format is "compatible after
     * migration": Flink reads it with {@link #restoreSerializer()} (that format) and writes it again
     * with the current one.
     */
    public static final class Snapshot implements TypeSerializerSnapshot<KeyState> {
        private int formatVersion = FORMAT_VERSION;

        public Snapshot() {}

        Snapshot(int formatVersion) {
            this.formatVersion = formatVersion;
        }

        @Override public int getCurrentVersion() { return 1; }

        @Override
        public void writeSnapshot(DataOutputView out) throws IOException {
            out.writeInt(formatVersion);
        }

        @Override
        public void readSnapshot(int readVersion, DataInputView in, ClassLoader cl) throws IOException {
            if (readVersion != 1) {
                throw new IOException("KeyStateSerializer snapshot version " + readVersion
                        + " is newer than this flink-recurrent understands (1)");
            }
            formatVersion = in.readInt();
            if (formatVersion < 1 || formatVersion > FORMAT_VERSION) {
                throw new IOException("key state format " + formatVersion + " is not readable by this flink-recurrent"
                        + " (formats 1.." + FORMAT_VERSION + ")");
            }
        }

        /** The format the snapshotted states were written in. */
        public int formatVersion() {
            return formatVersion;
        }

        @Override
        public TypeSerializer<KeyState> restoreSerializer() {
            return new KeyStateSerializer(formatVersion);
        }

        @Override
        public TypeSerializerSchemaCompatibility<KeyState> resolveSchemaCompatibility(TypeSerializerSnapshot<KeyState> old) {
            if (!(old instanceof Snapshot s)) {
                return TypeSerializerSchemaCompatibility.incompatible();
            }
            return s.formatVersion == formatVersion
                    ? TypeSerializerSchemaCompatibility.compatibleAsIs()
                    : TypeSerializerSchemaCompatibility.compatibleAfterMigration();
        }
    }
}
