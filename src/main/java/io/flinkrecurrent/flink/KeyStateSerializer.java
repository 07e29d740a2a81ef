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
 * the serializer keeps (no boxing, no per-record garbage beyond the state object RocksDB hands out).
 * Stateful for that buffer, so {@link #duplicate()} gives each thread its own. Its {@link Snapshot}
 * carries a format version so that savepoints written by this version stay readable when the format
 * grows.
 */
@io.flinkrecurrent.annotation.Internal
public final class KeyStateSerializer extends TypeSerializer<KeyState> {
    /** Version of the binary format written by {@link #serialize}. */
    static final int FORMAT_VERSION = 1;

    /** The float block's bytes, grown as needed; one per serializer instance, so one per thread. */
    private transient byte[] buffer = new byte[0];

    public KeyStateSerializer() {}

    @Override public boolean isImmutableType() { return false; }

    @Override public TypeSerializer<KeyState> duplicate() { return new KeyStateSerializer(); }

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
        float[] v = s.state;
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
        int n = in.readInt();
        if (n >= 0) {
            float[] v = new float[n];
            byte[] b = buffer(4 * n);
            in.readFully(b, 0, 4 * n);
            for (int i = 0, j = 0; i < n; i++, j += 4) {
                v[i] = Float.intBitsToFloat((b[j] & 0xff) << 24 | (b[j + 1] & 0xff) << 16 | (b[j + 2] & 0xff) << 8 | b[j + 3] & 0xff);
            }
            s.state = v;
        }
        return s;
    }

    @Override
    public KeyState deserialize(KeyState reuse, DataInputView in) throws IOException {
        return deserialize(in);
    }

    @Override
    public void copy(DataInputView in, DataOutputView out) throws IOException {
        out.write(in, 6 * Long.BYTES);
        int n = in.readInt();
        out.writeInt(n);
        if (n > 0) {
            out.write(in, n * Float.BYTES);
        }
    }

    @Override public boolean equals(Object o) { return o instanceof KeyStateSerializer; }

    @Override public int hashCode() { return KeyStateSerializer.class.hashCode(); }

    @Override
    public TypeSerializerSnapshot<KeyState> snapshotConfiguration() {
        return new Snapshot();
    }

    /**
     * The serializer's snapshot, stored in every checkpoint and savepoint. Version 1 is the format
     * above; a later format bumps {@link #FORMAT_VERSION} and answers older snapshots with
     * "compatible after migration", reading them with the old layout.
     */
    public static final class Snapshot implements TypeSerializerSnapshot<KeyState> {
        private int formatVersion = FORMAT_VERSION;

        public Snapshot() {}

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

        @Override
        public TypeSerializer<KeyState> restoreSerializer() {
            return new KeyStateSerializer(); // only format 1 exists so far
        }

        @Override
        public TypeSerializerSchemaCompatibility<KeyState> resolveSchemaCompatibility(TypeSerializerSnapshot<KeyState> old) {
            if (!(old instanceof Snapshot s)) {
                return TypeSerializerSchemaCompatibility.incompatible();
            }
            return s.formatVersion == FORMAT_VERSION
                    ? TypeSerializerSchemaCompatibility.compatibleAsIs()
                    : TypeSerializerSchemaCompatibility.compatibleAfterMigration();
        }
    }
}
