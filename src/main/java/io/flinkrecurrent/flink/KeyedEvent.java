package io.flinkrecurrent.flink;

import java.util.Arrays;
import java.util.Objects;

/**
 * One event for the recurrent operator: the entity's key, its input vector, and optionally a reset
 * flag, an event time and an id that the output carries back (a line number, a Kafka offset).
 * A Flink POJO: public fields and a no-argument constructor, serialized without Kryo.
 */
@io.flinkrecurrent.annotation.PublicEvolving
public class KeyedEvent {
    /** No event time on this event (the record's own timestamp, if any, is used). */
    public static final long NO_TIMESTAMP = Long.MIN_VALUE;
    /** No id. */
    public static final long NO_ID = -1L;

    /** The entity; null is rejected with reason {@code NULL_KEY}. */
    public String key;
    /** The input vector, exactly the model's input width of finite floats. */
    public float[] input;
    /** True: the key's state is zeroed before this event is applied. */
    public boolean reset;
    /** Event time in epoch milliseconds, or {@link #NO_TIMESTAMP}. */
    public long timestamp = NO_TIMESTAMP;
    /** A caller's identifier copied to the output, or {@link #NO_ID}. */
    public long id = NO_ID;

    public KeyedEvent() {}

    public KeyedEvent(String key, float[] input) {
        this.key = key;
        this.input = input;
    }

    public KeyedEvent(String key, float[] input, boolean reset, long timestamp) {
        this(key, input);
        this.reset = reset;
        this.timestamp = timestamp;
    }

    /** This event with an id. */
    public KeyedEvent withId(long id) {
        this.id = id;
        return this;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof KeyedEvent e && Objects.equals(key, e.key) && Arrays.equals(input, e.input)
                && reset == e.reset && timestamp == e.timestamp && id == e.id;
    }

    @Override
    public int hashCode() {
        return Objects.hash(key, Arrays.hashCode(input), reset, timestamp, id);
    }

    @Override
    public String toString() {
        return "KeyedEvent{key=" + key + ", input=" + Arrays.toString(input) + (reset ? ", reset" : "")
                + (timestamp != NO_TIMESTAMP ? ", t=" + timestamp : "") + (id != NO_ID ? ", id=" + id : "") + "}";
    }
}
