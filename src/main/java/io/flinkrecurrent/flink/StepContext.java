package io.flinkrecurrent.flink;

import io.flinkrecurrent.annotation.PublicEvolving;

/** What an {@link OutputEmitter} knows about the step besides the event and the output. */
@PublicEvolving
public interface StepContext<K> {
    /** The key the event was applied to. */
    K key();

    /** The key's count of applied events before this one: 0 for its first, not restarted by resets. */
    long seq();

    /** The event time the step used (the record's timestamp, else the event's own), or {@link KeyedEvent#NO_TIMESTAMP}. */
    long timestamp();

    /** The key's whole flat state after the step, in the model's layout. Read only; copy it to keep it. */
    float[] state();

    /** Whether the step started from zeros: the key's first event, or its first after a reset of any kind. */
    boolean fromZero();

    /**
     * The version of the model that made this output: the job's model's ({@code modelVersion(...)} on the
     * builder, else its fingerprint in hex), or the version of the model update in force.
     */
    String modelVersion();
}
