package io.flinkrecurrent.flink;

import org.apache.flink.api.common.typeutils.TypeSerializerSchemaCompatibility;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The per-key state's serializer and its versioned snapshot. */
class KeyStateSerializerTest {
    private final KeyStateSerializer ser = new KeyStateSerializer();

    private static KeyState sample(float[] v) {
        KeyState s = new KeyState();
        s.state = v;
        s.seq = 41;
        s.sinceReset = 7;
        s.lastEventTime = 1_700_000_000_000L;
        s.lastProcessingTime = KeyState.NONE;
        s.fingerprint = 0x1234_5678_9abc_def0L;
        s.idleTimer = 99;
        return s;
    }

    private KeyState roundTrip(KeyState s) throws IOException {
        DataOutputSerializer out = new DataOutputSerializer(64);
        ser.serialize(s, out);
        DataInputDeserializer in = new DataInputDeserializer(out.getCopyOfBuffer());
        KeyState back = ser.deserialize(in);
        assertEquals(0, in.available(), "every byte read");
        // copy(in, out) moves exactly one record's bytes
        DataOutputSerializer copied = new DataOutputSerializer(256); // write(DataInputView, n) does not grow the buffer
        ser.copy(new DataInputDeserializer(out.getCopyOfBuffer()), copied);
        assertArrayEquals(out.getCopyOfBuffer(), copied.getCopyOfBuffer());
        return back;
    }

    @Test
    void roundTripsEveryFieldBitForBit() throws IOException {
        float[] v = {0f, -0f, 1.5f, Float.MIN_VALUE, -3.25e-7f, 65504f};
        KeyState back = roundTrip(sample(v));
        assertArrayEquals(v, back.state);
        assertEquals(Float.floatToRawIntBits(-0f), Float.floatToRawIntBits(back.state[1]));
        assertEquals(41, back.seq);
        assertEquals(7, back.sinceReset);
        assertEquals(1_700_000_000_000L, back.lastEventTime);
        assertEquals(KeyState.NONE, back.lastProcessingTime);
        assertEquals(0x1234_5678_9abc_def0L, back.fingerprint);
        assertEquals(99, back.idleTimer);
    }

    @Test
    void duplicatesOwnTheirBufferAndSurviveJavaSerialization() throws Exception {
        assertTrue(ser.duplicate() != ser, "stateful: each thread gets its own buffer");
        KeyStateSerializer shipped = org.apache.flink.util.InstantiationUtil.clone(ser); // as in a job graph
        DataOutputSerializer out = new DataOutputSerializer(64);
        shipped.serialize(sample(new float[] {1.5f, -2f}), out);
        assertArrayEquals(new float[] {1.5f, -2f}, ser.deserialize(new DataInputDeserializer(out.getCopyOfBuffer())).state);
    }

    @Test
    void aDroppedStateStaysDropped() throws IOException {
        assertNull(roundTrip(sample(null)).state);
        assertEquals(0, roundTrip(sample(new float[0])).state.length);
    }

    @Test
    void copiesAreDeep() {
        KeyState s = sample(new float[] {1, 2});
        KeyState c = ser.copy(s);
        c.state[0] = 9;
        assertEquals(1f, s.state[0]);
    }

    @Test
    void snapshotIsVersionedAndCompatibleWithItself() throws IOException {
        TypeSerializerSnapshot<KeyState> snap = ser.snapshotConfiguration();
        DataOutputSerializer out = new DataOutputSerializer(64);
        TypeSerializerSnapshot.writeVersionedSnapshot(out, snap);
        TypeSerializerSnapshot<KeyState> read = TypeSerializerSnapshot.readVersionedSnapshot(
                new DataInputDeserializer(out.getCopyOfBuffer()), getClass().getClassLoader());
        assertTrue(read instanceof KeyStateSerializer.Snapshot);
        TypeSerializerSchemaCompatibility<KeyState> compat = ser.snapshotConfiguration().resolveSchemaCompatibility(read);
        assertTrue(compat.isCompatibleAsIs());
        assertEquals(ser, read.restoreSerializer());
    }

