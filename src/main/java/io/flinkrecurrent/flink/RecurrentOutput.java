package io.flinkrecurrent.flink;

import java.util.Arrays;
import java.util.Objects;

/**
 * The operator's result for one event: the key, the key's sequence number (0 for its first event,
 * +1 per event, not restarted by resets), the event time, the model's output, and the whole state
 * after the event when the operator was asked to emit it. A Flink POJO.
 */
@io.flinkrecurrent.annotation.PublicEvolving
public class RecurrentOutput {
    public String key;
    /** 0-based position of this event among its key's applied events. */
    public long seq;
    /** Event time, or {@link KeyedEvent#NO_TIMESTAMP}. */
    public long timestamp = KeyedEvent.NO_TIMESTAMP;
    /** The event's id, or {@link KeyedEvent#NO_ID}. */
    public long id = KeyedEvent.NO_ID;
    public float[] output;
    /** The key's flat state after this event (layout of the model), or null unless requested. */
    public float[] state;
    /** The version of the model that made this output ({@link StepContext#modelVersion()}). */
    public String version;

    public RecurrentOutput() {}

    public RecurrentOutput(String key, long seq, long timestamp, long id, float[] output, float[] state, String version) {
        this(key, seq, timestamp, id, output, state);
        this.version = version;
    }

    public RecurrentOutput(String key, long seq, long timestamp, long id, float[] output, float[] state) {
        this.key = key;
        this.seq = seq;
        this.timestamp = timestamp;
        this.id = id;
        this.output = output;
        this.state = state;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RecurrentOutput r && Objects.equals(key, r.key) && seq == r.seq && timestamp == r.timestamp
                && id == r.id && Arrays.equals(output, r.output) && Arrays.equals(state, r.state)
                && Objects.equals(version, r.version);
    }

    @Override
    public int hashCode() {
        return Objects.hash(key, seq, timestamp, id, Arrays.hashCode(output));
    }

    @Override
    public String toString() {
        return "RecurrentOutput{key=" + key + ", seq=" + seq + (timestamp != KeyedEvent.NO_TIMESTAMP ? ", t=" + timestamp : "")
                + (id != KeyedEvent.NO_ID ? ", id=" + id : "") + ", output=" + Arrays.toString(output)
                + (version != null ? ", version=" + version : "") + "}";
    }
}
