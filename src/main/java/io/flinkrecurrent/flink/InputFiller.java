package io.flinkrecurrent.flink;

import io.flinkrecurrent.annotation.PublicEvolving;

import java.io.Serializable;

/**
 * Writes the model's input for one of the user's events, without allocating:
 * {@code (reading, x) -> { x[0] = reading.temp; x[1] = reading.load; }}. A value that is not finite
 * is rejected by the operator ({@code NON_FINITE}); an event the filler cannot use can be rejected with
 * its own reason by throwing {@link InputRejected}.
 */
@PublicEvolving
@FunctionalInterface
public interface InputFiller<T> extends Serializable {
    /** {@code // event -> x (the model's inputSize); x is reused: every element must be written} */
    void fill(float[] x, T event) throws Exception;
}
