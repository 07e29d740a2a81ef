package io.flinkrecurrent.flink;

import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSchemaCompatibility;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputView;
import org.apache.flink.core.memory.DataOutputView;

import java.io.IOException;

/**
 * The dedicated serializer of {@link KeyState}: six longs, then the float count (-1 for a dropped,
 * all-zero state) and the floats, without boxing. Its {@link Snapshot} carries a format version so
 * that savepoints written by this version stay readable when the format grows.
 */
public final class KeyStateSerializer extends TypeSerializer<KeyState> {
    /** Version of the binary format written by {@link #serialize}. */
    static final int FORMAT_VERSION = 1;

    public static final KeyStateSerializer INSTANCE = new KeyStateSerializer();

    @Override public boolean isImmutableType() { return false; }

    @Override public TypeSerializer<KeyState> duplicate() { return this; }

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
        for (float f : v) {
            out.writeInt(Float.floatToRawIntBits(f));
        }
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
            for (int i = 0; i < n; i++) {
                v[i] = Float.intBitsToFloat(in.readInt());
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
            return INSTANCE; // only format 1 exists so far
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
