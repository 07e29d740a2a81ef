package io.flinkrecurrent.savepoint;

import io.flinkrecurrent.annotation.PublicEvolving;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.core.memory.DataInputDeserializer;

import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * One key of a recurrent operator as a savepoint holds it (a Flink POJO, so it travels through a
 * {@code DataStream} without Kryo). The key itself is carried as its serialized bytes (in the savepoint's
 * key serializer) beside a readable form, so that any key type fits: {@link #key(TypeSerializer)} gives
 * it back typed, and {@link SavepointInspection#read(String, String, org.apache.flink.api.common.typeinfo.TypeInformation)}
 * returns the keys typed already.
 *
 * <p>Times are {@code Long.MIN_VALUE} ({@link io.flinkrecurrent.flink.KeyState#NONE}) when there are none.
 */
@PublicEvolving
public class InspectedKey {
    /** The key, readable: {@code String.valueOf(key)}, or for the SQL function its PARTITION BY values. */
    public String key;
    /** The key in the savepoint's key serializer. */
    public byte[] keyBytes;

    /** Whether the key has a live state entry (false: only waiting events, or only a shadow). */
    public boolean hasState;
    /** Events applied so far: the key's next output's seq. */
    public long seq;
    /** Events applied since the key's last reset. */
    public long sinceReset;
    public long lastEventTime = Long.MIN_VALUE;
    public long lastProcessingTime = Long.MIN_VALUE;
    /**
     * The model the state belongs to: its fingerprint; for a swappable operator the tag of the generation
     * that wrote it (generation 0, the job's own model, tags with the model's fingerprint).
     */
    public long fingerprint;
    /** The idle timer the key's state records, or {@code Long.MIN_VALUE}. */
    public long idleTimer = Long.MIN_VALUE;
    /** The model's flat state; null when dropped (all zeros: idle, or not stepped yet). */
    public float[] state;

    /** The idle-reset timers registered for the key in the timer service {@code recurrent-idle} (event and processing time). */
    public long[] idleTimers = new long[0];

    /** Whether a shadow model's state is kept for the key. */
    public boolean hasShadow;
    public long shadowSeq;
    /** The shadow generation's tag. */
    public long shadowFingerprint;
    public float[] shadowState;

    /**
     * With kept inputs ({@code keepInputs}): the key's ring of last inputs since its last reset as the operator
     * keeps it, {@code [count, next, x...]}; {@link #keptInputs(int)} gives them oldest first. Null when none are kept.
     */
    public float[] keptInputs;

    /** Events waiting in the event-time ordering buffer ({@code recurrent-pending-times}'s count). */
    public long pendingCount;
    /** Their distinct timestamps, in order. */
    public long[] pendingTimes = new long[0];
    /** Each waiting event's timestamp (the list state's namespace), in release order. */
    public long[] pendingEventTimes = new long[0];
    /** Each waiting event, as {@code toString()} renders it (read with the savepoint's own serializer). */
    public String[] pendingEvents = new String[0];

    /** Events waiting for a first model (an operator started without one). */
    public int awaitingCount;
    public String[] awaitingEvents = new String[0];

    public InspectedKey() {}

    /** The key, typed: deserialized from {@link #keyBytes} with the serializer the savepoint's keys were written with. */
    public <K> K key(TypeSerializer<K> keySerializer) {
        try {
            return keySerializer.deserialize(new DataInputDeserializer(keyBytes));
        } catch (IOException e) {
            throw new UncheckedIOException("key " + key + ": not readable with " + keySerializer, e);
        }
    }

    /** The kept inputs, oldest first, each of the model's input width; null when none are kept or the width does not fit. */
    public float[][] keptInputs(int width) {
        float[] ring = keptInputs;
        if (ring == null || width <= 0 || ring.length < 2 || (ring.length - 2) % width != 0) {
            return null;
        }
        int capacity = (ring.length - 2) / width;
        int count = (int) ring[0];
        int next = (int) ring[1];
        if (capacity == 0 || count < 0 || count > capacity) {
            return null;
        }
        float[][] out = new float[count][];
        int first = Math.floorMod(next - count, capacity);
        for (int k = 0; k < count; k++) {
            int slot = (first + k) % capacity;
            out[k] = java.util.Arrays.copyOfRange(ring, 2 + slot * width, 2 + (slot + 1) * width);
        }
        return out;
    }

    /** The L2 norm of {@link #state} (0 for a dropped state). */
    public double stateNorm() {
        return l2(state);
    }

    /** The largest absolute value of {@link #state}. */
    public double stateMaxAbs() {
        return maxAbs(state);
    }

    public static double l2(float[] v) {
        if (v == null) {
            return 0;
        }
        double s = 0;
        for (float f : v) {
            s += (double) f * f;
        }
        return Math.sqrt(s);
    }

    public static double maxAbs(float[] v) {
        double m = 0;
        if (v != null) {
            for (float f : v) {
                m = Math.max(m, Math.abs((double) f));
            }
        }
        return m;
    }

    @Override
    public String toString() {
        return "InspectedKey{" + key + " seq=" + seq + " sinceReset=" + sinceReset + " fingerprint=" + Long.toHexString(fingerprint)
                + (hasShadow ? " shadow" : "") + (pendingCount > 0 ? " pending=" + pendingCount : "")
                + (awaitingCount > 0 ? " awaiting=" + awaitingCount : "") + "}";
    }
}
