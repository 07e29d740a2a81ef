package io.flinkrecurrent.flink;

/**
 * An event the operator did not apply, with the reason: it goes to the side output
 * {@link Recurrent#REJECTED} instead of failing the job or vanishing. A Flink POJO.
 */
@io.flinkrecurrent.annotation.PublicEvolving
public class RejectedEvent {
    /** Why an event was not applied. */
    public enum Reason {
        /** The key was null. */
        NULL_KEY,
        /** The input vector was missing. */
        MISSING_INPUT,
        /** The input vector's width is not the model's input size. */
        INPUT_WIDTH,
        /** The input holds NaN or an infinity. */
        NON_FINITE,
        /** Ordered by event time, but the event has no timestamp. */
        NO_TIMESTAMP,
        /** Ordered by event time, and a later event of the key was applied already. */
        LATE,
        /** The event could not be parsed (readers of files and topics). */
        MALFORMED,
        /**
         * The step made the key's state or the output NaN or infinite (an overflow): the event is not
         * applied, and the key keeps its state from before it (or restarts from zeros, as the options say).
         */
        NON_FINITE_STATE,
        /**
         * Ordered by event time, and the key's or the subtask's buffer was full (see {@link RecurrentOptions#maxBufferedPerKey()});
         * or, before the first model of an operator that starts from its updates, the events waiting for one were at that limit.
         */
        BUFFER_FULL,
        /** No model yet (an operator that starts from its model updates), and the options say to reject rather than wait. */
        NO_MODEL
    }

    /** The event's key, or null. */
    public String key;
    public Reason reason;
    /** What exactly is wrong, in words. */
    public String message;
    /** The event itself (null for an unparseable record, see {@link #raw}). */
    public KeyedEvent event;
    /** The raw record for {@link Reason#MALFORMED}, else null. */
    public String raw;
    /** The event's id (for a file: its line number), or {@link KeyedEvent#NO_ID}. */
    public long id = KeyedEvent.NO_ID;

    public RejectedEvent() {}

    public RejectedEvent(String key, Reason reason, String message, KeyedEvent event, String raw) {
        this.key = key;
        this.reason = reason;
        this.message = message;
        this.event = event;
        this.raw = raw;
        this.id = event != null ? event.id : KeyedEvent.NO_ID;
    }

    /** This rejection with an id. */
    public RejectedEvent withId(long id) {
        this.id = id;
        return this;
    }

    @Override
    public String toString() {
        return "RejectedEvent{" + reason + ", key=" + key + ": " + message + "}";
    }
}
