package io.flinkrecurrent.flink;

import io.flinkrecurrent.annotation.PublicEvolving;

import java.util.Objects;

/**
 * One of the user's events that the typed operator did not apply, with the reason: the side output
 * of {@link RecurrentStream#rejected()}. A Flink POJO whose {@code event} field has the user's type
 * information (see {@link Recurrent#rejectedType}), so no Kryo is needed.
 */
@PublicEvolving
public class Rejected<T> {
    /** The key as text ({@code String.valueOf}), or null when the event had none. */
    public String key;
    public RejectedEvent.Reason reason;
    /** What exactly is wrong, in words. */
    public String message;
    /** The event as it came. */
    public T event;

    public Rejected() {}

    public Rejected(String key, RejectedEvent.Reason reason, String message, T event) {
        this.key = key;
        this.reason = reason;
        this.message = message;
        this.event = event;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Rejected<?> r && Objects.equals(key, r.key) && reason == r.reason
                && Objects.equals(message, r.message) && Objects.equals(event, r.event);
    }

    @Override
    public int hashCode() {
        return Objects.hash(key, reason, message, event);
    }

    @Override
    public String toString() {
        return "Rejected{" + reason + ", key=" + key + ": " + message + "}";
    }
}