    @Test
    void aSnapshotFromTheFutureIsRefusedClearly() throws IOException {
        DataOutputSerializer out = new DataOutputSerializer(8);
        out.writeInt(7);
        KeyStateSerializer.Snapshot s = new KeyStateSerializer.Snapshot();
        IOException e = assertThrows(IOException.class,
                () -> s.readSnapshot(1, new DataInputDeserializer(out.getCopyOfBuffer()), getClass().getClassLoader()));
        assertTrue(e.getMessage().contains("key state format 7"), e.getMessage());
        assertThrows(IOException.class,
                () -> s.readSnapshot(2, new DataInputDeserializer(out.getCopyOfBuffer()), getClass().getClassLoader()));
    }

    /** Format 2 carries the kept inputs inside the key's state value. */
    @Test
    void theKeptInputsTravelWithTheState() throws IOException {
        KeyState s = sample(new float[] {1, 2});
        s.recentInputs = new float[] {2, 0, 0.5f, -1.5f};
        KeyState back = roundTrip(s);
        assertArrayEquals(new float[] {2, 0, 0.5f, -1.5f}, back.recentInputs);
        assertNull(roundTrip(sample(new float[] {1})).recentInputs, "none kept");
        DataOutputSerializer out = new DataOutputSerializer(64);
        ser.serialize(s, out);
        DataOutputSerializer copied = new DataOutputSerializer(256); // write(DataInputView, n) does not grow the buffer
        ser.copy(new DataInputDeserializer(out.getCopyOfBuffer()), copied);
        assertArrayEquals(out.getCopyOfBuffer(), copied.getCopyOfBuffer(), "copy moves both blocks");
    }

    /**
     * A savepoint of format 1 (before the kept inputs moved into the key's state): its snapshot says
     * so, Flink migrates it (compatible after migration) with the snapshot's format-1 serializer, which
     * reads the old bytes exactly.
     */
    @Test
    void aFormatOneStateIsReadAndMigrated() throws IOException {
        // the bytes a format-1 serializer wrote: six longs, the count, the floats; nothing after them
        DataOutputSerializer v1 = new DataOutputSerializer(64);
        v1.writeLong(7);            // seq
        v1.writeLong(3);            // sinceReset
        v1.writeLong(1000);         // lastEventTime
        v1.writeLong(KeyState.NONE); // lastProcessingTime
        v1.writeLong(0xABCL);       // fingerprint
        v1.writeLong(KeyState.NONE); // idleTimer
        v1.writeInt(2);
        v1.writeFloat(0.25f);
        v1.writeFloat(-4f);
        DataOutputSerializer snap = new DataOutputSerializer(8);
        snap.writeInt(1);
        KeyStateSerializer.Snapshot old = new KeyStateSerializer.Snapshot();
        old.readSnapshot(1, new DataInputDeserializer(snap.getCopyOfBuffer()), getClass().getClassLoader());
        assertEquals(1, old.formatVersion());

        TypeSerializerSchemaCompatibility<KeyState> compat = ser.snapshotConfiguration().resolveSchemaCompatibility(old);
        assertTrue(compat.isCompatibleAfterMigration(), "format 1 -> 2 is migrated");
        DataInputDeserializer in = new DataInputDeserializer(v1.getCopyOfBuffer());
        KeyState s = old.restoreSerializer().deserialize(in);
        assertEquals(0, in.available(), "every byte of the old format read, none beyond it");
        assertEquals(7, s.seq);
        assertEquals(3, s.sinceReset);
        assertEquals(1000, s.lastEventTime);
        assertEquals(0xABCL, s.fingerprint);
        assertArrayEquals(new float[] {0.25f, -4f}, s.state);
        assertNull(s.recentInputs);
        assertEquals(s.seq, roundTrip(s).seq, "and written again in the current format");
    }
}
